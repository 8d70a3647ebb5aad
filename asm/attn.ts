// Additive attention score kernels (src/engine/fused/attention.ts), over float buffers the
// JavaScript side copies into linear memory:
//   forward:  t[b,i,:] = tanh(q[b,:] + k[b,i,:]),  e[b,i] = v · t[b,i,:]          for i < len[b]
//   backward: d = de[b,i] v (1 - t²):  dk[b,i,:] = d,  dq[b,:] = Σ_i d,  dv = Σ_b,i de[b,i] t[b,i,:]
// Shapes: q (B, A), k and t and dk (B, S, A), e and de (B, S), v and dv (A), len (B) as i32.

import { demoteJoin, madd, promoteHi, promoteLo } from './common';

// tanh(x) as a rational function (the coefficients of Eigen's float tanh), clamped where float
// tanh is ±1; within a few float ulps of tanh.
const CLAMP: f32 = 7.90531110763549805;

@inline export function tanhV(x: v128): v128 {
  const c = f32x4.splat(CLAMP);
  const v = f32x4.min(f32x4.max(x, f32x4.neg(c)), c);
  const x2 = f32x4.mul(v, v);
  let p = madd(x2, f32x4.splat(-2.76076847742355e-16), f32x4.splat(2.00018790482477e-13));
  p = madd(x2, p, f32x4.splat(-8.60467152213735e-11));
  p = madd(x2, p, f32x4.splat(5.12229709037114e-8));
  p = madd(x2, p, f32x4.splat(1.48572235717979e-5));
  p = madd(x2, p, f32x4.splat(6.37261928875436e-4));
  p = madd(x2, p, f32x4.splat(4.89352455891786e-3));
  let q = madd(x2, f32x4.splat(1.19825839466702e-6), f32x4.splat(1.18534705686654e-4));
  q = madd(x2, q, f32x4.splat(2.268434632439e-3));
  q = madd(x2, q, f32x4.splat(4.89352518554385e-3));
  return f32x4.div(f32x4.mul(v, p), q);
}

@inline function hsum(x: v128): f32 {
  return (f32x4.extract_lane(x, 0) + f32x4.extract_lane(x, 1)) + (f32x4.extract_lane(x, 2) + f32x4.extract_lane(x, 3));
}

/** The scores e (and with `keep` the tanh values t) of rows i < len[b]; rows past len are left as they were. */
@inline function scores(q: usize, k: usize, v: usize, len: usize, t: usize, e: usize, batch: i32, s: i32, a: i32, keep: bool): void {
  const rowBytes = <usize>a << 2;
  for (let b = 0; b < batch; b++) {
    const n = load<i32>(len + (<usize>b << 2));
    const qb = q + <usize>b * rowBytes;
    for (let i = 0; i < n; i++) {
      const off = <usize>(b * s + i) * rowBytes;
      const kr = k + off;
      const tr = t + off;
      let acc0 = f32x4.splat(0);
      let acc1 = f32x4.splat(0);
      let j = 0;
      for (; j + 8 <= a; j += 8) {
        const o = <usize>j << 2;
        const t0 = tanhV(f32x4.add(v128.load(qb + o), v128.load(kr + o)));
        const t1 = tanhV(f32x4.add(v128.load(qb + o, 16), v128.load(kr + o, 16)));
        if (keep) {
          v128.store(tr + o, t0);
          v128.store(tr + o, t1, 16);
        }
        acc0 = madd(v128.load(v + o), t0, acc0);
        acc1 = madd(v128.load(v + o, 16), t1, acc1);
      }
      let sum = hsum(f32x4.add(acc0, acc1));
      for (; j < a; j++) {
        const o = <usize>j << 2;
        const th = f32x4.extract_lane(tanhV(f32x4.splat(load<f32>(qb + o) + load<f32>(kr + o))), 0);
        if (keep) store<f32>(tr + o, th);
        sum += load<f32>(v + o) * th;
      }
      store<f32>(e + (<usize>(b * s + i) << 2), sum);
    }
  }
}

