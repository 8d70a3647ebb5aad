/**
 * The encoder-decoder model with attention (or, with `attention: 'none'`, the fixed-context
 * baseline through the same code and the same sizes): the RNN family of `TranslationModel`.
 *
 * Separate methods, no mode switch:
 *  - `loss(batch)`: teacher-forced cross-entropy over the real target tokens (training, under a Tape);
 *  - `encode`, `initDecoder`, `decodeStep`, `selectState`, `selectMemory`: the pieces greedy and beam search use;
 *  - `forcedAttention(batch)`: the attention of teacher-forced pairs (alignment);
 *  - `explainStep`, `explainMemory`: a decoder step with its inside shown (src/model/explain.ts).
 * Dropout is on only after `setTraining(true)`.
 */
import type { Batch } from '../data/batch.js';
import { BOS, PAD } from '../data/vocab.js';
import { forceDecode } from '../decode/forced.js';
import { dropout, logSoftmax, reshape, stack, unstack } from '../engine/ops.js';
import { Rng } from '../engine/random.js';
import { activeTape, ShapeError, Tensor } from '../engine/tensor.js';
import { selectMemory, type AttentionMemory } from './attention.js';
import { parseRnnConfig, type RnnModelConfig } from './config.js';
import { Decoder, type DecoderState, type DecoderStepResult } from './decoder.js';
import { Encoder, type Dropper, type Encoded } from './encoder.js';
import { rowOf, vectorsOf, type Explainable, type ExplainMemory, type StepInside } from './explain.js';
import { ModelBase } from './model-base.js';
import { ParamStore } from './params.js';
import type { LossOptions, LossResult, TrainableModel } from './model.js';
import { gatherRows } from './select.js';

export type { LossOptions, LossResult } from './model.js';

/** The decoder's inputs for a batch: its state and the attention memory. */
export interface DecoderStart {
  state: DecoderState;
  memory: AttentionMemory;
}

export interface DecodeStepResult {
  state: DecoderState;
  /** log p(y_t | y_<t, x) (N, Vt). */
  logProbs: Tensor;
  /** alpha_t (N, S); null for the fixed-context baseline. */
  weights: Tensor | null;
}

export interface GreedyStepResult {
  state: DecoderState;
  /** The chosen word of each row: the first of largest log-probability among the ids decoding may output. */
  words: Int32Array;
  /** log p of each row's chosen word. */
  logProbs: Float32Array;
  /** alpha_t (N, S); null for the fixed-context baseline. */
  weights: Tensor | null;
}

export class Seq2Seq extends ModelBase implements TrainableModel<DecoderState, AttentionMemory>, Explainable<DecoderState, AttentionMemory> {
  readonly config: RnnModelConfig;
  readonly encoder: Encoder;
  readonly decoder: Decoder;
  private readonly drop: Dropper = (x) => dropout(x, this.config.dropout, this.rng, this.training);

  /**
   * Parameters are initialized from `seed` (xavier for input weights, orthogonal for recurrent ones);
   * with `initialize: false` they stay zero (for weights about to be loaded from a checkpoint).
   */
  constructor(config: RnnModelConfig, seed: number, opts: { initialize?: boolean; shapesOnly?: boolean } = {}) {
    super(new ParamStore(opts.shapesOnly === true ? 'shapes' : opts.initialize === false ? null : new Rng(seed)), new Rng(seed ^ 0x5eed));
    this.config = parseRnnConfig(config);
    this.encoder = new Encoder(this.config, this.store);
    this.decoder = new Decoder(this.config, this.store);
  }

  get hasAttention(): boolean {
    return this.config.attention !== 'none';
  }

  get attentionKind(): string {
    return this.config.attention;
  }

  /** E.g. "GRU 1x256, bidirectional encoder, additive attention, embeddings 256". */
  summary(): string {
    const c = this.config;
    return [
      `${c.rnn.toUpperCase()} ${c.layers}x${c.hidden}`,
      c.bidirectional ? 'bidirectional encoder' : 'unidirectional encoder',
      c.attention === 'none' ? 'fixed context (no attention)' : `${c.attention} attention`,
      `embeddings ${c.embedding}`,
    ].join(', ');
  }

  /**
   * Teacher-forced loss on a batch, under the active Tape: the decoder reads tgtIn (B, T) and every
   * step's attentional vector is collected; the output layer is one GEMM over the B·T rows, then
   * cross-entropy against tgtOut, ignoring padding.
   */
  loss(batch: Batch, opts: LossOptions = {}): LossResult {
    const b = batch.size;
    const t = batch.tgtLen;
    if (t < 1) throw new ShapeError('Seq2Seq.loss', 'batch has no target tokens (T = 0)', [b, t]);
    const encoded = this.encode(batch.src, batch.srcLengths, b, batch.srcLen);
    const { state: state0, memory } = this.initDecoder(encoded);
    const inputs = unstack(this.decoder.embedInputs(batch.tgtIn, [b, t], this.drop)); // T x (B, G·H)
    const collected: Tensor[] = [];
    // Under a recording tape the per-step weights' gradients are summed once over all steps.
    const sums = activeTape()?.recording === true ? this.decoder.stepGrads() : undefined;
    let state = state0;
    for (let step = 0; step < t; step++) {
      const r = this.decoder.step(inputs[step] as Tensor, state, memory, this.drop, sums);
      collected.push(r.attentional);
      state = r.state;
    }
    const h = this.config.hidden;
    const rows = reshape(stack(collected), [b * t, h]); // (B, T, H) -> (B·T, H)
    const ce = this.decoder.loss(rows, batch.tgtOut, { labelSmoothing: opts.labelSmoothing ?? 0, ignoreIndex: PAD }); // logits (B·T, Vt) inside
    return { loss: ce.loss, ntokens: ce.count, nll: ce.nll };
  }

