// The output layer's label-smoothed cross-entropy over rows of logits in linear memory (src/engine/
// wasm-output.ts, ops/output-ce.ts): in one job per block of rows, instead of logits copied out to
// JavaScript, exponentiated there, and a gradient (N, V) written back in JavaScript:
//   x = logits + bias, m = max x (`rowMax` of asm/vec.ts), Σ exp(x - m) (`expSum`: the bits of the
//   crossEntropy kernels), optionally Σ x, the target's logit, then in place the unscaled gradient
//   G = exp(x - m) / Σ - ε/V, minus (1 - ε) at the target. Rows whose target is the ignored id become 0.
// A pool job (KIND_CROSS_ENTROPY of asm/gemm.ts): chunk c takes rows [c * per, (c + 1) * per).

import { P_CE_PTR, P_CE_D, P_CE_ROWS, P_CE_PER, P_CE_TARGETS, P_CE_BIAS, P_CE_STATS, P_CE_IGNORE, P_CE_SMOOTH, P_CE_HIT, P_CE_SUMX, pi } from './common';
import { expSum } from './vec';

/** Bytes of one row's result: f64 max, f64 Σ exp(x - max), f64 Σ x, f32 x[target], i32 state (1 done, 0 ignored, -1 max not finite). */
export const CE_STATS_BYTES: i32 = 32;

/** Rows of chunk `chunk` of the job described at params. */
export function crossEntropyChunk(params: usize, chunk: i32): void {
  const per = pi(params, P_CE_PER);
  const rows = pi(params, P_CE_ROWS);
  const r0 = chunk * per;
  const r1 = min(rows, r0 + per);
  for (let r = r0; r < r1; r++) {
    crossEntropyRow(params, r);
  }
}

function crossEntropyRow(params: usize, r: i32): void {
  const d = pi(params, P_CE_D);
  const at = <usize>pi(params, P_CE_PTR) + <usize>r * (<usize>d << 2);
  const o = <usize>pi(params, P_CE_STATS) + <usize>r * CE_STATS_BYTES;
  const t = load<i32>(<usize>pi(params, P_CE_TARGETS) + (<usize>r << 2));
  if (t == pi(params, P_CE_IGNORE)) {
    memory.fill(at, 0, <usize>d << 2);
    store<i32>(o, 0, 28);
    return;
  }
  const bias = <usize>pi(params, P_CE_BIAS);
  const wantSum = pi(params, P_CE_SUMX) != 0;
  // Pass 1: bias added in place (acc + bias, as linear's beta = 1 over the bias rows gives), the maximum, Σ x.
  let mv = f32x4.splat(-Infinity);
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let j = 0;
  for (; j + 4 <= d; j += 4) {
    const p = at + (<usize>j << 2);
    let x = v128.load(p);
    if (bias != 0) {
      x = f32x4.add(x, v128.load(bias + (<usize>j << 2)));
      v128.store(p, x);
    }
    mv = f32x4.max(mv, x);
    if (wantSum) {
      s0 = f64x2.add(s0, f64x2.promote_low_f32x4(x));
      s1 = f64x2.add(s1, f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 0, 1)));
    }
  }
  let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  const sv = f64x2.add(s0, s1);
  let sumX = f64x2.extract_lane(sv, 0) + f64x2.extract_lane(sv, 1);
  for (; j < d; j++) {
    const p = at + (<usize>j << 2);
    let x = load<f32>(p);
    if (bias != 0) {
      x = x + load<f32>(bias + (<usize>j << 2));
      store<f32>(p, x);
    }
    m = max(m, x);
    sumX += <f64>x;
  }
  const xt = load<f32>(at + (<usize>t << 2));
  if (!isFinite(m)) {
    store<i32>(o, -1, 28);
    return;
  }
  // Pass 2: exp(x - m) in place and its sum; pass 3: G = e / Σ - ε/V, and - (1 - ε) at the target.
  const sum = expSum(at, d, m, 1);
  const inv = f32x4.splat(<f32>(1 / sum));
  const smooth = f32x4.splat(load<f32>(params + P_CE_SMOOTH));
  j = 0;
  for (; j + 4 <= d; j += 4) {
    const p = at + (<usize>j << 2);
    v128.store(p, f32x4.sub(f32x4.mul(v128.load(p), inv), smooth));
  }
  for (; j < d; j++) {
    const p = at + (<usize>j << 2);
    store<f32>(p, load<f32>(p) * f32x4.extract_lane(inv, 0) - f32x4.extract_lane(smooth, 0));
  }
  const pt = at + (<usize>t << 2);
  store<f32>(pt, load<f32>(pt) - load<f32>(params + P_CE_HIT));
  store<f64>(o, <f64>m);
  store<f64>(o, sum, 8);
  store<f64>(o, sumX, 16);
  store<f32>(o, xt, 24);
  store<i32>(o, 1, 28);
}
