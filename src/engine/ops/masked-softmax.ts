/**
 * Masked scaled softmax over the last axis, the attention weights of scaled dot-product attention
 * (Vaswani et al. 2017, eq. 1): for scores x (B, ..., T, S), row (b, ..., t) is
 *
 *   y_j = exp(scale x_j) / Σ_{k valid} exp(scale x_k)   for valid j,   y_j = 0 otherwise,
 *
 * where key j is valid when j < lengths[b] (key padding) and, with `causal`, j <= t + S - T (a query
 * sees no later position: the decoder's self-attention, also when the T queries are the last T of
 * S positions, as in incremental decoding). Masked keys get exactly 0 weight and 0 gradient.
 * Backward: dx_j = scale y_j (g_j - Σ_k g_k y_k).
 *
 * The WebAssembly engine runs both directions in SIMD (asm/softmax.ts, row-kernels.ts); the loops
 * below are the TypeScript reference.
 */
import { onBackward, output, ShapeError, Tensor } from '../tensor.js';
import { rowKernelsFor } from '../row-kernels.js';
import { expNonPositive } from './elementwise.js';
import { scratch } from './util.js';

export interface MaskedSoftmaxOptions {
  /** Valid keys per leading index b (B entries, each in [0, S]); absent: all S keys. */
  lengths?: Int32Array;
  /** Query t of T sees keys j <= t + S - T only. */
  causal?: boolean;
  /** Factor applied to the scores before the softmax, e.g. 1/sqrt(dHead). Default 1; must be > 0. */
  scale?: number;
}

/** Reused buffer of per-row valid counts (grown on demand; decoding and training are synchronous). */
let lensBuffer = new Int32Array(1024);

/** Valid positions of every row of x (rows = size / S) into a shared buffer. */
function rowLengths(op: string, x: Tensor, opts: MaskedSoftmaxOptions): Int32Array {
  const s = x.lastDim;
  const t = x.shape[x.rank - 2] as number;
  const rows = s === 0 ? 0 : x.size / s;
  const groups = x.shape[0] as number;
  const lengths = opts.lengths;
  if (lengths !== undefined) {
    if (lengths.length !== groups) throw new ShapeError(op, `${lengths.length} lengths for ${groups} rows of the first axis`, x.shape, [lengths.length]);
    for (const len of lengths) if (!(Number.isInteger(len) && len >= 0 && len <= s)) throw new RangeError(`${op}: length ${len} outside [0, ${s}]`);
  }
  if (lensBuffer.length < rows) lensBuffer = new Int32Array(Math.max(rows, 2 * lensBuffer.length));
  const lens = lensBuffer;
  const perGroup = groups === 0 ? 0 : rows / groups;
  for (let r = 0; r < rows; r++) {
    let n = lengths === undefined ? s : (lengths[Math.floor(r / perGroup)] as number);
    if (opts.causal === true) n = Math.min(n, Math.max(0, (r % t) + s - t + 1));
    lens[r] = n;
  }
  return lens;
}

/** x (B, ..., T, S) -> the masked scaled softmax over S (same shape). */
export function maskedSoftmax(x: Tensor, opts: MaskedSoftmaxOptions = {}): Tensor {
  if (x.rank < 2) throw new ShapeError('maskedSoftmax', 'scores must be (B, ..., T, S)', x.shape);
  const scale = opts.scale ?? 1;
  if (!(scale > 0 && Number.isFinite(scale))) throw new RangeError(`maskedSoftmax: scale must be finite and > 0, got ${scale}`);
  const s = x.lastDim;
  const rows = s === 0 ? 0 : x.size / s;
  const out = output(x.shape, [x]);
  const y = out.data;
  const lens = rowLengths('maskedSoftmax', x, opts);
  if (!rowKernelsFor(x.size)?.maskedSoftmax(x.data, y, lens, rows, s, scale)) softmaxRows(x.data, y, lens, rows, s, scale);
  onBackward(out, () => {
    const g = out.grad;
    if (g === null || !x.requiresGrad) return;
    const rl = rowLengths('maskedSoftmax', x, opts);
    const { grad: dx, fresh } = x.gradTarget();
    const target = fresh ? dx : scratch(x.size);
    if (!rowKernelsFor(x.size)?.maskedSoftmaxBackward(y, g, target, rl, rows, s, scale)) softmaxRowsBackward(y, g, target, rl, rows, s, scale);
    if (!fresh) for (let i = 0; i < dx.length; i++) dx[i] += target[i] as number;
  });
  return out;
}

/** The TypeScript forward: y (rows, s) from x, lens valid positions per row. */
export function softmaxRows(x: Float32Array, y: Float32Array, lens: Int32Array, rows: number, s: number, scale: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * s;
    const n = lens[r] as number;
    let max = -Infinity;
    for (let j = 0; j < n; j++) if (x[o + j] > max) max = x[o + j];
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const e = expNonPositive(scale * (x[o + j] - max));
      y[o + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < n; j++) y[o + j] *= inv;
    y.fill(0, o + n, o + s);
  }
}

/** The TypeScript backward: dx (rows, s) written from y and g. */
export function softmaxRowsBackward(y: Float32Array, g: Float32Array, dx: Float32Array, lens: Int32Array, rows: number, s: number, scale: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * s;
    const n = lens[r] as number;
    let dot = 0;
    for (let j = 0; j < n; j++) dot += g[o + j] * y[o + j];
    for (let j = 0; j < n; j++) dx[o + j] = scale * y[o + j] * (g[o + j] - dot);
    dx.fill(0, o + n, o + s);
  }
}
