/**
 * `attnmt quantize`: a checkpoint's weight matrices as int8 with one float32 scale per output unit
 * (src/engine/int8.ts `quantizeMatrix`), for decoding with the int8 GEMM. Quantized: every matrix of at
 * least MIN_SIZE values (embeddings included: a table is quantized per row, which is also its output
 * unit when tied to the output layer); kept float32: vectors (biases, layer-norm gains, attention v),
 * small matrices and learned position tables. Optimizer moments are dropped: an int8 checkpoint is for
 * inference only (training refuses it).
 */
import { dequantizeMatrix as dequantize, quantizeMatrix, type QuantizedMatrix } from '../engine/int8.js';
import { Tensor } from '../engine/tensor.js';
import { CheckpointError, type CheckpointContents } from './checkpoint.js';

/** Matrices smaller than this stay float32 (the scales and the bookkeeping would cost more than they save). */
export const MIN_SIZE = 256;

/** The axis of a parameter's output units, or null when it stays float32. */
export function quantizationAxis(name: string, shape: readonly number[]): 0 | 1 | null {
  if (shape.length !== 2 || (shape[0] as number) * (shape[1] as number) < MIN_SIZE) return null;
  if (name.includes('positions')) return null;
  // Tables looked up by row (and, tied, used as Eᵀ in the output layer): one scale per row.
  if (name.endsWith('embedding.weight')) return 0;
  // Everything else is a linear map stored (In, Out): one scale per output column.
  return 1;
}

/** Whether a checkpoint holds int8 matrices. */
export function isQuantized(c: CheckpointContents): boolean {
  return c.quantized !== undefined && c.quantized.size > 0;
}

/** The int8 matrices of a model's parameters (those `quantizationAxis` selects). */
export function quantizeParameters(params: ReadonlyMap<string, Tensor>): Map<string, QuantizedMatrix> {
  const out = new Map<string, QuantizedMatrix>();
  for (const [n, t] of params) {
    const axis = quantizationAxis(n, t.shape);
    if (axis !== null) out.set(n, quantizeMatrix(t.data, t.shape, axis));
  }
  return out;
}

/** The int8 version of a float checkpoint: its matrices quantized, `params` holding their dequantized values. */
export function quantizeCheckpoint(c: CheckpointContents, name = 'checkpoint'): CheckpointContents {
  if (isQuantized(c)) throw new CheckpointError(name, 'is already an int8 checkpoint');
  const quantized = quantizeParameters(c.params);
  const params = new Map<string, Tensor>();
  for (const [n, t] of c.params) {
    const q = quantized.get(n);
    params.set(n, q === undefined ? t : new Tensor(dequantize(q), t.shape, { name: n }));
  }
  const metadata = { ...(c.metadata ?? {}), quantized: { dtype: 'int8', tensors: quantized.size } };
  return { config: c.config, srcVocab: c.srcVocab, tgtVocab: c.tgtVocab, tokenizer: c.tokenizer, params, metadata, quantized };
}
