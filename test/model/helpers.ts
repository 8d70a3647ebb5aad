/** Tiny configs and batches shared by the model and decode tests. */
import { makeBatch, type Batch } from '../../src/data/batch.js';
import { Rng } from '../../src/engine/random.js';
import { parseModelConfig, type ModelConfig } from '../../src/model/config.js';

/** A few-hundred-parameter config; override any field. */
export function tinyConfig(overrides: Partial<ModelConfig> = {}): ModelConfig {
  return parseModelConfig({
    rnn: 'gru',
    layers: 1,
    bidirectional: true,
    embedding: 6,
    hidden: 8,
    attention: 'additive',
    attentionHidden: 5,
    inputFeeding: true,
    bridge: 'linear',
    dropout: 0,
    srcVocabSize: 11,
    tgtVocabSize: 12,
    ...overrides,
  });
}

/** Random pairs of ids in [4, vocab) (no specials) with the given source and target lengths. */
export function randomBatch(rng: Rng, srcLens: number[], tgtLens: number[], srcVocab: number, tgtVocab: number): Batch {
  const pairs = srcLens.map((n, i) => ({
    src: Array.from({ length: n }, () => 4 + rng.int(srcVocab - 4)),
    tgt: Array.from({ length: tgtLens[i] as number }, () => 4 + rng.int(tgtVocab - 4)),
  }));
  return makeBatch(pairs, pairs.map((_, i) => i));
}
