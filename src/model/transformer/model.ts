/**
 * The Transformer encoder-decoder (Vaswani et al. 2017), the second model family beside the RNN one
 * (src/model/seq2seq.ts), with the same surface: `loss(batch)` for training, the step-decoder methods
 * greedy and beam search drive (src/decode/common.ts), `forcedAttention(batch)` for alignments.
 *
 * Decoding is incremental: `startDecoding` encodes the batch and projects the source keys and values
 * of every cross-attention layer once; each `decodeStep` runs the newest position only, reading the
 * self-attention keys and values of the earlier positions from a KvCache; `selectState` reorders the
 * cache by backpointer. decodeStep updates the state's cache in place and returns the same state:
 * callers (greedy, beam search) use only the state a step returns, never an older one.
 *
 * Attention that people see: `weights` (N, S) of a step is the cross-attention of the alignment layer
 * (config.alignmentLayer, default the penultimate decoder layer) averaged over its heads; every layer's
 * and head's weights (cross, decoder self, and the encoder self-attention in the memory startDecoding
 * returns) come with each step and with `forward` at no extra cost (they are computed anyway).
 *
 * Parameters: encoder.embedding.weight (Vs, D) and decoder.embedding.weight (Vt, D), or one
 * embedding.weight (V, D) with tieAllEmbeddings; encoder.* (encoder.ts) and decoder.* (decoder.ts).
 * Embeddings are uniform with standard deviation D^-1/2 (scaled by sqrt(D) when used), weights
 * xavier-uniform, biases zero, layer-norm gains one.
 */
import type { Batch } from '../../data/batch.js';
import { BOS, PAD } from '../../data/vocab.js';
import { addDropout, dropout, logSoftmax, reshape } from '../../engine/ops.js';
import { Rng } from '../../engine/random.js';
import { output, ShapeError, Tensor } from '../../engine/tensor.js';
import { parseTransformerConfig, type TransformerModelConfig } from '../config.js';
import { rowOf, vectorsOf, type AttentionInside, type Explainable, type ExplainMemory, type StepInside } from '../explain.js';
import { ModelBase } from '../model-base.js';
import { ParamStore } from '../params.js';
import type { HeadAttention, HeadAttentionSource, LossOptions, LossResult, TrainableModel } from '../model.js';
import { KvCache } from './cache.js';
import { selectCrossMemory, TransformerDecoder, type CrossMemory, type DecoderForward, type DecoderStep } from './decoder.js';
import { TransformerEncoder, type TransformerEncoded } from './encoder.js';
import type { Drop } from './layers.js';

/** The decoder state between steps: the key/value cache of the positions decoded so far. */
export interface TransformerState {
  cache: KvCache;
}

/** The batch-level inputs of decoding. */
export interface TransformerMemory {
  /** Source keys and values of every cross-attention layer, and the source lengths. */
  cross: CrossMemory;
  /** The encoder's self-attention of every layer (B, H, S, S), in batch order; empty after selectMemory. */
  encoderSelf: Tensor[];
}

/** Every layer's and head's attention of one decoder step. */
export interface StepAttention {
  /** Decoder self-attention per layer (N, H, 1, t + 1). */
  self: Tensor[];
  /** Cross-attention per layer (N, H, 1, S). */
  cross: Tensor[];
}

export interface TransformerStepResult {
  state: TransformerState;
  /** log p(y_t | y_<t, x) (N, Vt). */
  logProbs: Tensor;
  /** Cross-attention of the alignment layer, mean over heads (N, S). */
  weights: Tensor;
  attention: StepAttention;
}

/** greedyStep's answer: each row's chosen word and its log-probability, and the alignment layer's weights (N, S). */
export interface TransformerGreedyStep {
  state: TransformerState;
  words: Int32Array;
  logProbs: Float32Array;
  weights: Tensor;
}

/** Every attention of a teacher-forced pass. */
export interface ForwardAttention {
  encoderSelf: Tensor[];
  decoderSelf: Tensor[];
  cross: Tensor[];
}

/** Steps of room a new cache gets per source token (it doubles when decoding goes further). */
const CACHE_PER_SOURCE = 2;

