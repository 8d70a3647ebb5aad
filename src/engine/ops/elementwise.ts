/** Elementwise ops and reductions: add, sub, mul, scale, addN, tanh, sigmoid, relu, dropout, sum, mean. */
import type { Rng } from '../random.js';
import { onBackward, output, ShapeError, Tensor } from '../tensor.js';
import { sameShape, scratch } from './util.js';

/**
 * How `b` combines with `a`: 'same' (equal shapes) or 'bias' (b is (D), broadcast over the
 * leading dims of a (..., D)). Anything else is a ShapeError naming op and both shapes.
 */
function broadcastKind(op: string, a: Tensor, b: Tensor): 'same' | 'bias' {
  if (sameShape(a.shape, b.shape)) return 'same';
  if (b.rank === 1 && a.rank >= 1 && a.lastDim === b.shape[0]) return 'bias';
  throw new ShapeError(op, 'b must have the shape of a or be (D) with a (..., D)', a.shape, b.shape);
}

/** Adds g (shaped like a) into the gradient of b, summing over the leading dims when b is a bias. */
function accumulateBroadcast(b: Tensor, g: Float32Array, kind: 'same' | 'bias', sign: number): void {
  if (kind === 'same') {
    addInto(b, g, sign);
    return;
  }
  const db = b.ensureGrad();
  const d = db.length;
  for (let o = 0; o < g.length; o += d) for (let j = 0; j < d; j++) db[j] += sign * (g[o + j] as number);
}

/** a + b, b of a's shape or a bias (D) over a (..., D). */
export function add(a: Tensor, b: Tensor): Tensor {
  return addSub('add', a, b, 1);
}

/** a - b, b of a's shape or a bias (D) over a (..., D). */
export function sub(a: Tensor, b: Tensor): Tensor {
  return addSub('sub', a, b, -1);
}

function addSub(op: string, a: Tensor, b: Tensor, sign: number): Tensor {
  const kind = broadcastKind(op, a, b);
  const out = output(a.shape, [a, b]);
  const y = out.data;
  const x = a.data;
  const z = b.data;
  const d = z.length;
  if (kind === 'same') {
    for (let i = 0; i < y.length; i++) y[i] = x[i] + sign * z[i];
  } else {
    for (let i = 0; i < y.length; i++) y[i] = x[i] + sign * z[i % d];
  }
  onBackward(out, () => {
    const g = out.grad;
    if (g === null) return;
    // out's gradient is read by nothing after this: a (when its gradient is fresh) takes the buffer
    // itself instead of a copy, after b has read it.
    if (b.requiresGrad) accumulateBroadcast(b, g, kind, sign);
    if (a.requiresGrad) addOrAdopt(a, b, out, g);
  });
  return out;
}

/**
 * t's gradient += out's gradient g, in the backward of a sum whose other operand (which must have read g
 * already) is `other`: when t's gradient is fresh it takes g's buffer itself instead of a copy (nothing reads
 * out's gradient afterwards), unless t is `other` too (both would hold one buffer).
 */
function addOrAdopt(t: Tensor, other: Tensor, out: Tensor, g: Float32Array): void {
  if (!(t !== other && out.grad === g && t.adoptGrad(g))) addInto(t, g, 1);
}

/** t's gradient += sign · g (a copy when the gradient is fresh: no zeroing, no read). */
function addInto(t: Tensor, g: Float32Array, sign: number): void {
  const { grad, fresh } = t.gradTarget();
  if (fresh && sign === 1) grad.set(g);
  else if (fresh) for (let i = 0; i < g.length; i++) grad[i] = sign * (g[i] as number);
  else for (let i = 0; i < g.length; i++) grad[i] += sign * (g[i] as number);
}

