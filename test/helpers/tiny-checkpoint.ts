/**
 * A tiny checkpoint with random weights (fixed seed) for tests: the translations are nonsense but
 * deterministic, and the attention rows are real softmax outputs.
 */
import path from 'node:path';
import { TextPipeline, pipelinesToJSON } from '../../src/data/pipeline.js';
import { EOS, Vocab } from '../../src/data/vocab.js';
import { saveCheckpoint } from '../../src/model/checkpoint-file.js';
import { defaultModelConfig, type RnnModelConfig } from '../../src/model/config.js';
import { Seq2Seq } from '../../src/model/seq2seq.js';
import { tempDir } from './tmp.js';

const EN = ['the black cat ate the mouse', 'the white dog sees the cat', 'a small house', 'i am hungry'];
const FR = ['le chat noir a mangé la souris', 'le chien blanc voit le chat', 'une petite maison', "j' ai faim"];

export interface TinyCheckpointOptions {
  attention?: RnnModelConfig['attention'];
  seed?: number;
  /** Directory for the file (default: a new temporary one). */
  dir?: string;
  /** Sentences whose words make the source and target vocabularies. */
  en?: readonly string[];
  fr?: readonly string[];
  hidden?: number;
  /** Decoding settings stored in the metadata, as training stores its config's `decoding` section. */
  decoding?: Record<string, unknown>;
  /** File name (default tiny-<attention>.safetensors). */
  name?: string;
  /** Never emit end-of-sentence (its output bias is -1e4): every decode runs to its maximum length (decoding.maxLenRatio). */
  neverEnds?: boolean;
}

/** Write a tiny model (file `tiny-<attention>.safetensors`); returns the file path. */
export function writeTinyCheckpoint(opts: TinyCheckpointOptions = {}): string {
  const srcVocab = Vocab.build((opts.en ?? EN).map((s) => s.split(' ')));
  const tgtVocab = Vocab.build((opts.fr ?? FR).map((s) => s.split(' ')));
  const config: RnnModelConfig = {
    ...defaultModelConfig,
    embedding: 8,
    hidden: opts.hidden ?? 12,
    attentionHidden: 8,
    dropout: 0,
    attention: opts.attention ?? 'additive',
    srcVocabSize: srcVocab.size,
    tgtVocabSize: tgtVocab.size,
  };
  const model = new Seq2Seq(config, opts.seed ?? 7);
  if (opts.neverEnds === true) {
    const bias = model.parameters().get('decoder.output.bias');
    if (bias === undefined) throw new Error('tiny checkpoint: no decoder.output.bias');
    bias.data[EOS] = -1e4;
  }
  const dir = opts.dir ?? tempDir('tiny');
  const file = path.join(dir, opts.name ?? `tiny-${config.attention}.safetensors`);
  saveCheckpoint(file, {
    config,
    srcVocab,
    tgtVocab,
    tokenizer: pipelinesToJSON({
      src: new TextPipeline({ kind: 'word', lowercase: true, lang: 'en' }),
      tgt: new TextPipeline({ kind: 'word', lowercase: true, lang: 'fr' }),
    }),
    params: model.parameters(),
    metadata: { step: 0, note: 'random weights for tests', ...(opts.decoding === undefined ? {} : { decoding: opts.decoding }) },
  });
  return file;
}
