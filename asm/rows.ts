// Bulk row kernels of the softmax family (src/engine/ops/vector.ts `expRows`, ops/softmax.ts): one call
// for a whole (rows, d) block instead of one per row, with the per-row arithmetic of asm/vec.ts, so the
// results are those of `rowMax` and `expSum` row by row.

import { expSum, rowMax } from './vec';

/**
 * For each row r of the (rows, d) floats at ptr: stats[2r] = max, stats[2r+1] = Σ exp(x - max) (f64),
 * and with keep != 0 the row becomes exp(x - max). Returns 0 as soon as a row's maximum is not finite
 * (the caller then takes its per-row path; rows before it may have been changed), 1 otherwise.
 */
export function expRows(ptr: usize, rows: i32, d: i32, keep: i32, stats: usize): i32 {
  const rowBytes = <usize>d << 2;
  for (let r = 0; r < rows; r++) {
    const at = ptr + <usize>r * rowBytes;
    const max = rowMax(at, d);
    if (!isFinite(max)) return 0;
    store<f64>(stats + (<usize>r << 4), <f64>max);
    store<f64>(stats + (<usize>r << 4) + 8, expSum(at, d, max, keep));
  }
  return 1;
}

/** dst[r, j] = src[r, j] - shift[r], computed in f64 and rounded once to f32 (as JavaScript does). */
export function subRows(src: usize, dst: usize, rows: i32, d: i32, shift: usize): void {
  const rowBytes = <usize>d << 2;
  for (let r = 0; r < rows; r++) {
    const s = f64x2.splat(load<f64>(shift + (<usize>r << 3)));
    const from = src + <usize>r * rowBytes;
    const to = dst + <usize>r * rowBytes;
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      const o = <usize>j << 2;
      const x = v128.load(from + o);
      const lo = f64x2.sub(f64x2.promote_low_f32x4(x), s);
      const hi = f64x2.sub(f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 0, 1)), s);
      const lo32 = f32x4.demote_f64x2_zero(lo);
      const hi32 = f32x4.demote_f64x2_zero(hi);
      v128.store(to + o, v128.shuffle<f32>(lo32, hi32, 0, 1, 4, 5));
    }
    const sh = f64x2.extract_lane(s, 0);
    for (; j < d; j++) {
      const o = <usize>j << 2;
      store<f32>(to + o, <f32>(<f64>load<f32>(from + o) - sh));
    }
  }
}
