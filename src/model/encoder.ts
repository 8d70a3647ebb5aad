/**
 * The encoder: source embedding, then a GRU or LSTM of 1..N layers, optionally bidirectional (each
 * direction has H/2 units so every state h_i has H), with dropout on the embeddings and between
 * layers. It keeps EVERY hidden state h_1..h_S (the attention reads them all) and the final state of
 * each layer (the decoder's initial state and the baseline's fixed context come from it).
 *
 * Parameters: encoder.embedding.weight (Vs, E); per layer l: encoder.rnn.l<l>.* and, when
 * bidirectional, encoder.rnn.l<l>_reverse.* (see rnn.ts).
 */
import { concat, embedding } from '../engine/ops.js';
import { ShapeError, Tensor } from '../engine/tensor.js';
import { encoderDirectionHidden, type RnnModelConfig } from './config.js';
import type { ParamStore } from './params.js';
import { bidirectionalSequences, RnnLayer, type RnnState } from './rnn.js';

/** One direction's outputs and final state. */
type Directed = { outputs: Tensor; final: RnnState };

/** What the encoder hands to the decoder. */
export interface Encoded {
  /** h_1..h_S of the top layer (B, S, H); rows past their length are padding. */
  states: Tensor;
  /** Real source lengths (B). */
  lengths: Int32Array;
  /** Final state of every layer (B, H), both directions concatenated [forward; backward]. */
  final: RnnState[];
}

/** Dropout as the model applies it (identity when not training). */
export type Dropper = (x: Tensor) => Tensor;

export class Encoder {
  readonly embedding: Tensor;
  private readonly forwardLayers: RnnLayer[] = [];
  private readonly backwardLayers: RnnLayer[] = [];

  constructor(
    private readonly config: RnnModelConfig,
    params: ParamStore,
  ) {
    const d = encoderDirectionHidden(config);
    this.embedding = params.embedding('encoder.embedding.weight', [config.srcVocabSize, config.embedding]);
    for (let l = 0; l < config.layers; l++) {
      const inDim = l === 0 ? config.embedding : config.hidden;
      this.forwardLayers.push(new RnnLayer(config.rnn, inDim, d, params, `encoder.rnn.l${l}`));
      if (config.bidirectional) {
        this.backwardLayers.push(new RnnLayer(config.rnn, inDim, d, params, `encoder.rnn.l${l}_reverse`));
      }
    }
  }

  /** src (B, S) ids, lengths (B) -> states (B, S, H) and per-layer final states (B, H). */
  encode(src: Int32Array, lengths: Int32Array, batch: number, srcLen: number, drop: Dropper): Encoded {
    if (src.length !== batch * srcLen || lengths.length !== batch) {
      throw new ShapeError('Encoder.encode', `src must be (${batch}, ${srcLen}) with ${batch} lengths`, [src.length], [lengths.length]);
    }
    let x = drop(embedding(this.embedding, src, [batch, srcLen])); // (B, S, E)
    const final: RnnState[] = [];
    for (let l = 0; l < this.config.layers; l++) {
      if (l > 0) x = drop(x);
      const bwdLayer = this.backwardLayers[l];
      if (bwdLayer === undefined) {
        const fwd = this.run(this.forwardLayers[l] as RnnLayer, x, lengths, false); // (B, S, D)
        x = fwd.outputs;
        final.push(fwd.final);
        continue;
      }
      // Both directions (B, S, D) each, in lockstep.
      const [fwd, bwd] = bidirectionalSequences(this.forwardLayers[l] as RnnLayer, bwdLayer, x, lengths) as [Directed, Directed];
      x = concat([fwd.outputs, bwd.outputs]); // (B, S, H = 2D)
      final.push({
        h: concat([fwd.final.h, bwd.final.h]), // (B, H)
        c: fwd.final.c === null || bwd.final.c === null ? null : concat([fwd.final.c, bwd.final.c]),
      });
    }
    return { states: x, lengths, final };
  }

  private run(layer: RnnLayer, x: Tensor, lengths: Int32Array, reverse: boolean): { outputs: Tensor; final: RnnState } {
    const batch = x.shape[0] as number;
    const xProj = layer.project(x); // (B, S, G·D), one GEMM for all steps
    return layer.sequence(xProj, layer.zeroState(batch), { lengths, reverse });
  }
}