export class Transformer extends ModelBase implements TrainableModel<TransformerState, TransformerMemory>, Explainable<TransformerState, TransformerMemory>, HeadAttentionSource {
  readonly config: TransformerModelConfig;
  readonly encoder: TransformerEncoder;
  readonly decoder: TransformerDecoder;
  private alignment: number;
  private readonly drop: Drop = (x, p, residual) =>
    residual === undefined ? dropout(x, p, this.rng, this.training) : addDropout(residual, x, p, this.rng, this.training);

  /** Parameters initialized from `seed`; with `initialize: false` they stay zero (about to be loaded). */
  constructor(config: TransformerModelConfig, seed: number, opts: { initialize?: boolean; shapesOnly?: boolean } = {}) {
    super(new ParamStore(opts.shapesOnly === true ? 'shapes' : opts.initialize === false ? null : new Rng(seed)), new Rng(seed ^ 0x5eed));
    this.config = parseTransformerConfig(config);
    const c = this.config;
    const a = Math.sqrt(3 / c.dModel); // uniform with standard deviation dModel^-1/2
    const shared = c.tieAllEmbeddings ? this.store.uniform('embedding.weight', [c.tgtVocabSize, c.dModel], a) : null;
    const srcTable = shared ?? this.store.uniform('encoder.embedding.weight', [c.srcVocabSize, c.dModel], a);
    const tgtTable = shared ?? this.store.uniform('decoder.embedding.weight', [c.tgtVocabSize, c.dModel], a);
    this.encoder = new TransformerEncoder(c, this.store, srcTable);
    this.decoder = new TransformerDecoder(c, this.store, tgtTable);
    this.alignment = c.alignmentLayer ?? Math.max(0, c.decoderLayers - 2);
  }

  /** Name -> shape of every parameter a config implies (nothing is initialized). */
  static parameterShapes(config: TransformerModelConfig): Map<string, number[]> {
    const shapes = new Map<string, number[]>();
    for (const [n, t] of new Transformer(config, 0, { shapesOnly: true }).parameters()) shapes.set(n, [...t.shape]);
    return shapes;
  }

  get hasAttention(): boolean {
    return true;
  }

  get attentionKind(): string {
    return 'multi-head';
  }

  /** The decoder layer whose head-mean cross-attention is `weights`. */
  get alignmentLayer(): number {
    return this.alignment;
  }

  set alignmentLayer(layer: number) {
    if (!(Number.isInteger(layer) && layer >= 0 && layer < this.config.decoderLayers)) {
      throw new RangeError(`alignment layer must be 0..${this.config.decoderLayers - 1}, got ${layer}`);
    }
    this.alignment = layer;
  }

  /** E.g. "Transformer 3+3 layers, dModel 256, 4 heads, ffn 1024, pre-norm, relu". */
  summary(): string {
    const c = this.config;
    return `Transformer ${c.encoderLayers}+${c.decoderLayers} layers, dModel ${c.dModel}, ${c.heads} heads, ffn ${c.ffn}, ${c.norm}-norm, ${c.activation}`;
  }

  /** Teacher forcing over a batch: the encoder, then every target position at once. */
  forward(batch: Batch): { encoded: TransformerEncoded; decoded: DecoderForward } {
    const b = batch.size;
    const t = batch.tgtLen;
    if (t < 1) throw new ShapeError('Transformer.forward', 'batch has no target tokens (T = 0)', [b, t]);
    const encoded = this.encoder.encode(batch.src, batch.srcLengths, b, batch.srcLen, this.drop);
    const memory = this.decoder.precompute(encoded.states, encoded.lengths);
    return { encoded, decoded: this.decoder.forward(batch.tgtIn, b, t, memory, this.drop) };
  }

  /** Teacher-forced loss under the active Tape: output layer over all B·T positions, cross-entropy ignoring padding. */
  loss(batch: Batch, opts: LossOptions = {}): LossResult {
    const { decoded } = this.forward(batch);
    const rows = reshape(decoded.states, [batch.size * batch.tgtLen, this.config.dModel]); // (B·T, D)
    const ce = this.decoder.loss(rows, batch.tgtOut, { labelSmoothing: opts.labelSmoothing ?? 0, ignoreIndex: PAD }); // logits (B·T, Vt) inside
    return { loss: ce.loss, ntokens: ce.count, nll: ce.nll };
  }

