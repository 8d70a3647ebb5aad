/**
 * The model families and the one place that picks a model class for a config: the RNN encoder-decoder
 * (seq2seq.ts) and the Transformer (transformer/model.ts) give the trainer, the decoders and the
 * translate pipeline the same surface (loss, parameters, the step-decoder methods).
 */
import type { ModelConfig } from './config.js';
import { Seq2Seq } from './seq2seq.js';
import { Transformer } from './transformer/model.js';

/** A model of either family. */
export type AnyModel = Seq2Seq | Transformer;

/** A new model for a config, its parameters initialized from `seed` (or left zero with initialize: false). */
export function createModel(config: ModelConfig, seed: number, opts: { initialize?: boolean } = {}): AnyModel {
  return config.arch === 'transformer' ? new Transformer(config, seed, opts) : new Seq2Seq(config, seed, opts);
}

/** Name -> shape of every parameter a config implies (nothing is initialized). */
export function parameterShapes(config: ModelConfig): Map<string, number[]> {
  return config.arch === 'transformer' ? Transformer.parameterShapes(config) : Seq2Seq.parameterShapes(config);
}
