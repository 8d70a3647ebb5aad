/**
 * The Transformer encoder (Vaswani et al. 2017, section 3.1): embeddings with positions, then N layers
 * of [self-attention over the real source tokens, feed-forward], each sublayer inside a residual
 * connection with layer norm; with pre-norm a final layer norm closes the stack.
 *
 * Parameters: encoder.layers.<l>.self_attn.* and .self_attn_norm.*, encoder.layers.<l>.ffn.* and
 * .ffn_norm.* (layers.ts), encoder.norm.* (pre-norm only), encoder.positions.weight (learned
 * positions); the embedding table is the model's (model.ts: encoder.embedding.weight, or the shared one).
 */
import { embedding } from '../../engine/ops.js';
import { ShapeError, type Tensor } from '../../engine/tensor.js';
import type { TransformerModelConfig } from '../config.js';
import type { ParamStore } from '../params.js';
import { FeedForward, LayerNorm, MultiHeadAttention, Residual, type Drop } from './layers.js';
import { Positions } from './positions.js';

/** What the encoder hands to the decoder. */
export interface TransformerEncoded {
  /** The top layer's output (B, S, D); rows past a sentence's length are padding. */
  states: Tensor;
  /** Real source lengths (B). */
  lengths: Int32Array;
  /** Self-attention weights of every layer (B, H, S, S), 0 on padding keys. */
  selfAttention: Tensor[];
}

class EncoderLayer {
  readonly attention: MultiHeadAttention;
  private readonly attentionBlock: Residual;
  private readonly ffn: FeedForward;
  private readonly ffnBlock: Residual;

  constructor(c: TransformerModelConfig, params: ParamStore, prefix: string) {
    const pre = c.norm === 'pre';
    this.attention = new MultiHeadAttention(params, `${prefix}.self_attn`, c.dModel, c.heads);
    this.attentionBlock = new Residual(params, `${prefix}.self_attn_norm`, c.dModel, pre);
    this.ffn = new FeedForward(params, `${prefix}.ffn`, c.dModel, c.ffn, c.activation);
    this.ffnBlock = new Residual(params, `${prefix}.ffn_norm`, c.dModel, pre);
  }

  /** x (B, S, D) -> (B, S, D) and the self-attention weights (B, H, S, S). */
  forward(x: Tensor, lengths: Int32Array, drop: Drop, c: TransformerModelConfig): { x: Tensor; weights: Tensor } {
    const residualDrop = (t: Tensor, residual: Tensor): Tensor => drop(t, c.dropout, residual);
    const a = this.attentionBlock.run(x, (h) => this.attention.forward(h, h, { lengths }, drop, c.attentionDropout), residualDrop);
    const f = this.ffnBlock.run(a.x, (h) => ({ out: this.ffn.forward(h) }), residualDrop);
    return { x: f.x, weights: a.result.weights };
  }
}

export class TransformerEncoder {
  private readonly layers: EncoderLayer[] = [];
  private readonly positions: Positions;
  private readonly finalNorm: LayerNorm | null;

  constructor(
    private readonly config: TransformerModelConfig,
    params: ParamStore,
    private readonly table: Tensor,
  ) {
    this.positions = new Positions(config.positions, config.dModel, config.maxPositions, params, 'encoder');
    for (let l = 0; l < config.encoderLayers; l++) this.layers.push(new EncoderLayer(config, params, `encoder.layers.${l}`));
    this.finalNorm = config.norm === 'pre' ? new LayerNorm(params, 'encoder.norm', config.dModel) : null;
  }

  /** src (B, S) ids ending in EOS then PAD, lengths (B) -> states (B, S, D) and every layer's weights. */
  encode(src: Int32Array, lengths: Int32Array, batch: number, srcLen: number, drop: Drop): TransformerEncoded {
    if (src.length !== batch * srcLen || lengths.length !== batch) {
      throw new ShapeError('TransformerEncoder.encode', `src must be (${batch}, ${srcLen}) with ${batch} lengths`, [src.length], [lengths.length]);
    }
    for (let i = 0; i < batch; i++) {
      if (!(lengths[i] >= 1 && lengths[i] <= srcLen)) throw new RangeError(`TransformerEncoder.encode: source length ${lengths[i]} of row ${i} is not in 1..${srcLen}`);
    }
    let x = drop(this.positions.add(embedding(this.table, src, [batch, srcLen]), 0), this.config.dropout); // (B, S, D)
    const selfAttention: Tensor[] = [];
    for (const layer of this.layers) {
      const r = layer.forward(x, lengths, drop, this.config);
      x = r.x;
      selfAttention.push(r.weights);
    }
    return { states: this.finalNorm === null ? x : this.finalNorm.apply(x), lengths, selfAttention };
  }
}