  /** Every attention of a teacher-forced pass (encoder self, decoder self, cross; per layer (B, H, ·, ·)). */
  forcedAttentionAll(batch: Batch): ForwardAttention {
    const { encoded, decoded } = this.inferenceMode(() => this.forward(batch));
    return { encoderSelf: encoded.selfAttention, decoderSelf: decoded.selfAttention, cross: decoded.crossAttention };
  }

  /**
   * Teacher-forced attention of every pair of a batch, in batch order: per sentence one row per target
   * token (its words, then EOS), each over the real source tokens (EOS included): the alignment layer's
   * cross-attention, averaged over heads. One pass over all positions (no step loop).
   */
  forcedAttention(batch: Batch): Float32Array[][] {
    const cross = this.forcedAttentionAll(batch).cross[this.alignment] as Tensor; // (B, H, T, S)
    const [b, h, t, s] = cross.shape as [number, number, number, number];
    const out: Float32Array[][] = [];
    for (let i = 0; i < b; i++) {
      const rows: Float32Array[] = [];
      const sLen = batch.srcLengths[i] as number;
      for (let r = 0; r < (batch.tgtLengths[i] as number); r++) {
        const row = new Float32Array(sLen);
        for (let head = 0; head < h; head++) {
          const o = ((i * h + head) * t + r) * s;
          for (let j = 0; j < sLen; j++) row[j] += (cross.data[o + j] as number) / h;
        }
        rows.push(row);
      }
      out.push(rows);
    }
    return out;
  }

  /**
   * Every layer's and head's attention of each pair of a teacher-forced batch, cut to its real tokens:
   * encoder self (S_i x S_i), decoder self (T_i x T_i), cross (T_i x S_i) per layer and head. The
   * translate layer calls this with the decoded hypotheses (only when asked), so decoding itself keeps
   * nothing but the alignment layer's mean.
   */
  headAttention(batch: Batch): HeadAttention[] {
    const all = this.forcedAttentionAll(batch);
    const out: HeadAttention[] = [];
    for (let i = 0; i < batch.size; i++) {
      const s = batch.srcLengths[i] as number;
      const t = batch.tgtLengths[i] as number;
      out.push({
        encoderSelf: all.encoderSelf.map((w) => sentenceHeads(w, i, s, s)),
        decoderSelf: all.decoderSelf.map((w) => sentenceHeads(w, i, t, t)),
        cross: all.cross.map((w) => sentenceHeads(w, i, t, s)),
        alignmentLayer: this.alignment,
      });
    }
    return out;
  }

  /** Encode the batch and project the cross-attention keys and values; an empty cache for its rows. */
  startDecoding(batch: Batch): { state: TransformerState; memory: TransformerMemory } {
    const encoded = this.encoder.encode(batch.src, batch.srcLengths, batch.size, batch.srcLen, this.drop);
    const cross = this.decoder.precompute(encoded.states, encoded.lengths);
    const cache = new KvCache(this.config.decoderLayers, this.config.dModel, batch.size, CACHE_PER_SOURCE * batch.srcLen + 2);
    return { state: { cache }, memory: { cross, encoderSelf: encoded.selfAttention } };
  }

  /** One step for N rows: prev (N) previous target ids (BOS first) -> log-probabilities (N, Vt). */
  decodeStep(prev: Int32Array, state: TransformerState, memory: TransformerMemory): TransformerStepResult {
    const { r, top } = this.stepTop('decodeStep', prev, state, memory);
    const logits = this.decoder.logits(top); // (N, Vt)
    const weights = headMean(r.crossAttention[this.alignment] as Tensor);
    return { state, logProbs: logSoftmax(logits), weights, attention: { self: r.selfAttention, cross: r.crossAttention } };
  }

  /**
   * decodeStep for greedy search: each row's chosen word (never PAD or BOS) and its log-probability instead of
   * all the log-probabilities, with the same numbers (engine/ops/pick.ts: the logits are never written out).
   */
  greedyStep(prev: Int32Array, state: TransformerState, memory: TransformerMemory): TransformerGreedyStep {
    const { r, top } = this.stepTop('greedyStep', prev, state, memory);
    const { words, logProbs } = this.decoder.pick(top, [PAD, BOS]);
    return { state, words, logProbs, weights: headMean(r.crossAttention[this.alignment] as Tensor) };
  }

