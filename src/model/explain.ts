/**
 * What a model shows of the inside of one decoder step, for `attnmt explain` (src/translate/explain.ts):
 * the decoder state s_t, the raw attention scores before the softmax, the weights after it, the
 * context vector, and (RNN) the attentional vector tanh(W_c [c_t; s_t] + b_c) the output layer reads.
 *
 * A model family that can explain itself implements `Explainable`: `explainStep` is its decodeStep
 * (same numbers, same state) plus the inside, copied out per row; `explainMemory` gives the vectors
 * a context is the weighted sum of, so the caller can recompute c_t = Σ_i α_ti v_i from the weights.
 * Inference only; everything returned is plain Float32Arrays (nothing on a tape).
 */
import type { StepDecoder } from '../decode/common.js';
import type { Tensor } from '../engine/tensor.js';

/** One attention at one step, for one row, over the real source tokens (EOS included). */
export interface AttentionInside {
  /** Scores before the softmax: softmax(scores) = weights (RNN: e_ti; Transformer: q·k_i / sqrt(dHead)). */
  scores: Float32Array;
  /** alpha_t, summing to 1. */
  weights: Float32Array;
  /** The context this attention computed, Σ_i α_ti v_i (RNN: v_i = h_i; a Transformer head: its slice of the value vectors). */
  context: Float32Array;
}

/** The inside of one decoder step for one row. */
export interface StepInside {
  /** RNN: s_t, the top layer's state (the attention's query). Transformer: the decoder's output at this position (after the final norm). */
  state: Float32Array;
  /** RNN: c_t as the step used it; for the fixed-context baseline the encoder's final state. Transformer: null (per head below). */
  context: Float32Array | null;
  /** RNN: the attention (null for the fixed-context baseline). Transformer: null. */
  attention: AttentionInside | null;
  /** RNN: h~_t = tanh(W_c [c_t; s_t] + b_c), what the output layer reads. Transformer: null. */
  attentional: Float32Array | null;
  /** Transformer: cross-attention per decoder layer, per head. RNN: null. */
  heads: AttentionInside[][] | null;
}

/** The vectors contexts are weighted sums of, for one sentence. */
export interface ExplainMemory {
  /**
   * RNN: one set, the encoder states h_1..h_S (S vectors of H). Transformer: one set per decoder layer,
   * the cross-attention values (S vectors of D; head k reads entries k·dHead..(k+1)·dHead).
   */
  values: Float32Array[][];
  /** The fixed-context baseline's one context (the encoder's final state), else null. */
  fixedContext: Float32Array | null;
}

/** A step decoder that can show the inside of its steps. */
export interface Explainable<S, M> extends StepDecoder<S, M> {
  /** decodeStep (same state, same log-probabilities) plus each row's inside. */
  explainStep(prev: Int32Array, state: S, memory: M): { state: S; logProbs: Tensor; inside: StepInside[] };
  /** The vectors sentence `row` of `memory` averages. */
  explainMemory(memory: M, row: number): ExplainMemory;
}

export function isExplainable(model: object): model is Explainable<unknown, unknown> {
  return 'explainStep' in model && 'explainMemory' in model;
}

/** Row `row` of x (N, ..., W) flattened per row, first `len` entries (default: the whole row), copied. */
export function rowOf(x: Tensor, row: number, len?: number): Float32Array {
  const width = x.size / (x.shape[0] as number);
  return x.data.slice(row * width, row * width + (len ?? width));
}

/** Vectors 0..count-1 of row `row` of x (N, S, W), each copied. */
export function vectorsOf(x: Tensor, row: number, count: number): Float32Array[] {
  const s = x.shape[1] as number;
  const w = x.shape[2] as number;
  return Array.from({ length: count }, (_, i) => x.data.slice((row * s + i) * w, (row * s + i + 1) * w));
}
