/** Gathering and rearranging: embedding, concat, slice (last axis), stack, unstack, reshape. */
import { onBackward, output, shapeSize, ShapeError, Tensor } from '../tensor.js';
import { requireRank, sameShape } from './util.js';

/**
 * Row lookup: weight (V, E), ids (n) with n = product of `shape` (e.g. [B, S]) -> (...shape, E).
 * The gradient is a scatter-add into the rows of weight that were looked up (others untouched).
 */
export function embedding(weight: Tensor, ids: Int32Array, shape: readonly number[]): Tensor {
  requireRank('embedding', weight, 2, 'weight');
  if (shapeSize(shape) !== ids.length) {
    throw new ShapeError('embedding', `${ids.length} ids do not fill the requested shape`, [ids.length], shape);
  }
  const vocab = weight.shape[0] as number;
  const e = weight.shape[1] as number;
  const out = output([...shape, e], [weight]);
  lookupRows(weight.data, vocab, e, ids, out.data, null);
  onBackward(out, () => {
    const g = out.grad;
    if (g === null || !weight.requiresGrad) return;
    const dw = weight.ensureGrad();
    for (let i = 0; i < ids.length; i++) {
      const o = (ids[i] as number) * e;
      const go = i * e;
      for (let j = 0; j < e; j++) dw[o + j] += g[go + j];
    }
  });
  return out;
}

/**
 * Row i of `out` (n x width, n = ids.length) = row ids[i] of `table` (vocab x width), plus row i of `plus` when
 * given (table value first, as `add` sums them); an id outside [0, vocab) is a RangeError naming it. The lookup of
 * `embedding`, and of the decoder's table of input projections (model/decoder.ts, fused/gru.ts gruFeedCellRows).
 */
export function lookupRows(table: Float32Array, vocab: number, width: number, ids: Int32Array, out: Float32Array, plus: Float32Array | null): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    if (!(id >= 0 && id < vocab)) throw new RangeError(`embedding: id ${id} at position ${i} outside [0, ${vocab})`);
    const o = i * width;
    const t = id * width;
    if (plus === null) out.set(table.subarray(t, t + width), o);
    else for (let j = 0; j < width; j++) out[o + j] = (table[t + j] as number) + (plus[o + j] as number);
  }
}

/** Joins tensors along the last axis; all leading dims must agree: (..., D1), (..., D2) -> (..., D1+D2). */
export function concat(xs: readonly Tensor[]): Tensor {
  const first = xs[0];
  if (first === undefined) throw new ShapeError('concat', 'needs at least one tensor');
  const lead = first.shape.slice(0, -1);
  let total = 0;
  for (const t of xs) {
    if (t.rank !== first.rank || !sameShape(t.shape.slice(0, -1), lead)) {
      throw new ShapeError('concat', 'leading dims differ', first.shape, t.shape);
    }
    total += t.lastDim;
  }
  const rows = shapeSize(lead);
  const out = output([...lead, total], xs);
  const y = out.data;
  let col = 0;
  for (const t of xs) {
    const d = t.lastDim;
    for (let r = 0; r < rows; r++) y.set(t.data.subarray(r * d, r * d + d), r * total + col);
    col += d;
  }
  onBackward(out, () => {
    const g = out.grad;
    if (g === null) return;
    let c = 0;
    for (const t of xs) {
      const d = t.lastDim;
      if (t.requiresGrad) {
        const dt = t.ensureGrad();
        for (let r = 0; r < rows; r++) {
          const o = r * total + c;
          for (let j = 0; j < d; j++) dt[r * d + j] += g[o + j];
        }
      }
      c += d;
    }
  });
  return out;
}

/** Columns [start, end) of the last axis: (..., D) -> (..., end - start). */
export function slice(x: Tensor, start: number, end: number): Tensor {
  const d = x.lastDim;
  if (x.rank < 1 || !(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end && end <= d)) {
    throw new ShapeError('slice', `range [${start}, ${end}) does not fit the last axis`, x.shape);
  }
  const w = end - start;
  const rows = d === 0 ? 0 : x.size / d;
  const out = output([...x.shape.slice(0, -1), w], [x]);
  const y = out.data;
  for (let r = 0; r < rows; r++) y.set(x.data.subarray(r * d + start, r * d + end), r * w);
  onBackward(out, () => {
    const g = out.grad;
    if (g === null || !x.requiresGrad) return;
    const dx = x.ensureGrad();
    for (let r = 0; r < rows; r++) {
      const o = r * d + start;
      for (let j = 0; j < w; j++) dx[o + j] += g[r * w + j];
    }
  });
  return out;
}

/** T tensors (B, H) -> (B, T, H). */
export function stack(xs: readonly Tensor[]): Tensor {
  const first = xs[0];
  if (first === undefined) throw new ShapeError('stack', 'needs at least one tensor');
  requireRank('stack', first, 2, 'each input');
  for (const t of xs) {
    if (!sameShape(t.shape, first.shape)) throw new ShapeError('stack', 'shapes differ', first.shape, t.shape);
  }
  const b = first.shape[0] as number;
  const h = first.shape[1] as number;
  const steps = xs.length;
  const out = output([b, steps, h], xs);
  const y = out.data;
  for (let t = 0; t < steps; t++) {
    const x = (xs[t] as Tensor).data;
    for (let i = 0; i < b; i++) y.set(x.subarray(i * h, i * h + h), (i * steps + t) * h);
  }
  onBackward(out, () => {
    const g = out.grad;
    if (g === null) return;
    for (let t = 0; t < steps; t++) {
      const x = xs[t] as Tensor;
      if (!x.requiresGrad) continue;
      const dx = x.ensureGrad();
      for (let i = 0; i < b; i++) {
        const o = (i * steps + t) * h;
        for (let j = 0; j < h; j++) dx[i * h + j] += g[o + j];
      }
    }
  });
  return out;
}

/** (B, T, H) -> T tensors (B, H). */
export function unstack(x: Tensor): Tensor[] {
  requireRank('unstack', x, 3, 'input');
  const b = x.shape[0] as number;
  const steps = x.shape[1] as number;
  const h = x.shape[2] as number;
  const outs: Tensor[] = [];
  for (let t = 0; t < steps; t++) {
    const out = output([b, h], [x]);
    for (let i = 0; i < b; i++) out.data.set(x.data.subarray((i * steps + t) * h, (i * steps + t) * h + h), i * h);
    onBackward(out, () => {
      const g = out.grad;
      if (g === null || !x.requiresGrad) return;
      const dx = x.ensureGrad();
      for (let i = 0; i < b; i++) {
        const o = (i * steps + t) * h;
        for (let j = 0; j < h; j++) dx[o + j] += g[i * h + j];
      }
    });
    outs.push(out);
  }
  return outs;
}

/** The same elements in another shape of the same size; the gradient passes through. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  if (shapeSize(shape) !== x.size) throw new ShapeError('reshape', 'sizes differ', x.shape, shape);
  const out = output(shape, [x]);
  out.data.set(x.data);
  onBackward(out, () => {
    const g = out.grad;
    if (g === null || !x.requiresGrad) return;
    const dx = x.ensureGrad();
    for (let i = 0; i < g.length; i++) dx[i] += g[i];
  });
  return out;
}
