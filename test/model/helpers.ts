/** Tiny configs and batches shared by the model and decode tests. */
import { makeBatch, type Batch } from '../../src/data/batch.js';
import { Vocab } from '../../src/data/vocab.js';
import { Rng } from '../../src/engine/random.js';
import { Tensor } from '../../src/engine/tensor.js';
import type { CheckpointContents } from '../../src/model/checkpoint.js';
import { parseRnnConfig, type RnnModelConfig } from '../../src/model/config.js';
import type { TranslationModel } from '../../src/model/model.js';

/** A few-hundred-parameter config; override any field. */
export function tinyConfig(overrides: Partial<RnnModelConfig> = {}): RnnModelConfig {
  return parseRnnConfig({
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

/** A vocabulary of the four specials and n - 4 tokens `${prefix}0`, `${prefix}1`, ... */
export function testVocab(n: number, prefix: string): Vocab {
  return Vocab.fromJSON({ tokens: ['<pad>', '<unk>', '<s>', '</s>', ...Array.from({ length: n - 4 }, (_, i) => `${prefix}${i}`)] });
}

/** Checkpoint contents of a model: made-up vocabularies of its sizes, a word tokenizer, one optimizer tensor. */
export function checkpointOf(model: TranslationModel, overrides: Partial<CheckpointContents> = {}): CheckpointContents {
  return {
    config: model.config,
    srcVocab: testVocab(model.config.srcVocabSize, 's'),
    tgtVocab: testVocab(model.config.tgtVocabSize, 't'),
    tokenizer: { kind: 'word', lowercase: true },
    params: model.parameters(),
    extraTensors: new Map([['optim.m.decoder.output.bias', Tensor.fromArray([1, 2, 3], [3])]]),
    metadata: { step: 42, bestBleu: 12.5 },
    ...overrides,
  };
}
