/**
 * The Transformer decoder (Vaswani et al. 2017, section 3.1): target embeddings with positions, then N
 * layers of [causal self-attention, cross-attention over the encoder output (real source tokens only),
 * feed-forward], each in a residual connection with layer norm (a final norm with pre-norm), then the
 * output layer over the target vocabulary.
 *
 * Two ways through the same weights:
 *  - `forward`: every target position at once (teacher forcing: training, forced attention);
 *  - `step`: one position for N rows (decoding), with the self-attention keys and values of earlier
 *    positions read from a KvCache and the cross-attention keys and values of the source projected
 *    once per batch (`precompute`). Both give the same numbers up to float rounding.
 *
 * Parameters: decoder.layers.<l>.{self_attn, self_attn_norm, cross_attn, cross_attn_norm, ffn, ffn_norm}.*,
 * decoder.norm.* (pre-norm), decoder.positions.weight (learned positions), decoder.output.weight (D, Vt)
 * unless tied to the target embedding, decoder.output.bias (Vt).
 */
import { embedding, greedyPick, linear, outputCrossEntropy, type CrossEntropyOptions, type CrossEntropyResult, type PickResult } from '../../engine/ops.js';
import type { Tensor } from '../../engine/tensor.js';
import type { TransformerModelConfig } from '../config.js';
import type { ParamStore } from '../params.js';
import { gatherRows } from '../select.js';
import type { KvCache } from './cache.js';
import { FeedForward, LayerNorm, MultiHeadAttention, Residual, type AttentionOutput, type Drop, type ProjectedKeys } from './layers.js';
import { Positions } from './positions.js';

/** The cross-attention inputs of one batch: per layer the source keys and values (B, S, D), and the source lengths. */
export interface CrossMemory {
  layers: ProjectedKeys[];
  lengths: Int32Array;
}

/** Every position at once: the top states and every layer's attention weights. */
export interface DecoderForward {
  /** (B, T, D), after the final norm. */
  states: Tensor;
  /** Causal self-attention of every layer (B, H, T, T). */
  selfAttention: Tensor[];
  /** Cross-attention of every layer (B, H, T, S), 0 on source padding. */
  crossAttention: Tensor[];
}

/** One step: the newest position's state (N, 1, D) and every layer's weights for it. */
export interface DecoderStep {
  state: Tensor;
  /** (N, H, 1, t + 1) per layer. */
  selfAttention: Tensor[];
  /** (N, H, 1, S) per layer. */
  crossAttention: Tensor[];
  /** Every layer's cross-attention sublayer output: weights, unscaled scores (N, H, 1, S), head contexts (N, 1, D). */
  cross: AttentionOutput[];
}

class DecoderLayer {
  readonly selfAttention: MultiHeadAttention;
  readonly crossAttention: MultiHeadAttention;
  private readonly selfBlock: Residual;
  private readonly crossBlock: Residual;
  private readonly ffn: FeedForward;
  private readonly ffnBlock: Residual;

  constructor(c: TransformerModelConfig, params: ParamStore, prefix: string) {
    const pre = c.norm === 'pre';
    this.selfAttention = new MultiHeadAttention(params, `${prefix}.self_attn`, c.dModel, c.heads);
    this.selfBlock = new Residual(params, `${prefix}.self_attn_norm`, c.dModel, pre);
    this.crossAttention = new MultiHeadAttention(params, `${prefix}.cross_attn`, c.dModel, c.heads);
    this.crossBlock = new Residual(params, `${prefix}.cross_attn_norm`, c.dModel, pre);
    this.ffn = new FeedForward(params, `${prefix}.ffn`, c.dModel, c.ffn, c.activation);
    this.ffnBlock = new Residual(params, `${prefix}.ffn_norm`, c.dModel, pre);
  }

  /** The self-attention sublayer (given how it attends), then cross-attention and feed-forward. */
  run(
    x: Tensor, self: (h: Tensor) => { out: Tensor; weights: Tensor }, cross: ProjectedKeys, lengths: Int32Array, drop: Drop, c: TransformerModelConfig,
  ): { x: Tensor; self: Tensor; cross: Tensor; crossOutput: AttentionOutput } {
    const residualDrop = (t: Tensor, residual: Tensor): Tensor => drop(t, c.dropout, residual);
    const s = this.selfBlock.run(x, self, residualDrop);
    const a = this.crossBlock.run(s.x, (h) => this.crossAttention.attend(this.crossAttention.queries(h), cross, { lengths }, drop, c.attentionDropout), residualDrop);
    const f = this.ffnBlock.run(a.x, (h) => ({ out: this.ffn.forward(h) }), residualDrop);
    return { x: f.x, self: s.result.weights, cross: a.result.weights, crossOutput: a.result };
  }
}

export class TransformerDecoder {
  readonly layers: DecoderLayer[] = [];
  private readonly positions: Positions;
  private readonly finalNorm: LayerNorm | null;
  private readonly outputWeight: Tensor | null;
  private readonly outputBias: Tensor;

