/**
 * The output layer and its label-smoothed cross-entropy in one op: logits = h·op(w) + b over N rows,
 * log-softmax, and the loss of `crossEntropy` (same smoothing, ignored rows and sum), with the
 * gradients of `linear` followed by `crossEntropy`. With the WebAssembly engine the N x V logits are
 * written once, in its memory, and never leave it (wasm-output.ts): the product, then one kernel per
 * block of rows (asm/crossentropy.ts) turns them in place into G = softmax - smoothed target; the
 * backward runs dh = gs·G·op(w)ᵀ, dw and the bias gradient (a column of ones beside h) from G where
 * it sits. Without the engine, for small products, and for a row whose maximum logit is not finite,
 * it is `crossEntropy(linear(h, w, b))` itself.
 */
import { countFlops } from '../gemm.js';
import { onBackward, output, ShapeError, Tensor } from '../tensor.js';
import { linear } from '../ops/linalg.js';
import { crossEntropy, type CrossEntropyOptions, type CrossEntropyResult } from '../ops/softmax.js';

export interface OutputCrossEntropyOptions extends CrossEntropyOptions {
  /** w is stored (V, D) and used transposed (tied embeddings), as `linear`'s option. */
  transposed?: boolean;
}

/** What the engine's kernel is given: h (n, d), w (d, v) or with `transposed` (v, d), bias (v) or null. */
export interface OutputCeArgs {
  h: Float32Array;
  w: Float32Array;
  bias: Float32Array | null;
  targets: Int32Array;
  n: number;
  d: number;
  v: number;
  transposed: boolean;
  eps: number;
  ignore: number;
  /** A backward will follow (the kernel keeps G in its memory until then). */
  keep: boolean;
}

/** The forward's results: per non-ignored row max, Σ exp(x - max), Σ x and the target's logit. */
export interface OutputCeRows {
  max: Float64Array;
  sum: Float64Array;
  sumX: Float64Array;
  xt: Float32Array;
  /** 1 for a row in the loss, 0 for an ignored one. */
  used: Uint8Array;
  /**
   * Adds gs·(the gradients) to dh (or writes them when `dhFresh`), dw and db (each when not null), from
   * the G the forward left in the engine's memory (computed again if something took its place).
   */
  backward(gs: number, dh: Float32Array | null, dhFresh: boolean, dw: Float32Array | null, db: Float32Array | null): void;
}

/** The engine's fused kernel: null when it cannot run (memory, a row with no finite maximum; nothing kept). */
export type OutputCeKernel = (args: OutputCeArgs) => OutputCeRows | null;

let kernel: OutputCeKernel | null = null;

/** Installs (or with null removes) the engine's kernel. */
export function setOutputCeKernel(next: OutputCeKernel | null): void {
  kernel = next;
}

/** The installed kernel (null before initEngine). */
export function installedOutputCeKernel(): OutputCeKernel | null {
  return kernel;
}

/** Products of fewer logits (N·V) take the reference path (linear then crossEntropy). */
export const OUTPUT_CE_MIN = 4096;

/**
 * h (N, D), w (D, V) (or `transposed`: (V, D)), bias (V), targets (N) -> the loss of
 * `crossEntropy(linear(h, w, bias, { transposed }), targets, opts)` with its gradients wrt h, w and bias.
 */
export function outputCrossEntropy(h: Tensor, w: Tensor, bias: Tensor | undefined, targets: Int32Array, opts: OutputCrossEntropyOptions = {}): CrossEntropyResult {
  const transposed = opts.transposed ?? false;
  if (h.rank !== 2 || w.rank !== 2) throw new ShapeError('outputCrossEntropy', 'h must be (N, D) and w (D, V) or transposed (V, D)', h.shape, w.shape);
  const n = h.shape[0] as number;
  const d = h.shape[1] as number;
  const v = w.shape[transposed ? 0 : 1] as number;
  if (w.shape[transposed ? 1 : 0] !== d) throw new ShapeError('outputCrossEntropy', `weight must have ${d} inputs`, h.shape, w.shape);
  if (bias !== undefined && (bias.rank !== 1 || bias.shape[0] !== v)) throw new ShapeError('outputCrossEntropy', `bias must be (${v})`, w.shape, bias.shape);
  if (targets.length !== n) throw new ShapeError('outputCrossEntropy', 'one target per row of h', h.shape, [targets.length]);
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps < 1)) throw new RangeError(`outputCrossEntropy: labelSmoothing must be in [0, 1), got ${eps}`);
  const ignore = opts.ignoreIndex ?? 0;
  for (let r = 0; r < n; r++) {
    const t = targets[r] as number;
    if (t !== ignore && !(t >= 0 && t < v)) throw new RangeError(`outputCrossEntropy: target ${t} in row ${r} outside [0, ${v})`);
  }
  const reference = (): CrossEntropyResult => crossEntropy(linear(h, w, bias, { transposed }), targets, { labelSmoothing: eps, ignoreIndex: ignore });
  if (kernel === null || d === 0 || n * v < OUTPUT_CE_MIN) return reference();
  const out = output([], bias === undefined ? [h, w] : [h, w, bias]);
  const args: OutputCeArgs = { h: h.data, w: w.data, bias: bias?.data ?? null, targets, n, d, v, transposed, eps, ignore, keep: out.requiresGrad };
  const rows = kernel(args);
  if (rows === null) return reference();
  countFlops(n, v, d);
  // The loss as crossEntropy sums it, from the kernel's per-row numbers.
  let loss = 0;
  let nll = 0;
  let count = 0;
  for (let r = 0; r < n; r++) {
    if (rows.used[r] === 0) continue;
    const l = (rows.max[r] as number) + Math.log(rows.sum[r] as number);
    const tokNll = l - (rows.xt[r] as number);
    nll += tokNll;
    count++;
    loss += eps > 0 ? (1 - eps) * tokNll + (eps / v) * (v * l - (rows.sumX[r] as number)) : tokNll;
  }
  out.data[0] = loss;
  if (out.requiresGrad) {
    onBackward(out, () => {
      const g = out.grad;
      if (g === null) return;
      const target = h.requiresGrad ? h.gradTarget() : null;
      const dw = w.requiresGrad ? w.ensureGrad() : null;
      const db = bias !== undefined && bias.requiresGrad ? bias.ensureGrad() : null;
      if (target !== null) countFlops(n, d, v);
      if (dw !== null || db !== null) countFlops(d + 1, v, n);
      rows.backward(g[0] as number, target?.grad ?? null, target?.fresh ?? false, dw, db);
    });
  }
  return { loss: out, nll, count };
}
