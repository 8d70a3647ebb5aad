/** softmax and logSoftmax over the last axis (optionally length-masked), and the fused cross-entropy loss. */
import { onBackward, output, ShapeError, Tensor } from '../tensor.js';
import { expNonPositive } from './elementwise.js';
import { scratch } from './util.js';
import { expRow, rowsKernelFor } from './vector.js';

export interface SoftmaxOptions {
  /**
   * Real lengths along the last axis. One entry per group of rows: for x (B, S) one per row, for
   * x (B, T, S) B entries each covering T consecutive rows. Positions >= length get probability
   * exactly 0 (logSoftmax: -Infinity) and zero gradient.
   */
  lengths?: Int32Array;
}

/** For each of the `rows` rows, the number of valid positions (the whole row without lengths). */
function rowLimit(op: string, x: Tensor, rows: number, lengths: Int32Array | undefined): (r: number) => number {
  const d = x.lastDim;
  if (lengths === undefined) return () => d;
  if (lengths.length === 0 || rows % lengths.length !== 0) {
    throw new ShapeError(op, `${lengths.length} lengths do not divide the ${rows} rows`, x.shape, [lengths.length]);
  }
  for (const len of lengths) {
    if (!(len >= 0 && len <= d)) throw new RangeError(`${op}: length ${len} outside [0, ${d}]`);
  }
  const per = rows / lengths.length;
  return (r) => lengths[Math.floor(r / per)] as number;
}

/**
 * One row of a masked softmax: y[o + j] = softmax of x[o .. o + len) for j < len, 0 for len <= j < width.
 * y may be x (in place).
 */
export function maskedSoftmaxRow(x: Float32Array, y: Float32Array, o: number, len: number, width: number): void {
  let max = -Infinity;
  for (let j = 0; j < len; j++) if (x[o + j] > max) max = x[o + j];
  let s = 0;
  for (let j = 0; j < len; j++) {
    const e = expNonPositive(x[o + j] - max);
    y[o + j] = e;
    s += e;
  }
  const inv = 1 / s;
  for (let j = 0; j < len; j++) y[o + j] *= inv;
  for (let j = len; j < width; j++) y[o + j] = 0;
}

/** Softmax over the last axis: x (..., L) -> (..., L), rows sum to 1 over their valid positions. */
export function softmax(x: Tensor, opts: SoftmaxOptions = {}): Tensor {
  const d = x.lastDim;
  const rows = d === 0 ? 0 : x.size / d;
  const limit = rowLimit('softmax', x, rows, opts.lengths);
  const out = output(x.shape, [x]);
  const y = out.data;
  const xs = x.data;
  for (let r = 0; r < rows; r++) maskedSoftmaxRow(xs, y, r * d, limit(r), d);
  onBackward(out, () => {
    const g = out.grad;
    if (g === null || !x.requiresGrad) return;
    const dx = x.ensureGrad();
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      const len = limit(r);
      let dot = 0;
      for (let j = 0; j < len; j++) dot += g[o + j] * y[o + j];
      for (let j = 0; j < len; j++) dx[o + j] += y[o + j] * (g[o + j] - dot);
    }
  });
  return out;
}

/** log softmax over the last axis; masked positions are -Infinity with zero gradient. */
export function logSoftmax(x: Tensor, opts: SoftmaxOptions = {}): Tensor {
  const d = x.lastDim;
  const rows = d === 0 ? 0 : x.size / d;
  const limit = rowLimit('logSoftmax', x, rows, opts.lengths);
  const out = output(x.shape, [x]);
  const y = out.data;
  const xs = x.data;
  const bulk = opts.lengths === undefined && rows > 1 && rowsKernelFor(d)?.logSoftmax(xs, rows, d, y) === true;
  for (let r = 0; r < (bulk ? 0 : rows); r++) {
    const o = r * d;
    const len = limit(r);
    const lse = logSumExp(xs, o, len);
    for (let j = 0; j < len; j++) y[o + j] = xs[o + j] - lse;
    for (let j = len; j < d; j++) y[o + j] = -Infinity;
  }
  onBackward(out, () => {
    const g = out.grad;
    if (g === null || !x.requiresGrad) return;
    const dx = x.ensureGrad();
    for (let r = 0; r < rows; r++) {
      const o = r * d;
      const len = limit(r);
      let gs = 0;
      for (let j = 0; j < len; j++) gs += g[o + j];
      for (let j = 0; j < len; j++) dx[o + j] += g[o + j] - expNonPositive(y[o + j]) * gs;
    }
  });
  return out;
}