  /** `table` is the target embedding (Vt, D); with tieTargetEmbeddings it is also the output layer. */
  constructor(
    private readonly config: TransformerModelConfig,
    params: ParamStore,
    private readonly table: Tensor,
  ) {
    this.positions = new Positions(config.positions, config.dModel, config.maxPositions, params, 'decoder');
    for (let l = 0; l < config.decoderLayers; l++) this.layers.push(new DecoderLayer(config, params, `decoder.layers.${l}`));
    this.finalNorm = config.norm === 'pre' ? new LayerNorm(params, 'decoder.norm', config.dModel) : null;
    const tied = config.tieTargetEmbeddings || config.tieAllEmbeddings;
    this.outputWeight = tied ? null : params.xavier('decoder.output.weight', [config.dModel, config.tgtVocabSize]);
    this.outputBias = params.zeros('decoder.output.bias', [config.tgtVocabSize]);
  }

  /** The cross-attention keys and values of every layer for encoder states (B, S, D). */
  precompute(states: Tensor, lengths: Int32Array): CrossMemory {
    return { layers: this.layers.map((layer) => layer.crossAttention.project(states)), lengths };
  }

  /** Teacher forcing: tgtIn (B, T) ids (BOS first) over the batch's memory -> every position's state. */
  forward(tgtIn: Int32Array, batch: number, steps: number, memory: CrossMemory, drop: Drop): DecoderForward {
    let x = drop(this.positions.add(embedding(this.table, tgtIn, [batch, steps]), 0), this.config.dropout); // (B, T, D)
    const selfAttention: Tensor[] = [];
    const crossAttention: Tensor[] = [];
    this.layers.forEach((layer, l) => {
      const self = (h: Tensor) => layer.selfAttention.forward(h, h, { causal: true }, drop, this.config.attentionDropout);
      const r = layer.run(x, self, memory.layers[l] as ProjectedKeys, memory.lengths, drop, this.config);
      x = r.x;
      selfAttention.push(r.self);
      crossAttention.push(r.cross);
    });
    return { states: this.finalNorm === null ? x : this.finalNorm.apply(x), selfAttention, crossAttention };
  }

  /** Incremental decoding: prev (N) ids at position cache.length, for N rows whose cache and memory match. */
  step(prev: Int32Array, cache: KvCache, memory: CrossMemory, drop: Drop): DecoderStep {
    const n = prev.length;
    const t = cache.length;
    let x = this.positions.add(embedding(this.table, prev, [n, 1]), t); // (N, 1, D)
    const selfAttention: Tensor[] = [];
    const crossAttention: Tensor[] = [];
    const cross: AttentionOutput[] = [];
    this.layers.forEach((layer, l) => {
      const layerCache = cache.layer(l);
      const self = (h: Tensor) => layer.selfAttention.stepCached(h, layerCache, t);
      const r = layer.run(x, self, memory.layers[l] as ProjectedKeys, memory.lengths, drop, this.config);
      x = r.x;
      selfAttention.push(r.self);
      crossAttention.push(r.cross);
      cross.push(r.crossOutput);
    });
    cache.advance();
    return { state: this.finalNorm === null ? x : this.finalNorm.apply(x), selfAttention, crossAttention, cross };
  }

  /**
   * The label-smoothed cross-entropy of h (N, D) against targets (N): the loss of
   * crossEntropy(logits(h), targets, opts) in one fused op (on the WebAssembly engine the logits never leave
   * its memory; engine/fused/output-ce.ts).
   */
  loss(h: Tensor, targets: Int32Array, opts: CrossEntropyOptions): CrossEntropyResult {
    if (this.outputWeight !== null) return outputCrossEntropy(h, this.outputWeight, this.outputBias, targets, opts);
    return outputCrossEntropy(h, this.table, this.outputBias, targets, { ...opts, transposed: true });
  }

  /**
   * Greedy decoding's output layer: each row of h (N, D)'s chosen word among the ids it may output (not `skip`) and
   * its log-probability, the numbers of logSoftmax(logits(h)) and a first-largest scan without writing the
   * log-probabilities (engine/ops/pick.ts; tied embeddings: the table used transposed).
   */
  pick(h: Tensor, skip: readonly [number, number]): PickResult {
    if (this.outputWeight !== null) return greedyPick(h, this.outputWeight, this.outputBias, skip);
    return greedyPick(h, this.table, this.outputBias, skip, true);
  }

  /** h (..., D) -> scores over the target vocabulary (..., Vt): one GEMM for all rows. */
  logits(h: Tensor): Tensor {
    if (this.outputWeight !== null) return linear(h, this.outputWeight, this.outputBias);
    return linear(h, this.table, this.outputBias, { transposed: true }); // tied: h Eᵀ + b
  }
}

/** The cross memory for a new set of rows (beam search, finished sentences): row r reads sentence rows[r]. */
export function selectCrossMemory(memory: CrossMemory, rows: Int32Array): CrossMemory {
  const lengths = new Int32Array(rows.length);
  for (let r = 0; r < rows.length; r++) lengths[r] = memory.lengths[rows[r] as number] as number;
  return { layers: memory.layers.map((kv) => ({ keys: gatherRows(kv.keys, rows), values: gatherRows(kv.values, rows) })), lengths };
}
