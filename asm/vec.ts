// Row kernels of the softmax family over a float row in linear memory (the JavaScript side copies
// the row in; src/engine/ops/vector.ts): the maximum, and exp(x - shift) with its sum.

/** Largest element of the n floats at ptr (-Infinity for n = 0; NaN when one is NaN). */
export function rowMax(ptr: usize, n: i32): f32 {
  let m = f32x4.splat(-Infinity);
  let i = 0;
  for (; i + 4 <= n; i += 4) m = f32x4.max(m, v128.load(ptr + (<usize>i << 2)));
  let r = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  for (; i < n; i++) r = max(r, load<f32>(ptr + (<usize>i << 2)));
  return r;
}

// exp for x <= 0 (Cephes expf): x = k ln2 + f, e^f by a degree-7 polynomial, 2^k in the exponent bits.
// Below -87.3 (2^-126) the result is 0.
@inline export function expV(x: v128): v128 {
  const lo = f32x4.splat(-87.3);
  const under = f32x4.lt(x, lo);
  const xc = f32x4.max(x, lo);
  const k = f32x4.nearest(f32x4.mul(xc, f32x4.splat(1.44269504088896341)));
  const y = expReduced(xc, k);
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(k), i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(y, scale), under);
}

/** e^(xc - k ln2) by expV's polynomial (k = round(xc / ln2)): expV without the 2^k and the underflow. */
@inline export function expReduced(xc: v128, k: v128): v128 {
  let f = f32x4.sub(xc, f32x4.mul(k, f32x4.splat(0.693359375)));
  f = f32x4.sub(f, f32x4.mul(k, f32x4.splat(-2.12194440e-4)));
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, f), f32x4.splat(5.0000001201e-1));
  return f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, f), f), f), f32x4.splat(1));
}

/**
 * Σ exp(x_i - shift) over the n floats at ptr, summed in double precision; with keep != 0 each
 * x_i is replaced by exp(x_i - shift). Accurate to about 2e-7 relative for x_i - shift <= 0.
 */
export function expSum(ptr: usize, n: i32, shift: f32, keep: i32): f64 {
  const s = f32x4.splat(shift);
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = ptr + (<usize>i << 2);
    const e = expV(f32x4.sub(v128.load(at), s));
    if (keep != 0) v128.store(at, e);
    acc0 = f64x2.add(acc0, f64x2.promote_low_f32x4(e));
    acc1 = f64x2.add(acc1, f64x2.promote_low_f32x4(v128.shuffle<f32>(e, e, 2, 3, 0, 1)));
  }
  const acc = f64x2.add(acc0, acc1);
  let sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < n; i++) {
    const at = ptr + (<usize>i << 2);
    const e = f32x4.extract_lane(expV(f32x4.splat(load<f32>(at) - shift)), 0);
    if (keep != 0) store<f32>(at, e);
    sum += <f64>e;
  }
  return sum;
}