/** Forward scores; rows i >= len[b] of t and e are left as they were. */
export function attnForward(q: usize, k: usize, v: usize, len: usize, t: usize, e: usize, batch: i32, s: i32, a: i32): void {
  scores(q, k, v, len, t, e, batch, s, a, true);
}

/** Backward of the scores; dk rows i < len[b] are written (not accumulated), dq and dv are overwritten. */
export function attnBackward(t: usize, v: usize, de: usize, len: usize, dk: usize, dq: usize, dv: usize, batch: i32, s: i32, a: i32): void {
  const rowBytes = <usize>a << 2;
  memory.fill(dq, 0, <usize>batch * rowBytes);
  memory.fill(dv, 0, rowBytes);
  const one = f32x4.splat(1);
  for (let b = 0; b < batch; b++) {
    const n = load<i32>(len + (<usize>b << 2));
    const qb = dq + <usize>b * rowBytes;
    for (let i = 0; i < n; i++) {
      const off = <usize>(b * s + i) * rowBytes;
      const tr = t + off;
      const kr = dk + off;
      const g = load<f32>(de + (<usize>(b * s + i) << 2));
      const gv = f32x4.splat(g);
      let j = 0;
      for (; j + 4 <= a; j += 4) {
        const o = <usize>j << 2;
        const th = v128.load(tr + o);
        v128.store(dv + o, madd(gv, th, v128.load(dv + o)));
        const d = f32x4.mul(f32x4.mul(gv, v128.load(v + o)), f32x4.sub(one, f32x4.mul(th, th)));
        v128.store(kr + o, d);
        v128.store(qb + o, f32x4.add(v128.load(qb + o), d));
      }
      for (; j < a; j++) {
        const o = <usize>j << 2;
        const th = load<f32>(tr + o);
        store<f32>(dv + o, load<f32>(dv + o) + g * th);
        const d = g * load<f32>(v + o) * (1 - th * th);
        store<f32>(kr + o, d);
        store<f32>(qb + o, load<f32>(qb + o) + d);
      }
    }
  }
}

// ---- The step kernels of an attention session (src/engine/wasm-attention.ts): the keys and values stay in
// linear memory for every decoder step of a batch; a step's backward computes only what the step before it
// needs (dq), and the gradients of the keys, the values and v are summed over all steps at once at the end.

/** e[b,i] = v · tanh(q[b,:] + k[b,i,:]) for i < len[b]: the scores of attnForward (the same bits), no tanh kept. */
export function attnScores(q: usize, k: usize, v: usize, len: usize, e: usize, batch: i32, s: i32, a: i32): void {
  scores(q, k, v, len, 0, e, batch, s, a, false);
}

/**
 * ctx[b,:] = Σ_{i < len[b]} w[b,i] vals[b,i,:], each term added as the TypeScript loop adds it (in double
 * precision, rounded to float after every term), so the context has the same bits. H a multiple of 4.
 */
export function attnContext(w: usize, vals: usize, len: usize, ctx: usize, batch: i32, s: i32, h: i32): void {
  const rowBytes = <usize>h << 2;
  for (let b = 0; b < batch; b++) {
    const n = load<i32>(len + (<usize>b << 2));
    const cb = ctx + <usize>b * rowBytes;
    memory.fill(cb, 0, rowBytes);
    for (let i = 0; i < n; i++) {
      const al = f64x2.splat(<f64>load<f32>(w + (<usize>(b * s + i) << 2)));
      const vr = vals + <usize>(b * s + i) * rowBytes;
      for (let j = 0; j < h; j += 4) {
        const o = <usize>j << 2;
        const c = v128.load(cb + o);
        const x = v128.load(vr + o);
        const lo = f64x2.add(promoteLo(c), f64x2.mul(al, promoteLo(x)));
        const hi = f64x2.add(promoteHi(c), f64x2.mul(al, promoteHi(x)));
        v128.store(cb + o, demoteJoin(lo, hi));
      }
    }
  }
}

/**
 * One step's backward up to the query: dα_i = gw[b,i] (gw = 0: none) + vals[b,i,:]·gc[b,:], the masked softmax's
 * de_i = α_i (dα_i - Σ_j α_j dα_j) into de (B, S) (0 past len), and dq[b,:] = Σ_i de_i v ⊙ (1 - tanh(q_b + k_i)²)
 * written (not added), the tanh read from t (B, S, A) as attnForward kept it, or recomputed when t is 0 (the same
 * bits either way). H and A multiples of 4.
 */