  /** Teacher-forced attention of every pair (rows: target tokens then EOS; columns: source tokens then EOS). */
  forcedAttention(batch: Batch): Float32Array[][] {
    return forceDecode(this, batch).map((r) => r.attention);
  }

  /** src (B, S) ids ending in EOS then PAD, lengths (B) -> every encoder state and the final states. */
  encode(src: Int32Array, lengths: Int32Array, batch: number, srcLen: number): Encoded {
    return this.encoder.encode(src, lengths, batch, srcLen, this.drop);
  }

  /** Initial decoder state (bridge) and the attention memory (keys projected once). */
  initDecoder(encoded: Encoded): DecoderStart {
    return { state: this.decoder.initState(encoded), memory: this.decoder.precompute(encoded) };
  }

  /** encode + initDecoder for a batch's sources (what greedy and beam search start from). */
  startDecoding(batch: Batch): DecoderStart {
    return this.initDecoder(this.encode(batch.src, batch.srcLengths, batch.size, batch.srcLen));
  }

  /**
   * The decoder step of the inference methods: from the table of every target word's input projection when
   * not training and nothing is recorded (Decoder.inferStep), else embedInputs then step as in training.
   */
  private stepRows(prev: Int32Array, state: DecoderState, memory: AttentionMemory): DecoderStepResult {
    const r = !this.training && activeTape()?.recording !== true ? this.decoder.inferStep(prev, state, memory) : null;
    return r ?? this.decoder.step(this.decoder.embedInputs(prev, [prev.length], this.drop), state, memory, this.drop);
  }

  /** One step for N rows: prev (N) previous target ids (BOS first) -> log-probabilities (N, Vt). */
  decodeStep(prev: Int32Array, state: DecoderState, memory: AttentionMemory): DecodeStepResult {
    const r = this.stepRows(prev, state, memory);
    return { state: r.state, logProbs: logSoftmax(this.decoder.logits(r.attentional)), weights: r.weights };
  }

  /**
   * decodeStep for greedy search: each row's chosen word (never PAD or BOS) and its log-probability
   * instead of all the log-probabilities, with the same numbers (ops/pick.ts: the logits are never
   * written out).
   */
  greedyStep(prev: Int32Array, state: DecoderState, memory: AttentionMemory): GreedyStepResult {
    const r = this.stepRows(prev, state, memory);
    const { words, logProbs } = this.decoder.pick(r.attentional, [PAD, BOS]);
    return { state: r.state, words, logProbs, weights: r.weights };
  }

  /**
   * decodeStep with each row's inside: s_t, the raw scores (the attention's `scores`, recomputed
   * outside its fused kernel), the weights and the context the step used, and h~_t. Inference only.
   */
  explainStep(prev: Int32Array, state: DecoderState, memory: AttentionMemory): DecodeStepResult & { inside: StepInside[] } {
    const n = prev.length;
    const r = this.stepRows(prev, state, memory);
    const scores = this.decoder.attention.scores(r.query, memory); // (N, S) or null
    const inside = Array.from({ length: n }, (_, row): StepInside => {
      const len = memory.lengths[row] as number;
      return {
        state: rowOf(r.query, row),
        context: rowOf(r.context, row),
        attention: r.weights === null || scores === null ? null : { scores: rowOf(scores, row, len), weights: rowOf(r.weights, row, len), context: rowOf(r.context, row) },
        attentional: rowOf(r.attentional, row),
        heads: null,
      };
    });
    return { state: r.state, logProbs: logSoftmax(this.decoder.logits(r.attentional)), weights: r.weights, inside };
  }

  /** The encoder states h_1..h_S of sentence `row` (what the context averages), and the baseline's fixed context. */
  explainMemory(memory: AttentionMemory, row: number): ExplainMemory {
    return {
      values: [vectorsOf(memory.values, row, memory.lengths[row] as number)],
      fixedContext: this.hasAttention ? null : rowOf(memory.summary, row),
    };
  }

  /** The decoder state for a new set of rows: row r is old row rows[r] (beam backpointers; inference only). */
  selectState(state: DecoderState, rows: Int32Array): DecoderState {
    return {
      layers: state.layers.map((l) => ({ h: gatherRows(l.h, rows), c: l.c === null ? null : gatherRows(l.c, rows) })),
      feed: state.feed === null ? null : gatherRows(state.feed, rows),
    };
  }

  /** The attention memory for a new set of rows: row r reads sentence rows[r] of `memory` (inference only). */
  selectMemory(memory: AttentionMemory, rows: Int32Array): AttentionMemory {
    return selectMemory(memory, rows);
  }

}
