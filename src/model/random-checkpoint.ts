/**
 * Models with random weights saved as checkpoints, for tests (test/helpers/tiny-checkpoint.ts) and benchmarks
 * (bench/server.ts): their translations are nonsense but deterministic, and they cost what a trained model of
 * their size costs to decode. Not part of the library's API.
 */
import { TextPipeline, pipelinesToJSON } from '../data/pipeline.js';
import { EOS, type Vocab } from '../data/vocab.js';
import { saveCheckpoint } from './checkpoint-file.js';
import type { TrainableModel } from './model.js';

/** Make `model` never emit end-of-sentence (its output bias -1e4): every decode runs to its length limit (decoding.maxLenRatio). */
export function neverEnds(model: TrainableModel): void {
  const bias = model.parameters().get('decoder.output.bias');
  if (bias === undefined) throw new Error('neverEnds: the model has no decoder.output.bias');
  bias.data[EOS] = -1e4;
}

/** Save `model` to `file` with word-level tokenizers (lowercased English source, French target); returns `file`. */
export function saveRandomCheckpoint(file: string, model: TrainableModel, srcVocab: Vocab, tgtVocab: Vocab, metadata: Record<string, unknown>): string {
  saveCheckpoint(file, {
    config: model.config,
    srcVocab,
    tgtVocab,
    tokenizer: pipelinesToJSON({
      src: new TextPipeline({ kind: 'word', lowercase: true, lang: 'en' }),
      tgt: new TextPipeline({ kind: 'word', lowercase: true, lang: 'fr' }),
    }),
    params: model.parameters(),
    metadata,
  });
  return file;
}
