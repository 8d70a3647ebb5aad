/** Tiny Transformer configs shared by the Transformer tests. */
import { parseTransformerConfig, type TransformerModelConfig } from '../../../src/model/config.js';

/** A few-thousand-parameter Transformer; override any field. */
export function tinyTransformerConfig(overrides: Partial<TransformerModelConfig> = {}): TransformerModelConfig {
  return parseTransformerConfig({
    arch: 'transformer',
    encoderLayers: 2,
    decoderLayers: 2,
    dModel: 8,
    heads: 2,
    ffn: 12,
    dropout: 0,
    attentionDropout: 0,
    srcVocabSize: 11,
    tgtVocabSize: 12,
    ...overrides,
  });
}