  /** The decoder's step for N rows and its top states (N, D), after checking the rows of the cache and memory. */
  private stepTop(what: string, prev: Int32Array, state: TransformerState, memory: TransformerMemory): { r: DecoderStep; top: Tensor } {
    const n = prev.length;
    if (n !== state.cache.rows || n !== memory.cross.lengths.length) {
      throw new ShapeError(`Transformer.${what}`, `${n} previous ids for a cache of ${state.cache.rows} rows and a memory of ${memory.cross.lengths.length}`);
    }
    const r = this.decoder.step(prev, state.cache, memory.cross, this.drop);
    return { r, top: reshape(r.state, [n, this.config.dModel]) };
  }

  /**
   * decodeStep with each row's inside: the decoder's output state, and for every layer and head of the
   * cross-attention the scores q·k_i / sqrt(dHead) entering the softmax, the weights, and the head's
   * context Σ_i α_i v_i (its dHead slice, before the output projection). Inference only.
   */
  explainStep(prev: Int32Array, state: TransformerState, memory: TransformerMemory): TransformerStepResult & { inside: StepInside[] } {
    const n = prev.length;
    const { r, top } = this.stepTop('explainStep', prev, state, memory);
    const logits = this.decoder.logits(top); // (N, Vt)
    const heads = this.config.heads;
    const dh = this.config.dModel / heads;
    const inside = Array.from({ length: n }, (_, row): StepInside => {
      const len = memory.cross.lengths[row] as number;
      const layers = r.cross.map((out, l): AttentionInside[] => {
        const scale = this.decoder.layers[l]?.crossAttention.scoreScale as number;
        const s = out.weights.shape[3] as number;
        const ctx = rowOf(out.context, row); // (D)
        return Array.from({ length: heads }, (_, h) => {
          const o = (row * heads + h) * s;
          return {
            scores: Float32Array.from(out.scores.data.subarray(o, o + len), (x) => x * scale),
            weights: out.weights.data.slice(o, o + len),
            context: ctx.slice(h * dh, (h + 1) * dh),
          };
        });
      });
      return { state: rowOf(top, row), context: null, attention: null, attentional: null, heads: layers };
    });
    const weights = headMean(r.crossAttention[this.alignment] as Tensor);
    return { state, logProbs: logSoftmax(logits), weights, attention: { self: r.selfAttention, cross: r.crossAttention }, inside };
  }

  /** Per decoder layer, the cross-attention value vectors of sentence `row` (head k reads its dHead slice). */
  explainMemory(memory: TransformerMemory, row: number): ExplainMemory {
    const len = memory.cross.lengths[row] as number;
    return { values: memory.cross.layers.map((kv) => vectorsOf(kv.values, row, len)), fixedContext: null };
  }

  /** Row r of the result is row rows[r] of `state` (the cache is reordered in place). */
  selectState(state: TransformerState, rows: Int32Array): TransformerState {
    state.cache.select(rows);
    return state;
  }

  /** Row r of the result reads sentence rows[r] of `memory`. */
  selectMemory(memory: TransformerMemory, rows: Int32Array): TransformerMemory {
    return { cross: selectCrossMemory(memory.cross, rows), encoderSelf: [] };
  }
}

/** Sentence i of weights (B, H, Q, K): per head its first `rows` queries over its first `cols` keys. */
function sentenceHeads(w: Tensor, i: number, rows: number, cols: number): number[][][] {
  const [, h, q, k] = w.shape as [number, number, number, number];
  const heads: number[][][] = [];
  for (let head = 0; head < h; head++) {
    const m: number[][] = [];
    for (let r = 0; r < rows; r++) {
      const o = ((i * h + head) * q + r) * k;
      m.push(Array.from(w.data.subarray(o, o + cols)));
    }
    heads.push(m);
  }
  return heads;
}

/** Weights (N, H, 1, S) -> their mean over heads (N, S). */
function headMean(w: Tensor): Tensor {
  const [n, h, , s] = w.shape as [number, number, number, number];
  const out = output([n, s], []);
  const y = out.data;
  y.fill(0);
  for (let i = 0; i < n; i++) {
    for (let head = 0; head < h; head++) {
      const o = (i * h + head) * s;
      for (let j = 0; j < s; j++) y[i * s + j] += (w.data[o + j] as number) / h;
    }
  }
  return out;
}