/** a * b elementwise, b of a's shape or (D) broadcast over a (..., D). */
export function mul(a: Tensor, b: Tensor): Tensor {
  const kind = broadcastKind('mul', a, b);
  const out = output(a.shape, [a, b]);
  const y = out.data;
  const x = a.data;
  const z = b.data;
  const d = z.length;
  for (let i = 0; i < y.length; i++) y[i] = x[i] * z[kind === 'same' ? i : i % d];
  onBackward(out, () => {
    const g = out.grad;
    if (g === null) return;
    if (a.requiresGrad) {
      const da = a.ensureGrad();
      for (let i = 0; i < g.length; i++) da[i] += g[i] * z[kind === 'same' ? i : i % d];
    }
    if (b.requiresGrad) {
      const db = b.ensureGrad();
      for (let i = 0; i < g.length; i++) db[kind === 'same' ? i : i % d] += g[i] * x[i];
    }
  });
  return out;
}

/** x * s for a constant s. */
export function scale(x: Tensor, s: number): Tensor {
  const out = output(x.shape, [x]);
  const y = out.data;
  for (let i = 0; i < y.length; i++) y[i] = x.data[i] * s;
  onBackward(out, () => {
    const g = out.grad;
    if (g === null || !x.requiresGrad) return;
    const dx = x.ensureGrad();
    for (let i = 0; i < g.length; i++) dx[i] += g[i] * s;
  });
  return out;
}

/** Sum of tensors of one shape. */
export function addN(xs: readonly Tensor[]): Tensor {
  const first = xs[0];
  if (first === undefined) throw new ShapeError('addN', 'needs at least one tensor');
  for (const t of xs) {
    if (!sameShape(t.shape, first.shape)) throw new ShapeError('addN', 'shapes differ', first.shape, t.shape);
  }
  const out = output(first.shape, xs);
  const y = out.data;
  y.set(first.data);
  for (let j = 1; j < xs.length; j++) {
    const x = (xs[j] as Tensor).data;
    for (let i = 0; i < y.length; i++) y[i] += x[i];
  }
  onBackward(out, () => {
    const g = out.grad;
    if (g === null) return;
    for (const t of xs) {
      if (!t.requiresGrad) continue;
      const dt = t.ensureGrad();
      for (let i = 0; i < g.length; i++) dt[i] += g[i];
    }
  });
  return out;
}

/** tanh elementwise; backward uses the output: dx = g (1 - y²). */
export function tanh(x: Tensor): Tensor {
  const out = output(x.shape, [x]);
  const y = out.data;
  for (let i = 0; i < y.length; i++) y[i] = tanhValue(x.data[i]);
  onBackward(out, () => {
    const g = out.grad;
    if (g === null || !x.requiresGrad) return;
    const dx = x.ensureGrad();
    for (let i = 0; i < g.length; i++) dx[i] += g[i] * (1 - y[i] * y[i]);
  });
  return out;
}

/** Beyond this |x| tanhValue returns ±tanh(TANH_CLAMP) = ±(1 - 2.6e-7). */
const TANH_CLAMP = 7.90531110763549805;

/**
 * tanh by a rational minimax approximation (odd degree-13 over even degree-6 polynomial, the
 * coefficients of Eigen's float tanh), evaluated in double precision: within 3e-7 relative error of
 * Math.tanh everywhere (largest at the clamp), about 3x faster than Math.tanh in V8. NaN stays NaN.
 */
export function tanhValue(x: number): number {
  const v = x > TANH_CLAMP ? TANH_CLAMP : x < -TANH_CLAMP ? -TANH_CLAMP : x;
  const x2 = v * v;
  let p = x2 * -2.76076847742355e-16 + 2.00018790482477e-13;
  p = x2 * p - 8.60467152213735e-11;
  p = x2 * p + 5.12229709037114e-8;
  p = x2 * p + 1.48572235717979e-5;
  p = x2 * p + 6.37261928875436e-4;
  p = x2 * p + 4.89352455891786e-3;
  let q = x2 * 1.19825839466702e-6 + 1.18534705686654e-4;
  q = x2 * q + 2.268434632439e-3;
  q = x2 * q + 4.89352518554385e-3;
  return (v * p) / q;
}

/** 2^-i for i in [0, 127]. */
const POW2_NEG = Float64Array.from({ length: 128 }, (_, i) => 2 ** -i);
/** ln 2 split so that n * LN2_HI is exact for |n| < 2^11. */
const LN2_HI = 0.693145751953125;
const LN2_LO = 1.4286068203094173e-6;
const ROUNDER = 6755399441055744;

