// Adam's update (src/engine/optim.ts) over one parameter's buffers in linear memory, in f64 like the
// TypeScript loop (each value promoted, the same operations in the same order, rounded once to f32 on
// store), so both give the same bits:
//   g' = g + wd·w,  m = β1 m + (1-β1) g',  v = β2 v + (1-β2) g'²,  w -= stepSize · m / (sqrt(v · invC2) + ε)
// (m and v unrounded in the update of w, as in the TypeScript loop).

import { demoteJoin, promoteHi, promoteLo } from './common';

export function adamStep(
  w: usize, g: usize, m: usize, v: usize, n: i32,
  b1: f64, b2: f64, g1: f64, g2: f64, stepSize: f64, invC2: f64, eps: f64, wd: f64,
): void {
  const B1 = f64x2.splat(b1);
  const B2 = f64x2.splat(b2);
  const G1 = f64x2.splat(g1);
  const G2 = f64x2.splat(g2);
  const S = f64x2.splat(stepSize);
  const C2 = f64x2.splat(invC2);
  const E = f64x2.splat(eps);
  const WD = f64x2.splat(wd);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const w4 = v128.load(w + o);
    const g4 = v128.load(g + o);
    const m4 = v128.load(m + o);
    const v4 = v128.load(v + o);
    // low pair
    const wl = promoteLo(w4);
    const gl = f64x2.add(promoteLo(g4), f64x2.mul(WD, wl));
    const ml = f64x2.add(f64x2.mul(B1, promoteLo(m4)), f64x2.mul(G1, gl));
    const vl = f64x2.add(f64x2.mul(B2, promoteLo(v4)), f64x2.mul(f64x2.mul(G2, gl), gl));
    const nl = f64x2.sub(wl, f64x2.div(f64x2.mul(S, ml), f64x2.add(f64x2.sqrt(f64x2.mul(vl, C2)), E)));
    // high pair
    const wh = promoteHi(w4);
    const gh = f64x2.add(promoteHi(g4), f64x2.mul(WD, wh));
    const mh = f64x2.add(f64x2.mul(B1, promoteHi(m4)), f64x2.mul(G1, gh));
    const vh = f64x2.add(f64x2.mul(B2, promoteHi(v4)), f64x2.mul(f64x2.mul(G2, gh), gh));
    const nh = f64x2.sub(wh, f64x2.div(f64x2.mul(S, mh), f64x2.add(f64x2.sqrt(f64x2.mul(vh, C2)), E)));
    v128.store(m + o, demoteJoin(ml, mh));
    v128.store(v + o, demoteJoin(vl, vh));
    v128.store(w + o, demoteJoin(nl, nh));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const wi = <f64>load<f32>(w + o);
    const gi = <f64>load<f32>(g + o) + wd * wi;
    const mi = b1 * <f64>load<f32>(m + o) + g1 * gi;
    const vi = b2 * <f64>load<f32>(v + o) + g2 * gi * gi;
    store<f32>(m + o, <f32>mi);
    store<f32>(v + o, <f32>vi);
    store<f32>(w + o, <f32>(wi - (stepSize * mi) / (Math.sqrt(vi * invC2) + eps)));
  }
}