/** log Σ exp(v[o .. o+len)) computed stably (-Infinity for len 0). */
export function logSumExp(v: Float32Array, o: number, len: number): number {
  const { max, sum } = expRow(v, o, len);
  if (max === -Infinity) return -Infinity;
  return max + Math.log(sum);
}

export interface CrossEntropyOptions {
  /** ε of label smoothing (Szegedy et al. 2016): the target distribution is (1-ε)·onehot + ε/V. Default 0. */
  labelSmoothing?: number;
  /** Rows whose target is this id contribute nothing and get zero gradient. Default 0 (PAD); -1 ignores none. */
  ignoreIndex?: number;
}

export interface CrossEntropyResult {
  /** Scalar: SUM over non-ignored rows of the (smoothed) cross-entropy. */
  loss: Tensor;
  /** Sum over non-ignored rows of -log p(target), without smoothing. */
  nll: number;
  /** Number of non-ignored rows. */
  count: number;
}

/**
 * Fused log-softmax + cross-entropy: logits (N, V), targets (N). Per row with q = (1-ε)·onehot(t) + ε/V:
 * loss = -Σ_j q_j log p_j = (1-ε)(-log p_t) + (ε/V) Σ_j (-log p_j); gradient wrt logits p - q.
 */
export function crossEntropy(logits: Tensor, targets: Int32Array, opts: CrossEntropyOptions = {}): CrossEntropyResult {
  if (logits.rank !== 2) throw new ShapeError('crossEntropy', 'logits must be (N, V)', logits.shape, [targets.length]);
  const n = logits.shape[0] as number;
  const v = logits.shape[1] as number;
  if (targets.length !== n) {
    throw new ShapeError('crossEntropy', 'one target per row of logits', logits.shape, [targets.length]);
  }
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 1)) throw new RangeError(`crossEntropy: labelSmoothing must be in [0, 1), got ${eps}`);
  const ignore = opts.ignoreIndex ?? 0;
  const xs = logits.data;
  // With a gradient to come, e_j = exp(x_j - max) of each row is kept (N, V) with 1/Σe per row, so
  // the backward is one pass without exp: dx_j = gs (e_j / Σe - ε/V) - gs (1-ε) [j = t].
  const keep = logits.requiresGrad;
  const probs = keep ? scratch(n * v) : null;
  const inv = scratch(n);
  let loss = 0;
  let nll = 0;
  let count = 0;
  // Every row at once when the engine can (the same numbers as row by row).
  const rowMax = n > 1 ? new Float64Array(n) : null;
  const rowSum = n > 1 ? new Float64Array(n) : null;
  const bulk = rowMax !== null && rowSum !== null && rowsKernelFor(v)?.exp(xs, n, v, probs, rowMax, rowSum) === true;
  for (let r = 0; r < n; r++) {
    const t = targets[r] as number;
    if (t === ignore) continue;
    if (!(t >= 0 && t < v)) throw new RangeError(`crossEntropy: target ${t} in row ${r} outside [0, ${v})`);
    const o = r * v;
    const { max, sum } = bulk ? { max: rowMax[r] as number, sum: rowSum[r] as number } : expRow(xs, o, v, probs, o);
    inv[r] = 1 / sum;
    // max = -Infinity (every logit -Infinity): log Σ exp is -Infinity, as logSumExp gives.
    const l = max === -Infinity ? -Infinity : max + Math.log(sum);
    const tokNll = l - xs[o + t];
    nll += tokNll;
    count++;
    // Σ_j (l - x_j) = V l - Σ_j x_j
    if (eps > 0) {
      let sumX = 0;
      for (let j = 0; j < v; j++) sumX += xs[o + j];
      loss += (1 - eps) * tokNll + (eps / v) * (v * l - sumX);
    } else {
      loss += tokNll;
    }
  }
  const out = output([], [logits]);
  out.data[0] = loss;
  onBackward(out, () => {
    const g = out.grad;
    if (g === null || !logits.requiresGrad || probs === null) return;
    const gs = g[0];
    // Usually the first gradient of the logits: written, not added (no zeroing pass over N x V).
    const { grad: dx, fresh } = logits.gradTarget();
    const smooth = gs * (eps / v);
    for (let r = 0; r < n; r++) {
      const t = targets[r] as number;
      const o = r * v;
      if (t === ignore) {
        if (fresh) dx.fill(0, o, o + v);
        continue;
      }
      const scale = gs * inv[r];
      if (fresh) for (let j = 0; j < v; j++) dx[o + j] = scale * probs[o + j] - smooth;
      else for (let j = 0; j < v; j++) dx[o + j] += scale * probs[o + j] - smooth;
      dx[o + t] -= gs * (1 - eps);
    }
  });
  return { loss: out, nll, count };
}