export function attnStepBackward(
  q: usize, k: usize, v: usize, vals: usize, w: usize, gc: usize, gw: usize, len: usize, de: usize, dq: usize,
  batch: i32, s: i32, a: i32, h: i32, t: usize,
): void {
  const aBytes = <usize>a << 2;
  const hBytes = <usize>h << 2;
  for (let b = 0; b < batch; b++) {
    const n = load<i32>(len + (<usize>b << 2));
    const gcb = gc + <usize>b * hBytes;
    const row = <usize>(b * s) << 2;
    // dα into de, then the softmax backward in place.
    let dot: f32 = 0;
    for (let i = 0; i < n; i++) {
      const vr = vals + <usize>(b * s + i) * hBytes;
      let acc0 = f32x4.splat(0);
      let acc1 = f32x4.splat(0);
      let j = 0;
      for (; j + 8 <= h; j += 8) {
        const o = <usize>j << 2;
        acc0 = madd(v128.load(vr + o), v128.load(gcb + o), acc0);
        acc1 = madd(v128.load(vr + o, 16), v128.load(gcb + o, 16), acc1);
      }
      for (; j < h; j += 4) {
        const o = <usize>j << 2;
        acc0 = madd(v128.load(vr + o), v128.load(gcb + o), acc0);
      }
      let d = hsum(f32x4.add(acc0, acc1));
      if (gw != 0) d += load<f32>(gw + row + (<usize>i << 2));
      store<f32>(de + row + (<usize>i << 2), d);
      dot += load<f32>(w + row + (<usize>i << 2)) * d;
    }
    for (let i = 0; i < n; i++) {
      const o = row + (<usize>i << 2);
      store<f32>(de + o, load<f32>(w + o) * (load<f32>(de + o) - dot));
    }
    for (let i = n; i < s; i++) store<f32>(de + row + (<usize>i << 2), 0);
    const qb = q + <usize>b * aBytes;
    const dqb = dq + <usize>b * aBytes;
    const kb = k + <usize>(b * s) * aBytes;
    if (t != 0) dqRow(qb, kb, t + <usize>(b * s) * aBytes, v, de + row, dqb, n, a, true);
    else dqRow(qb, kb, 0, v, de + row, dqb, n, a, false);
  }
}

/**
 * dq (A) = Σ_{i < n} de_i v (1 - t_i²) for one row b, t_i = tanh(q + k_i) read from tb (`kept`) or recomputed;
 * eight columns at a time summed over i in registers.
 */
@inline function dqRow(qb: usize, kb: usize, tb: usize, v: usize, deb: usize, dqb: usize, n: i32, a: i32, kept: bool): void {
  const aBytes = <usize>a << 2;
  const one = f32x4.splat(1);
  let j = 0;
  for (; j + 8 <= a; j += 8) {
    const o = <usize>j << 2;
    const q0 = v128.load(qb + o);
    const q1 = v128.load(qb + o, 16);
    const v0 = v128.load(v + o);
    const v1 = v128.load(v + o, 16);
    let acc0 = f32x4.splat(0);
    let acc1 = f32x4.splat(0);
    for (let i = 0; i < n; i++) {
      const g = f32x4.splat(load<f32>(deb + (<usize>i << 2)));
      const kr = kb + <usize>i * aBytes + o;
      const tr = tb + <usize>i * aBytes + o;
      const t0 = kept ? v128.load(tr) : tanhV(f32x4.add(q0, v128.load(kr)));
      const t1 = kept ? v128.load(tr, 16) : tanhV(f32x4.add(q1, v128.load(kr, 16)));
      acc0 = f32x4.add(acc0, f32x4.mul(f32x4.mul(g, v0), f32x4.sub(one, f32x4.mul(t0, t0))));
      acc1 = f32x4.add(acc1, f32x4.mul(f32x4.mul(g, v1), f32x4.sub(one, f32x4.mul(t1, t1))));
    }
    v128.store(dqb + o, acc0);
    v128.store(dqb + o, acc1, 16);
  }
  for (; j < a; j += 4) {
    const o = <usize>j << 2;
    const q0 = v128.load(qb + o);
    const v0 = v128.load(v + o);
    let acc0 = f32x4.splat(0);
    for (let i = 0; i < n; i++) {
      const g = f32x4.splat(load<f32>(deb + (<usize>i << 2)));
      const t0 = kept ? v128.load(tb + <usize>i * aBytes + o) : tanhV(f32x4.add(q0, v128.load(kb + <usize>i * aBytes + o)));
      acc0 = f32x4.add(acc0, f32x4.mul(f32x4.mul(g, v0), f32x4.sub(one, f32x4.mul(t0, t0))));
    }
    v128.store(dqb + o, acc0);
  }
}

