// Greedy decoding's pick over the output layer's rows (src/engine/ops/pick.ts): for each row of logits
// x (d floats) in linear memory, in one call instead of a log-softmax written out and scanned again:
//   the row maximum m and Σ exp(x - m) (`rowMax` and `expSum` of asm/vec.ts, so log-sum-exp has the bits
//   of the log-softmax kernels), the first index of the largest x among the ids other than two skipped
//   ones (PAD and BOS), and the first index before it whose x is close enough to the best that its
//   rounded log-probability might tie (the caller settles such rare near-ties exactly).
// A pool job (KIND_GREEDY of asm/gemm.ts): chunk c takes rows [c * per, (c + 1) * per).

import { P_G_PTR, P_G_D, P_G_ROWS, P_G_PER, P_G_OUT, P_G_SKIP0, P_G_SKIP1, P_G_LOGD, pi } from './common';
import { expSum } from './vec';

/** Bytes of one row's result: f64 max, f64 sum, i32 best id, f32 its logit, i32 first near-tie id (-1: none), i32 ok. */
export const GREEDY_OUT_BYTES: i32 = 32;

/** Rows of chunk `chunk` of the job described at params. */
export function greedyChunk(params: usize, chunk: i32): void {
  const per = pi(params, P_G_PER);
  const rows = pi(params, P_G_ROWS);
  const r0 = chunk * per;
  const r1 = min(rows, r0 + per);
  greedyRows(
    <usize>pi(params, P_G_PTR), r0, r1, pi(params, P_G_D), pi(params, P_G_SKIP0), pi(params, P_G_SKIP1),
    load<f64>(params + P_G_LOGD), <usize>pi(params, P_G_OUT),
  );
}

/**
 * Rows [r0, r1) of the (rows, d) floats at ptr; results at out + r * GREEDY_OUT_BYTES. A row whose
 * maximum is not finite gets ok = 0 (nothing else meaningful). logD = ln d bounds how far the
 * log-sum-exp lies above the maximum (it decides which earlier entries count as near-ties).
 */
export function greedyRows(ptr: usize, r0: i32, r1: i32, d: i32, skip0: i32, skip1: i32, logD: f64, out: usize): void {
  const rowBytes = <usize>d << 2;
  const lane = i32x4(0, 1, 2, 3);
  const negInf = f32x4.splat(-Infinity);
  for (let r = r0; r < r1; r++) {
    const at = ptr + <usize>r * rowBytes;
    const o = out + <usize>r * GREEDY_OUT_BYTES;
    // Pass 1: the maximum of every entry, and per lane the first index of the largest allowed entry.
    let mAll = negInf;
    let mBest = negInf;
    let iBest = i32x4.splat(-1);
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      let x = v128.load(at + (<usize>j << 2));
      mAll = f32x4.max(mAll, x);
      const idx = i32x4.add(i32x4.splat(j), lane);
      if ((skip0 >= j && skip0 < j + 4) || (skip1 >= j && skip1 < j + 4)) {
        const skip = v128.or(i32x4.eq(idx, i32x4.splat(skip0)), i32x4.eq(idx, i32x4.splat(skip1)));
        x = v128.bitselect(negInf, x, skip);
      }
      const gt = f32x4.gt(x, mBest);
      mBest = v128.bitselect(x, mBest, gt);
      iBest = v128.bitselect(idx, iBest, gt);
    }
    let m = max(max(f32x4.extract_lane(mAll, 0), f32x4.extract_lane(mAll, 1)), max(f32x4.extract_lane(mAll, 2), f32x4.extract_lane(mAll, 3)));
    // Lanes to one: the largest value, the smallest index among equals (-1: every allowed entry is -Infinity).
    let best: i32 = -1;
    let bestV: f32 = -Infinity;
    for (let l = 0; l < 4; l++) {
      const i = i32x4.extract_lane(iBest, 0);
      const v = f32x4.extract_lane(mBest, 0);
      if (i >= 0 && (best < 0 || v > bestV || (v == bestV && i < best))) {
        best = i;
        bestV = v;
      }
      iBest = v128.shuffle<i32>(iBest, iBest, 1, 2, 3, 0);
      mBest = v128.shuffle<f32>(mBest, mBest, 1, 2, 3, 0);
    }
    for (; j < d; j++) {
      const x = load<f32>(at + (<usize>j << 2));
      m = max(m, x);
      if (j != skip0 && j != skip1 && x > bestV) {
        best = j;
        bestV = x;
      }
    }
    // A row with no finite maximum, or whose allowed entries are all -Infinity, is left to the caller.
    if (!isFinite(m) || best < 0) {
      store<i32>(o, 0, 28);
      continue;
    }
    const sum = expSum(at, d, m, 0);
    // Pass 2: an earlier entry ties after rounding x - lse to f32 only if it lies within an ulp of the
    // log-probability (at most (max - best) + ln d in size) below the best; the bound is generous.
    const gap = (<f64>m - <f64>bestV) + logD;
    const lo = <f32>(<f64>bestV - (gap * 1.0e-6 + Math.abs(<f64>bestV) * 1.0e-6 + 1.0e-30));
    let cand: i32 = -1;
    const vlo = f32x4.splat(lo);
    let q = 0;
    for (; q + 4 <= best; q += 4) {
      if (v128.any_true(f32x4.ge(v128.load(at + (<usize>q << 2)), vlo))) break;
    }
    for (; q < best; q++) {
      if (load<f32>(at + (<usize>q << 2)) >= lo) {
        cand = q;
        break;
      }
    }
    store<f64>(o, <f64>m);
    store<f64>(o, sum, 8);
    store<i32>(o, best, 16);
    store<f32>(o, bestV, 20);
    store<i32>(o, cand, 24);
    store<i32>(o, 1, 28);
  }
}
