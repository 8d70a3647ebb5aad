// GELU (Hendrycks and Gimpel 2016), the exact form x Φ(x) with Φ the standard normal CDF
// (src/engine/ops/gelu.ts has the same formula in TypeScript):
//   Φ(x) = erfc(-x/√2) / 2, with erfc(z) = poly(t) exp(-z²), t = 1/(1 + p z) for z = |x|/√2
//   (Abramowitz and Stegun 7.1.26, |error| < 1.5e-7), so Φ = q/2 for x < 0 and 1 - q/2 for x >= 0
//   with q = poly(t) exp(-z²): no cancellation in the negative tail.
//   gelu'(x) = Φ(x) + x φ(x),  φ(x) = exp(-x²/2) / √(2π).

import { madd } from './common';
import { expV } from './vec';

const P: f32 = 0.3275911;
const A1: f32 = 0.254829592;
const A2: f32 = -0.284496736;
const A3: f32 = 1.421413741;
const A4: f32 = -1.453152027;
const A5: f32 = 1.061405429;
const INV_SQRT2: f32 = 0.7071067811865476;
const INV_SQRT_2PI: f32 = 0.3989422804014327;

/** Φ(x) and exp(-x²/2) for four lanes. */
@inline function phi(x: v128, e: v128): v128 {
  const z = f32x4.mul(f32x4.abs(x), f32x4.splat(INV_SQRT2));
  const t = f32x4.div(f32x4.splat(1), madd(z, f32x4.splat(P), f32x4.splat(1)));
  let p = madd(t, f32x4.splat(A5), f32x4.splat(A4));
  p = madd(t, p, f32x4.splat(A3));
  p = madd(t, p, f32x4.splat(A2));
  p = madd(t, p, f32x4.splat(A1));
  const half = f32x4.mul(f32x4.mul(p, t), f32x4.mul(e, f32x4.splat(0.5))); // erfc(z) / 2
  return v128.bitselect(f32x4.sub(f32x4.splat(1), half), half, f32x4.ge(x, f32x4.splat(0)));
}

/** exp(-x²/2). */
@inline function gauss(x: v128): v128 {
  return expV(f32x4.mul(f32x4.mul(x, x), f32x4.splat(-0.5)));
}

@inline function loadTail(p: usize, n: i32): v128 {
  let v = f32x4.splat(0);
  if (n > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (n > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (n > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

@inline function storeTail(p: usize, v: v128, n: i32): void {
  if (n > 0) store<f32>(p, f32x4.extract_lane(v, 0));
  if (n > 1) store<f32>(p, f32x4.extract_lane(v, 1), 4);
  if (n > 2) store<f32>(p, f32x4.extract_lane(v, 2), 8);
}

/** y = gelu(x) for n floats (y may be x). */
export function geluForward(x: usize, y: usize, n: i32): void {
  let i = 0;
  // Two vectors per iteration: their long dependency chains (exp, the division) overlap.
  for (; i + 8 <= n; i += 8) {
    const q = <usize>i << 2;
    const v = v128.load(x + q);
    const w = v128.load(x + q, 16);
    const ev = gauss(v);
    const ew = gauss(w);
    v128.store(y + q, f32x4.mul(v, phi(v, ev)));
    v128.store(y + q, f32x4.mul(w, phi(w, ew)), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const q = <usize>i << 2;
    const v = v128.load(x + q);
    v128.store(y + q, f32x4.mul(v, phi(v, gauss(v))));
  }
  if (i < n) {
    const q = <usize>i << 2;
    const v = loadTail(x + q, n - i);
    storeTail(y + q, f32x4.mul(v, phi(v, gauss(v))), n - i);
  }
}

/** dx = g gelu'(x) for n floats (dx may be g). */
export function geluBackward(x: usize, g: usize, dx: usize, n: i32): void {
  const c = f32x4.splat(INV_SQRT_2PI);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const q = <usize>i << 2;
    const v = v128.load(x + q);
    const w = v128.load(x + q, 16);
    const ev = gauss(v);
    const ew = gauss(w);
    const dv = madd(f32x4.mul(v, c), ev, phi(v, ev));
    const dw = madd(f32x4.mul(w, c), ew, phi(w, ew));
    v128.store(dx + q, f32x4.mul(v128.load(g + q), dv));
    v128.store(dx + q, f32x4.mul(v128.load(g + q, 16), dw), 16);
  }
  for (; i + 4 <= n; i += 4) {
    const q = <usize>i << 2;
    const v = v128.load(x + q);
    const e = gauss(v);
    v128.store(dx + q, f32x4.mul(v128.load(g + q), madd(f32x4.mul(v, c), e, phi(v, e))));
  }
  if (i < n) {
    const q = <usize>i << 2;
    const v = loadTail(x + q, n - i);
    const e = gauss(v);
    storeTail(dx + q, f32x4.mul(loadTail(g + q, n - i), madd(f32x4.mul(v, c), e, phi(v, e))), n - i);
  }
}
