// Greedy decoding's pick over the output layer's rows (src/engine/ops/pick.ts): for each row of logits
// x (d floats) in linear memory, in one call instead of a log-softmax written out and scanned again:
//   the row maximum m and Σ exp(x - m) (the bits of `rowMax` and `expSum` of asm/vec.ts, so log-sum-exp has
//   the bits of the log-softmax kernels), the first index of the largest x among the ids other than two skipped
//   ones (PAD and BOS), and the first index before it whose x is close enough to the best that its
//   rounded log-probability might tie (the caller settles such rare near-ties exactly).
// A pool job (KIND_GREEDY of asm/gemm.ts): chunk c takes rows [c * per, (c + 1) * per).

import { P_G_PTR, P_G_D, P_G_ROWS, P_G_PER, P_G_OUT, P_G_SKIP0, P_G_SKIP1, P_G_LOGD, pi } from './common';
import { expReduced, expV } from './vec';

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
 *
 * The maximum m is taken with one-instruction pseudo-maxima over four independent accumulators (a NaN
 * seen sets a flag instead; a zero maximum, whose sign pmax may get wrong, is taken again exactly), then
 * the best id is the first allowed entry equal to m, found by a scan that stops there; only when every
 * entry equal to m is a skipped id does the row take the full scan (`bestAllowed`). The results are the
 * bits of the straightforward definition: f32x4.max over the row, and the first index of the largest
 * allowed entry.
 */