/**
 * exp(x) for x <= 0 (softmax after subtracting the maximum): x = n ln2 + f with |f| <= ln2/2 (n rounded to nearest, ties to even), e^f by
 * its degree-7 Taylor polynomial, times 2^n from a table. Within 1e-8 relative error of Math.exp
 * on [-87, 0] and about twice as fast; other inputs (x > 0, x < -87, NaN) go to Math.exp.
 */
export function expNonPositive(x: number): number {
  if (!(x > -87 && x <= 0)) return Math.exp(x);
  // Round to the nearest integer by adding and removing 1.5 * 2^52 (cheaper than Math.round).
  const n = x * Math.LOG2E + ROUNDER - ROUNDER;
  const f = x - n * LN2_HI - n * LN2_LO;
  let p = f * (1 / 5040) + 1 / 720;
  p = f * p + 1 / 120;
  p = f * p + 1 / 24;
  p = f * p + 1 / 6;
  p = f * p + 0.5;
  p = f * p + 1;
  p = f * p + 1;
  return p * (POW2_NEG[-n | 0] as number);
}

/** Logistic sigmoid, stable for large |x|. */
export function sigmoidValue(v: number): number {
  const e = expNonPositive(v >= 0 ? -v : v); // e^-|v|
  return v >= 0 ? 1 / (1 + e) : e / (1 + e);
}

/** sigmoid elementwise; dx = g y (1 - y). */
export function sigmoid(x: Tensor): Tensor {
  const out = output(x.shape, [x]);
  const y = out.data;
  for (let i = 0; i < y.length; i++) y[i] = sigmoidValue(x.data[i]);
  onBackward(out, () => {
    const g = out.grad;
    if (g === null || !x.requiresGrad) return;
    const dx = x.ensureGrad();
    for (let i = 0; i < g.length; i++) dx[i] += g[i] * y[i] * (1 - y[i]);
  });
  return out;
}

/** max(x, 0) elementwise (gradient 0 at x = 0). */
export function relu(x: Tensor): Tensor {
  const out = output(x.shape, [x]);
  const y = out.data;
  // On the bits, without branches (the signs of activations are random, so a branch mispredicts half the
  // time): a negative float has its sign bit set, and x & ~(x >> 31) clears all of it (-0 and negatives -> +0).
  const xi = bits(x.data);
  const yi = bits(y);
  for (let i = 0; i < yi.length; i++) {
    const v = xi[i] as number;
    yi[i] = v & ~(v >> 31);
  }
  onBackward(out, () => {
    const g = out.grad;
    if (g === null || !x.requiresGrad) return;
    // x > 0 exactly where the output's bits are > 0 (as an integer); -y >> 31 is then all ones.
    const { grad: dx, fresh } = x.gradTarget();
    if (fresh) {
      const gi = bits(g);
      const di = bits(dx);
      for (let i = 0; i < di.length; i++) di[i] = (gi[i] as number) & (-(yi[i] as number) >> 31);
    } else {
      reluAccumulate(bits(g), yi, dx);
    }
  });
  return out;
}

/** Elements per block of reluAccumulate's masked copy (16 KiB: stays in L1). */
const RELU_BLOCK = 4096;
const reluBlockF = new Float32Array(RELU_BLOCK);
const reluBlockI = new Int32Array(reluBlockF.buffer);

/**
 * dx += g where y > 0, without branches: a block of g with the other elements replaced by -0 (by their
 * bits: y's bits > 0 exactly where y > 0), then added (dx + -0 is dx, -0 and NaN included: bit for bit
 * the branchy loop's result).
 */
function reluAccumulate(gi: Int32Array, yi: Int32Array, dx: Float32Array): void {
  const n = dx.length;
  for (let b0 = 0; b0 < n; b0 += RELU_BLOCK) {
    const len = Math.min(RELU_BLOCK, n - b0);
    for (let j = 0; j < len; j++) {
      const m = -(yi[b0 + j] as number) >> 31;
      reluBlockI[j] = ((gi[b0 + j] as number) & m) | (~m & -0x80000000);
    }
    for (let j = 0; j < len; j++) dx[b0 + j] += reluBlockF[j] as number;
  }
}

