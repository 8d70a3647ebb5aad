// Masked scaled softmax over rows (src/engine/ops/masked-softmax.ts), the attention weights of
// every head: row r of width s has len[r] valid positions (key padding and the causal mask are
// folded into len by the caller), each row
//   forward:  y_j = exp(scale x_j - max) / Σ_{k<len} exp(scale x_k - max)  for j < len,  y_j = 0 beyond
//   backward: dx_j = scale y_j (g_j - Σ_k g_k y_k)                          for j < len,  dx_j = 0 beyond
// so padding gets exactly 0 weight and 0 gradient. x and y may be the same buffer; len is i32.

import { expV } from './vec';

@inline function hsum(x: v128): f32 {
  return (f32x4.extract_lane(x, 0) + f32x4.extract_lane(x, 1)) + (f32x4.extract_lane(x, 2) + f32x4.extract_lane(x, 3));
}

@inline function hmax(x: v128): f32 {
  return max(max(f32x4.extract_lane(x, 0), f32x4.extract_lane(x, 1)), max(f32x4.extract_lane(x, 2), f32x4.extract_lane(x, 3)));
}

export function maskedSoftmax(x: usize, y: usize, len: usize, rows: i32, s: i32, scale: f32): void {
  const vs = f32x4.splat(scale);
  for (let r = 0; r < rows; r++) {
    const n = load<i32>(len + (<usize>r << 2));
    const xr = x + (<usize>(r * s) << 2);
    const yr = y + (<usize>(r * s) << 2);
    let mv = f32x4.splat(-Infinity);
    let j = 0;
    for (; j + 4 <= n; j += 4) mv = f32x4.max(mv, v128.load(xr + (<usize>j << 2)));
    let m = hmax(mv);
    for (; j < n; j++) m = max(m, load<f32>(xr + (<usize>j << 2)));
    const shift = f32x4.splat(m * scale);
    let sv = f32x4.splat(0);
    j = 0;
    for (; j + 4 <= n; j += 4) {
      const e = expV(f32x4.sub(f32x4.mul(v128.load(xr + (<usize>j << 2)), vs), shift));
      v128.store(yr + (<usize>j << 2), e);
      sv = f32x4.add(sv, e);
    }
    let sum = hsum(sv);
    for (; j < n; j++) {
      const e = f32x4.extract_lane(expV(f32x4.splat(load<f32>(xr + (<usize>j << 2)) * scale - m * scale)), 0);
      store<f32>(yr + (<usize>j << 2), e);
      sum += e;
    }
    const inv = f32x4.splat(<f32>1 / sum);
    j = 0;
    for (; j + 4 <= n; j += 4) v128.store(yr + (<usize>j << 2), f32x4.mul(v128.load(yr + (<usize>j << 2)), inv));
    for (; j < n; j++) store<f32>(yr + (<usize>j << 2), load<f32>(yr + (<usize>j << 2)) * f32x4.extract_lane(inv, 0));
    for (; j < s; j++) store<f32>(yr + (<usize>j << 2), 0);
  }
}

export function maskedSoftmaxBackward(y: usize, g: usize, dx: usize, len: usize, rows: i32, s: i32, scale: f32): void {
  const vs = f32x4.splat(scale);
  for (let r = 0; r < rows; r++) {
    const n = load<i32>(len + (<usize>r << 2));
    const o = <usize>(r * s) << 2;
    const yr = y + o;
    const gr = g + o;
    const dr = dx + o;
    let dv = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= n; j += 4) dv = f32x4.add(dv, f32x4.mul(v128.load(yr + (<usize>j << 2)), v128.load(gr + (<usize>j << 2))));
    let dot = hsum(dv);
    for (; j < n; j++) dot += load<f32>(yr + (<usize>j << 2)) * load<f32>(gr + (<usize>j << 2));
    const vd = f32x4.splat(dot);
    j = 0;
    for (; j + 4 <= n; j += 4) {
      const q = <usize>j << 2;
      v128.store(dr + q, f32x4.mul(f32x4.mul(v128.load(yr + q), vs), f32x4.sub(v128.load(gr + q), vd)));
    }
    for (; j < n; j++) {
      const q = <usize>j << 2;
      store<f32>(dr + q, load<f32>(yr + q) * scale * (load<f32>(gr + q) - dot));
    }
    for (; j < s; j++) store<f32>(dr + (<usize>j << 2), 0);
  }
}