export function greedyRows(ptr: usize, r0: i32, r1: i32, d: i32, skip0: i32, skip1: i32, logD: f64, out: usize): void {
  const rowBytes = <usize>d << 2;
  for (let r = r0; r < r1; r++) {
    const at = ptr + <usize>r * rowBytes;
    const o = out + <usize>r * GREEDY_OUT_BYTES;
    const m = rowMaximum(at, d);
    // A row with no finite maximum is left to the caller.
    if (!isFinite(m)) {
      store<i32>(o, 0, 28);
      continue;
    }
    let best = firstEqualAllowed(at, d, m, skip0, skip1);
    if (best < 0) best = bestAllowed(at, d, skip0, skip1);
    // A row whose allowed entries are all -Infinity is left to the caller.
    if (best < 0) {
      store<i32>(o, 0, 28);
      continue;
    }
    const bestV = load<f32>(at + (<usize>best << 2));
    const sum = expSumShifted(at, d, m);
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

/** max over the d floats at `at`, as f32x4.max and max fold them (NaN when one is NaN, +0 over -0). */
function rowMaximum(at: usize, d: i32): f32 {
  const negInf = f32x4.splat(-Infinity);
  let m0 = negInf;
  let m1 = negInf;
  let m2 = negInf;
  let m3 = negInf;
  let nan = i32x4.splat(0);
  let j = 0;
  for (; j + 16 <= d; j += 16) {
    const p = at + (<usize>j << 2);
    const x0 = v128.load(p);
    const x1 = v128.load(p, 16);
    const x2 = v128.load(p, 32);
    const x3 = v128.load(p, 48);
    m0 = f32x4.pmax(m0, x0);
    m1 = f32x4.pmax(m1, x1);
    m2 = f32x4.pmax(m2, x2);
    m3 = f32x4.pmax(m3, x3);
    nan = v128.or(nan, v128.or(v128.or(f32x4.ne(x0, x0), f32x4.ne(x1, x1)), v128.or(f32x4.ne(x2, x2), f32x4.ne(x3, x3))));
  }
  for (; j + 4 <= d; j += 4) {
    const x = v128.load(at + (<usize>j << 2));
    m0 = f32x4.pmax(m0, x);
    nan = v128.or(nan, f32x4.ne(x, x));
  }
  const v = f32x4.pmax(f32x4.pmax(m0, m1), f32x4.pmax(m2, m3));
  let m = max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
  if (v128.any_true(nan)) m = NaN;
  for (; j < d; j++) m = max(m, load<f32>(at + (<usize>j << 2)));
  // pmax keeps whichever zero it met first: a zero maximum is taken again with max (+0 over -0).
  if (m == 0) {
    let z = f32x4.splat(-Infinity);
    let i = 0;
    for (; i + 4 <= d; i += 4) z = f32x4.max(z, v128.load(at + (<usize>i << 2)));
    m = max(max(f32x4.extract_lane(z, 0), f32x4.extract_lane(z, 1)), max(f32x4.extract_lane(z, 2), f32x4.extract_lane(z, 3)));
    for (; i < d; i++) m = max(m, load<f32>(at + (<usize>i << 2)));
  }
  return m;
}

/** The first index j, other than skip0 and skip1, with x[j] == m; -1 when there is none. */
function firstEqualAllowed(at: usize, d: i32, m: f32, skip0: i32, skip1: i32): i32 {
  const vm = f32x4.splat(m);
  let j = 0;
  while (j < d) {
    for (; j + 4 <= d; j += 4) {
      if (v128.any_true(f32x4.eq(v128.load(at + (<usize>j << 2)), vm))) break;
    }
    const end = min(d, j + 4);
    for (; j < end; j++) {
      if (j != skip0 && j != skip1 && load<f32>(at + (<usize>j << 2)) == m) return j;
    }
  }
  return -1;
}

/** The first index of the largest entry other than skip0 and skip1 (-1 when all of them are -Infinity). */
function bestAllowed(at: usize, d: i32, skip0: i32, skip1: i32): i32 {
  const lane = i32x4(0, 1, 2, 3);
  const negInf = f32x4.splat(-Infinity);
  let mBest = negInf;
  let iBest = i32x4.splat(-1);
  let j = 0;
  for (; j + 4 <= d; j += 4) {
    let x = v128.load(at + (<usize>j << 2));
    const idx = i32x4.add(i32x4.splat(j), lane);
    if ((skip0 >= j && skip0 < j + 4) || (skip1 >= j && skip1 < j + 4)) {
      const skip = v128.or(i32x4.eq(idx, i32x4.splat(skip0)), i32x4.eq(idx, i32x4.splat(skip1)));
      x = v128.bitselect(negInf, x, skip);
    }
    const gt = f32x4.gt(x, mBest);
    mBest = v128.bitselect(x, mBest, gt);
    iBest = v128.bitselect(idx, iBest, gt);
  }
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
    if (j != skip0 && j != skip1 && x > bestV) {
      best = j;
      bestV = x;
    }
  }
  return best;
}

/**
 * Σ exp(x_i - m) over the d floats at `at` (x_i <= m, m finite): the bits of asm/vec.ts `expSum(at, d, m, 0)`
 * (the same f32 steps of `expV` and the same order of the f64 sums), with two of expV's steps in fewer
 * instructions: max(x, -87.3) as pmax (the same value for every x, NaN included, as -87.3 is no zero), and
 * 2^k from the integral k (in [-126, 0]) through the bits of k + 1.5·2^23 instead of a saturating conversion.
 */
function expSumShifted(at: usize, d: i32, m: f32): f64 {
  const s = f32x4.splat(m);
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= d; i += 4) {
    const e = expFast(f32x4.sub(v128.load(at + (<usize>i << 2)), s));
    acc0 = f64x2.add(acc0, f64x2.promote_low_f32x4(e));
    acc1 = f64x2.add(acc1, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 0, 1)));
  }
  const acc = f64x2.add(acc0, acc1);
  let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < d; i++) {
    sum += <f64>f32x4.extract_lane(expV(f32x4.splat(load<f32>(at + (<usize>i << 2)) - m)), 0);
  }
  return sum;
}

/** expV (asm/vec.ts) for x <= 0, bit for bit, as expSumShifted describes. */
@inline function expFast(x: v128): v128 {
  const lo = f32x4.splat(-87.3);
  const under = f32x4.lt(x, lo);
  const xc = f32x4.pmax(x, lo);
  const k = f32x4.nearest(f32x4.mul(xc, f32x4.splat(1.44269504088896341)));
  const y = expReduced(xc, k);
  // k + 1.5·2^23 is exact for integral |k| < 2^22 and holds k + 0x400000 in its low mantissa bits, so its bits
  // minus those of 1.5·2^23 are k (as trunc_sat gives it); 2^k = (k + 127) << 23.
  const magic = f32x4.splat(12582912.0);
  const ki = i32x4.sub(f32x4.add(k, magic), magic);
  const scale = i32x4.shl(i32x4.add(ki, i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(y, scale), under);
}