/** The same memory as 32-bit integers (bit patterns of the floats). */
function bits(f: Float32Array): Int32Array {
  return new Int32Array(f.buffer, f.byteOffset, f.length);
}

/**
 * Inverted dropout: each element is zeroed with probability p and the survivors scaled by 1/(1-p),
 * drawing from `rng` (seeded, so runs repeat). Identity (the same tensor) when !training or p == 0.
 */
export function dropout(x: Tensor, p: number, rng: Rng, training: boolean): Tensor {
  if (!(p >= 0 && p < 1)) throw new RangeError(`dropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return x;
  const out = output(x.shape, [x]);
  const n = out.size;
  // Which elements were kept, one byte each (a quarter of a float mask's memory traffic).
  const kept = scratchBytes(n);
  const keep = Math.fround(1 / (1 - p));
  rng.dropoutApply(x.data, out.data, kept, n, p, keep);
  onBackward(out, () => {
    const g = out.grad;
    if (g === null || !x.requiresGrad) return;
    dropoutGrad(x, g, kept, keep);
  });
  return out;
}

/**
 * x + dropout(y, p, rng, training): a residual connection around a sublayer whose output y is dropped out,
 * in one pass without the dropped tensor in between: the same values, mask draws and gradients as
 * add(x, dropout(y, ...)). x and y of one shape.
 */
export function addDropout(x: Tensor, y: Tensor, p: number, rng: Rng, training: boolean): Tensor {
  if (!(p >= 0 && p < 1)) throw new RangeError(`addDropout: p must be in [0, 1), got ${p}`);
  if (!training || p === 0) return add(x, y);
  if (!sameShape(x.shape, y.shape)) throw new ShapeError('addDropout', 'x and y must have one shape', x.shape, y.shape);
  const out = output(x.shape, [x, y]);
  const n = out.size;
  const kept = scratchBytes(n);
  const keep = Math.fround(1 / (1 - p));
  rng.dropoutApply(y.data, out.data, kept, n, p, keep, x.data);
  onBackward(out, () => {
    const g = out.grad;
    if (g === null) return;
    if (y.requiresGrad) dropoutGrad(y, g, kept, keep);
    if (x.requiresGrad) addOrAdopt(x, y, out, g);
  });
  return out;
}

/**
 * t's gradient (+)= g · mask with mask = kept·keep, as a float mask multiplies (+ 0 where it is written
 * fresh: it then holds what 0 + g·mask gives, +0 where g·mask is -0, as a zeroed gradient did).
 */
function dropoutGrad(t: Tensor, g: Float32Array, kept: Uint8Array, keep: number): void {
  const { grad, fresh } = t.gradTarget();
  const n = grad.length;
  if (fresh) for (let i = 0; i < n; i++) grad[i] = (g[i] as number) * ((kept[i] as number) * keep) + 0;
  else for (let i = 0; i < n; i++) grad[i] += (g[i] as number) * ((kept[i] as number) * keep);
}

/** A scratch buffer of n bytes, contents undefined (the arena's floats seen as bytes). */
function scratchBytes(n: number): Uint8Array {
  const f = scratch(Math.ceil(n / 4));
  return new Uint8Array(f.buffer, f.byteOffset, n);
}

/** Sum of all elements -> scalar (shape []). */
export function sum(x: Tensor): Tensor {
  return reduce(x, 1);
}

/** Mean of all elements -> scalar (shape []). */
export function mean(x: Tensor): Tensor {
  if (x.size === 0) throw new ShapeError('mean', 'mean of an empty tensor', x.shape);
  return reduce(x, 1 / x.size);
}

function reduce(x: Tensor, factor: number): Tensor {
  const out = output([], [x]);
  let s = 0;
  for (let i = 0; i < x.size; i++) s += x.data[i];
  out.data[0] = s * factor;
  onBackward(out, () => {
    const g = out.grad;
    if (g === null || !x.requiresGrad) return;
    const dx = x.ensureGrad();
    const v = g[0] * factor;
    for (let i = 0; i < dx.length; i++) dx[i] += v;
  });
  return out;
}
