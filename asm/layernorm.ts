// Layer normalization over the last axis (Ba et al. 2016; src/engine/ops/layernorm.ts), rows of width d:
//   forward:  mean = Σx/d,  rstd = 1/sqrt(Σ(x - mean)²/d + eps),  x̂ = (x - mean) rstd,  y = x̂ γ + β
//   backward: g = dy γ,  dx = rstd (g - mean(g) - x̂ mean(g x̂)),  dγ = Σ_rows dy x̂,  dβ = Σ_rows dy
// stats holds (mean, rstd) per row for the backward. The variance is taken about the mean (two passes).

import { madd } from './common';

@inline function hsum(x: v128): f32 {
  return (f32x4.extract_lane(x, 0) + f32x4.extract_lane(x, 1)) + (f32x4.extract_lane(x, 2) + f32x4.extract_lane(x, 3));
}

/** y and stats written for every row; y may be x. */
export function layerNormForward(x: usize, gamma: usize, beta: usize, y: usize, stats: usize, rows: i32, d: i32, eps: f32): void {
  const invD = <f32>1 / <f32>d;
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * d) << 2);
    const yr = y + (<usize>(r * d) << 2);
    // Two accumulators per sum: the adds of one chain wait for each other.
    let sv = f32x4.splat(0);
    let sw = f32x4.splat(0);
    let j = 0;
    for (; j + 8 <= d; j += 8) {
      sv = f32x4.add(sv, v128.load(xr + (<usize>j << 2)));
      sw = f32x4.add(sw, v128.load(xr + (<usize>j << 2), 16));
    }
    for (; j + 4 <= d; j += 4) sv = f32x4.add(sv, v128.load(xr + (<usize>j << 2)));
    let sum = hsum(f32x4.add(sv, sw));
    for (; j < d; j++) sum += load<f32>(xr + (<usize>j << 2));
    const mean = sum * invD;
    const vm = f32x4.splat(mean);
    let qv = f32x4.splat(0);
    let qw = f32x4.splat(0);
    j = 0;
    for (; j + 8 <= d; j += 8) {
      const c = f32x4.sub(v128.load(xr + (<usize>j << 2)), vm);
      const e = f32x4.sub(v128.load(xr + (<usize>j << 2), 16), vm);
      qv = madd(c, c, qv);
      qw = madd(e, e, qw);
    }
    for (; j + 4 <= d; j += 4) {
      const c = f32x4.sub(v128.load(xr + (<usize>j << 2)), vm);
      qv = madd(c, c, qv);
    }
    let sq = hsum(f32x4.add(qv, qw));
    for (; j < d; j++) {
      const c = load<f32>(xr + (<usize>j << 2)) - mean;
      sq += c * c;
    }
    const rstd = <f32>1 / sqrt<f32>(sq * invD + eps);
    store<f32>(stats + (<usize>(2 * r) << 2), mean);
    store<f32>(stats + (<usize>(2 * r + 1) << 2), rstd);
    const vr = f32x4.splat(rstd);
    j = 0;
    for (; j + 4 <= d; j += 4) {
      const q = <usize>j << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(xr + q), vm), vr);
      v128.store(yr + q, madd(xh, v128.load(gamma + q), v128.load(beta + q)));
    }
    for (; j < d; j++) {
      const q = <usize>j << 2;
      store<f32>(yr + q, (load<f32>(xr + q) - mean) * rstd * load<f32>(gamma + q) + load<f32>(beta + q));
    }
  }
}

/** dx written for every row (may be dy); dgamma and dbeta overwritten with the sums over these rows. */
export function layerNormBackward(
  x: usize, dy: usize, gamma: usize, stats: usize, dx: usize, dgamma: usize, dbeta: usize, rows: i32, d: i32,
): void {
  const invD = <f32>1 / <f32>d;
  memory.fill(dgamma, 0, <usize>d << 2);
  memory.fill(dbeta, 0, <usize>d << 2);
  for (let r = 0; r < rows; r++) {
    const o = <usize>(r * d) << 2;
    const xr = x + o;
    const gr = dy + o;
    const dr = dx + o;
    const mean = load<f32>(stats + (<usize>(2 * r) << 2));
    const rstd = load<f32>(stats + (<usize>(2 * r + 1) << 2));
    const vm = f32x4.splat(mean);
    const vr = f32x4.splat(rstd);
    let sa = f32x4.splat(0);
    let sb = f32x4.splat(0);
    let j = 0;
    for (; j + 4 <= d; j += 4) {
      const q = <usize>j << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(xr + q), vm), vr);
      const go = v128.load(gr + q);
      const g = f32x4.mul(go, v128.load(gamma + q));
      sa = f32x4.add(sa, g);
      sb = madd(g, xh, sb);
      v128.store(dgamma + q, madd(go, xh, v128.load(dgamma + q)));
      v128.store(dbeta + q, f32x4.add(v128.load(dbeta + q), go));
    }
    let a = hsum(sa);
    let b = hsum(sb);
    for (; j < d; j++) {
      const q = <usize>j << 2;
      const xh = (load<f32>(xr + q) - mean) * rstd;
      const go = load<f32>(gr + q);
      const g = go * load<f32>(gamma + q);
      a += g;
      b += g * xh;
      store<f32>(dgamma + q, load<f32>(dgamma + q) + go * xh);
      store<f32>(dbeta + q, load<f32>(dbeta + q) + go);
    }
    a *= invD;
    b *= invD;
    const va = f32x4.splat(a);
    const vb = f32x4.splat(b);
    j = 0;
    for (; j + 4 <= d; j += 4) {
      const q = <usize>j << 2;
      const xh = f32x4.mul(f32x4.sub(v128.load(xr + q), vm), vr);
      const g = f32x4.mul(v128.load(gr + q), v128.load(gamma + q));
      v128.store(dr + q, f32x4.mul(vr, f32x4.sub(f32x4.sub(g, va), f32x4.mul(xh, vb))));
    }
    for (; j < d; j++) {
      const q = <usize>j << 2;
      const xh = (load<f32>(xr + q) - mean) * rstd;
      const g = load<f32>(gr + q) * load<f32>(gamma + q);
      store<f32>(dr + q, rstd * (g - a - xh * b));
    }
  }
}
