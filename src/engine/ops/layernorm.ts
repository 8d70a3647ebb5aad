/**
 * Layer normalization over the last axis (Ba et al. 2016), as the Transformer uses it:
 *
 *   y = (x - mean) / sqrt(var + eps) · gamma + beta,   mean and var (biased) over the D features of a row
 *
 * x (..., D), gamma and beta (D). Backward, with x̂ = (x - mean)·rstd and g = dy·gamma per row:
 *   dx = rstd (g - mean(g) - x̂ mean(g x̂)),  dgamma = Σ_rows dy x̂,  dbeta = Σ_rows dy.
 * Forward and backward are each one fused pass per row in WebAssembly SIMD (asm/layernorm.ts) once the
 * engine is loaded; the loops below are the TypeScript reference (float64 row sums).
 */
import { rowKernelsFor } from '../row-kernels.js';
import { onBackward, output, ShapeError, Tensor } from '../tensor.js';
import { rowsOf, scratch } from './util.js';

/** Default epsilon (PyTorch's nn.LayerNorm). */
export const LAYER_NORM_EPS = 1e-5;

export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, eps = LAYER_NORM_EPS): Tensor {
  const d = x.lastDim;
  if (x.rank < 1 || gamma.rank !== 1 || beta.rank !== 1 || gamma.shape[0] !== d || beta.shape[0] !== d) {
    throw new ShapeError('layerNorm', `gamma and beta must be (${d}) for x (..., ${d})`, x.shape, gamma.shape, beta.shape);
  }
  if (!(eps > 0)) throw new RangeError(`layerNorm: eps must be > 0, got ${eps}`);
  const rows = rowsOf(x);
  const out = output(x.shape, [x, gamma, beta]);
  const stats = scratch(rows * 2); // (mean, rstd) per row
  if (!rowKernelsFor(x.size)?.layerNorm(x.data, gamma.data, beta.data, out.data, stats, rows, d, eps)) {
    layerNormRows(x.data, gamma.data, beta.data, out.data, stats, rows, d, eps);
  }
  onBackward(out, () => {
    const g = out.grad;
    if (g === null) return;
    const dgamma = gamma.requiresGrad ? gamma.ensureGrad() : null;
    const dbeta = beta.requiresGrad ? beta.ensureGrad() : null;
    let dx: Float32Array;
    let fresh = true;
    if (x.requiresGrad) ({ grad: dx, fresh } = x.gradTarget());
    else dx = scratch(x.size);
    // A gradient that is not fresh (pre-norm: the residual add's came first) gets the result added.
    if (rowKernelsFor(x.size)?.layerNormBackward(x.data, g, gamma.data, stats, rows, d, dx, dgamma, dbeta, !fresh)) return;
    const target = fresh ? dx : scratch(x.size);
    layerNormRowsBackward(x.data, g, gamma.data, stats, rows, d, target, dgamma, dbeta);
    if (!fresh) for (let i = 0; i < dx.length; i++) dx[i] += target[i] as number;
  });
  return out;
}

/** The TypeScript forward: y (rows, d) and stats (rows, 2). */
export function layerNormRows(
  x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, stats: Float32Array, rows: number, d: number, eps: number,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    let sum = 0;
    for (let j = 0; j < d; j++) sum += x[o + j] as number;
    const mean = sum / d;
    let sq = 0;
    for (let j = 0; j < d; j++) sq += (x[o + j] - mean) ** 2;
    const rstd = 1 / Math.sqrt(sq / d + eps);
    stats[2 * r] = mean;
    stats[2 * r + 1] = rstd;
    for (let j = 0; j < d; j++) y[o + j] = (x[o + j] - mean) * rstd * gamma[j] + beta[j];
  }
}

/** The TypeScript backward: dx written; the row sums added to dgamma and dbeta (when not null). */
export function layerNormRowsBackward(
  x: Float32Array, dy: Float32Array, gamma: Float32Array, stats: Float32Array, rows: number, d: number,
  dx: Float32Array, dgamma: Float32Array | null, dbeta: Float32Array | null,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    const mean = stats[2 * r] as number;
    const rstd = stats[2 * r + 1] as number;
    let a = 0;
    let b = 0;
    for (let j = 0; j < d; j++) {
      const xh = (x[o + j] - mean) * rstd;
      const g = dy[o + j] * gamma[j];
      a += g;
      b += g * xh;
      if (dgamma !== null) dgamma[j] += dy[o + j] * xh;
      if (dbeta !== null) dbeta[j] += dy[o + j] as number;
    }
    a /= d;
    b /= d;
    for (let j = 0; j < d; j++) {
      const xh = (x[o + j] - mean) * rstd;
      dx[o + j] = rstd * (dy[o + j] * gamma[j] - a - xh * b);
    }
  }
}
