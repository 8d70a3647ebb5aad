/**
 * Seeded parameter initializers. Each fills a tensor in place from an Rng and returns it:
 * the same seed gives the same numbers on every platform.
 */
import type { Rng } from './random.js';
import { ShapeError, type Tensor } from './tensor.js';

/** U(-a, a) for every element. */
export function uniform(t: Tensor, a: number, rng: Rng): Tensor {
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = rng.uniform(-a, a);
  return t;
}

/**
 * Glorot and Bengio 2010: U(-a, a) with a = sqrt(6 / (fanIn + fanOut)). For a 2-D weight (In, Out)
 * the fans default to its two dimensions.
 */
export function xavierUniform(t: Tensor, rng: Rng, fanIn?: number, fanOut?: number): Tensor {
  const fi = fanIn ?? (t.rank === 2 ? (t.shape[0] as number) : undefined);
  const fo = fanOut ?? (t.rank === 2 ? (t.shape[1] as number) : undefined);
  if (fi === undefined || fo === undefined || !(fi + fo > 0)) {
    throw new ShapeError('xavierUniform', 'give fanIn and fanOut for a tensor that is not 2-D', t.shape);
  }
  return uniform(t, Math.sqrt(6 / (fi + fo)), rng);
}

export interface OrthogonalOptions {
  /** Multiplier of the orthogonal matrices. Default 1. */
  gain?: number;
  /**
   * Number of blocks side by side along the columns, each orthogonalized on its own. Default: C/R
   * when the width C is a multiple of the height R (recurrent weights (H, G·H): one H x H block per gate), else 1.
   */
  blocks?: number;
}

/**
 * Orthogonal initialization (Saxe et al. 2014) of a 2-D tensor (R, C): each (R, C/blocks) block gets
 * orthonormal columns (or rows, when wider than tall), by modified Gram-Schmidt (run twice) on a
 * standard normal matrix in float64 — the Q of a QR factorization.
 */
export function orthogonal(t: Tensor, rng: Rng, opts: OrthogonalOptions = {}): Tensor {
  if (t.rank !== 2) throw new ShapeError('orthogonal', 'needs a 2-D tensor', t.shape);
  const rows = t.shape[0] as number;
  const cols = t.shape[1] as number;
  const blocks = opts.blocks ?? (rows > 0 && cols % rows === 0 ? cols / rows : 1);
  if (!(Number.isInteger(blocks) && blocks >= 1 && cols % blocks === 0)) {
    throw new ShapeError('orthogonal', `${blocks} blocks do not divide the ${cols} columns`, t.shape);
  }
  const gain = opts.gain ?? 1;
  const width = cols / blocks;
  const tall = rows >= width;
  const count = tall ? width : rows; // orthonormal vectors per block
  const dim = tall ? rows : width; // their length
  for (let k = 0; k < blocks; k++) {
    const q = orthonormalVectors(count, dim, rng);
    for (let v = 0; v < count; v++) {
      for (let e = 0; e < dim; e++) {
        const r = tall ? e : v;
        const c = tall ? v : e;
        t.data[r * cols + k * width + c] = gain * (q[v * dim + e] as number);
      }
    }
  }
  return t;
}

/** `count` orthonormal vectors of length `dim` (count <= dim), row-major, from Gaussian draws. */
function orthonormalVectors(count: number, dim: number, rng: Rng): Float64Array {
  const q = new Float64Array(count * dim);
  for (let v = 0; v < count; v++) {
    const o = v * dim;
    for (;;) {
      for (let e = 0; e < dim; e++) q[o + e] = rng.normal();
      const raw = norm(q, o, dim);
      for (let pass = 0; pass < 2; pass++) {
        for (let u = 0; u < v; u++) {
          let dot = 0;
          for (let e = 0; e < dim; e++) dot += (q[u * dim + e] as number) * (q[o + e] as number);
          for (let e = 0; e < dim; e++) q[o + e] -= dot * (q[u * dim + e] as number);
        }
      }
      const n = norm(q, o, dim);
      if (n > 1e-6 * raw) {
        for (let e = 0; e < dim; e++) q[o + e] /= n;
        break;
      }
    }
  }
  return q;
}

function norm(x: Float64Array, o: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += (x[o + i] as number) ** 2;
  return Math.sqrt(s);
}

/** All elements 0. */
export function zeros(t: Tensor): Tensor {
  t.data.fill(0);
  return t;
}