/**
 * The rest of the backward of `steps` steps at once: for each step t (q, de, w, gc at t·B·A, t·B·S, t·B·S, t·B·H
 * floats), dk[b,i,:] = Σ_t de v ⊙ (1 - tanh(q_tb + k_bi)²), dvals[b,i,:] = Σ_t w_tbi gc_tb and dv = Σ de tanh(·),
 * all written (rows past len: 0). H and A multiples of 4.
 */
export function attnFlush(
  q: usize, k: usize, v: usize, de: usize, w: usize, gc: usize, len: usize, dk: usize, dvals: usize, dv: usize,
  steps: i32, batch: i32, s: i32, a: i32, h: i32, tp: usize,
): void {
  const aBytes = <usize>a << 2;
  const hBytes = <usize>h << 2;
  memory.fill(dk, 0, <usize>batch * s * aBytes);
  memory.fill(dvals, 0, <usize>batch * s * hBytes);
  memory.fill(dv, 0, aBytes);
  for (let t = 0; t < steps; t++) {
    // Step t's tanh as attnForward kept it (B, S, A), or 0: recomputed.
    const tt = tp == 0 ? 0 : <usize>load<i32>(tp + (<usize>t << 2));
    for (let b = 0; b < batch; b++) {
      const n = load<i32>(len + (<usize>b << 2));
      const qb = q + <usize>(t * batch + b) * aBytes;
      const gcb = gc + <usize>(t * batch + b) * hBytes;
      const row = <usize>((t * batch + b) * s) << 2;
      for (let i = 0; i < n; i++) {
        const g = load<f32>(de + row + (<usize>i << 2));
        const gv = f32x4.splat(g);
        const kr = k + <usize>(b * s + i) * aBytes;
        const dkr = dk + <usize>(b * s + i) * aBytes;
        if (tt != 0) dkRow(qb, kr, tt + <usize>(b * s + i) * aBytes, v, gv, dv, dkr, a, true);
        else dkRow(qb, kr, 0, v, gv, dv, dkr, a, false);
        const al = f32x4.splat(load<f32>(w + row + (<usize>i << 2)));
        const dvr = dvals + <usize>(b * s + i) * hBytes;
        for (let j = 0; j < h; j += 4) {
          const o = <usize>j << 2;
          v128.store(dvr + o, madd(al, v128.load(gcb + o), v128.load(dvr + o)));
        }
      }
    }
  }
}

/** dv += g t and dk_row += g v (1 - t²) over one key row, t = tanh(q + k) read from tr (`kept`) or recomputed. */
@inline function dkRow(qb: usize, kr: usize, tr: usize, v: usize, gv: v128, dv: usize, dkr: usize, a: i32, kept: bool): void {
  const one = f32x4.splat(1);
  for (let j = 0; j < a; j += 4) {
    const o = <usize>j << 2;
    const th = kept ? v128.load(tr + o) : tanhV(f32x4.add(v128.load(qb + o), v128.load(kr + o)));
    v128.store(dv + o, madd(gv, th, v128.load(dv + o)));
    const d = f32x4.mul(f32x4.mul(gv, v128.load(v + o)), f32x4.sub(one, f32x4.mul(th, th)));
    v128.store(dkr + o, f32x4.add(v128.load(dkr + o), d));
  }
}
