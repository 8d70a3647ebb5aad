/**
 * Token embeddings with their positions (Vaswani et al. 2017, sections 3.4 and 3.5): the embedding of
 * the token at position p is scaled by sqrt(D) and the position's vector is added,
 *
 *   x_p = sqrt(D) · E[token_p] + PE[p],
 *
 * with PE either fixed sinusoids, PE[p, 2i] = sin(p / 10000^(2i/D)), PE[p, 2i+1] = cos(p / 10000^(2i/D))
 * (any length, no parameters), or a learned table (<prefix>.positions.weight (maxPositions, D)).
 */
import { onBackward, output, ShapeError, Tensor } from '../../engine/tensor.js';
import type { ParamStore } from '../params.js';

/** Rows [0, n) of the sinusoid table of width d. */
export function sinusoids(n: number, d: number): Float32Array {
  const out = new Float32Array(n * d);
  for (let p = 0; p < n; p++) {
    for (let i = 0; i < d; i += 2) {
      const angle = p / Math.pow(10000, i / d);
      out[p * d + i] = Math.sin(angle);
      if (i + 1 < d) out[p * d + i + 1] = Math.cos(angle);
    }
  }
  return out;
}

/**
 * emb (B, L, D) · scale + table[offset + l] for every position l -> (B, L, D). The gradient reaches
 * emb (times scale) and, when it is a parameter, the table rows that were used (summed over B).
 */
export function addPositions(emb: Tensor, table: Tensor, offset: number, scale: number): Tensor {
  if (emb.rank !== 3 || table.rank !== 2 || table.shape[1] !== emb.shape[2]) {
    throw new ShapeError('addPositions', 'emb must be (B, L, D) and the table (P, D)', emb.shape, table.shape);
  }
  const [b, l, d] = emb.shape as [number, number, number];
  if (offset + l > (table.shape[0] as number)) {
    throw new RangeError(`addPositions: positions ${offset}..${offset + l - 1} exceed the table's ${table.shape[0]} rows`);
  }
  const out = output(emb.shape, [emb, table]);
  const y = out.data;
  const x = emb.data;
  const pe = table.data;
  for (let i = 0; i < b; i++) {
    for (let p = 0; p < l; p++) {
      const o = (i * l + p) * d;
      const po = (offset + p) * d;
      for (let j = 0; j < d; j++) y[o + j] = x[o + j] * scale + pe[po + j];
    }
  }
  onBackward(out, () => {
    const g = out.grad;
    if (g === null) return;
    if (emb.requiresGrad) {
      const dx = emb.ensureGrad();
      for (let i = 0; i < g.length; i++) dx[i] += g[i] * scale;
    }
    if (table.requiresGrad) {
      const dt = table.ensureGrad();
      for (let i = 0; i < b; i++) {
        for (let p = 0; p < l; p++) {
          const o = (i * l + p) * d;
          const po = (offset + p) * d;
          for (let j = 0; j < d; j++) dt[po + j] += g[o + j] as number;
        }
      }
    }
  });
  return out;
}

/** The position vectors of a model: sinusoids (grown on demand) or a learned table. */
export class Positions {
  private table: Tensor;
  private readonly learned: boolean;

  /**
   * learned: registers <prefix>.positions.weight (maxPositions, D), initialized like the embeddings
   * (uniform with std D^-1/2); sinusoidal: no parameters.
   */
  constructor(kind: 'sinusoidal' | 'learned', private readonly d: number, maxPositions: number, params: ParamStore, prefix: string) {
    this.learned = kind === 'learned';
    this.table = this.learned
      ? params.uniform(`${prefix}.positions.weight`, [maxPositions, d], Math.sqrt(3 / d))
      : new Tensor(sinusoids(64, d), [64, d]);
  }

  /** sqrt(D) · emb + positions [offset, offset + L) for emb (B, L, D). */
  add(emb: Tensor, offset: number): Tensor {
    const need = offset + (emb.shape[1] as number);
    const rows = this.table.shape[0] as number;
    if (need > rows) {
      if (this.learned) {
        throw new RangeError(`position ${need - 1} is beyond the learned position table (model.maxPositions ${rows})`);
      }
      const n = Math.max(need, 2 * rows);
      this.table = new Tensor(sinusoids(n, this.d), [n, this.d]);
    }
    return addPositions(emb, this.table, offset, Math.sqrt(this.d));
  }
}
