/**
 * Row selection over the batch axis, for inference: beam search reorders hypotheses with their
 * backpointers and greedy/beam decoding drop finished sentences. No gradient (it refuses to run on
 * a tensor that needs one under a recording tape).
 */
import { activeTape, output, ShapeError, Tensor } from '../engine/tensor.js';

/** x (N, ...) -> (R, ...) with row r = x[rows[r]]. */
export function gatherRows(x: Tensor, rows: Int32Array): Tensor {
  if (x.rank < 1) throw new ShapeError('gatherRows', 'needs a tensor with a batch axis', x.shape);
  if (x.requiresGrad && activeTape()?.recording === true) {
    throw new Error('gatherRows: inference only, the input needs a gradient under a recording tape');
  }
  const n = x.shape[0] as number;
  const width = n === 0 ? 0 : x.size / n;
  const out = output([rows.length, ...x.shape.slice(1)], []);
  for (let r = 0; r < rows.length; r++) {
    const src = rows[r];
    if (!(src >= 0 && src < n)) throw new RangeError(`gatherRows: row ${src} outside [0, ${n})`);
    out.data.set(x.data.subarray(src * width, src * width + width), r * width);
  }
  return out;
}
