/**
 * A tiny checkpoint with random weights (fixed seed) for tests: the translations are nonsense but
 * deterministic, and the attention rows are real softmax outputs.
 */
import path from 'node:path';
import { Vocab } from '../../src/data/vocab.js';
import { neverEnds, saveRandomCheckpoint } from '../../src/model/random-checkpoint.js';
import { defaultModelConfig, defaultTransformerConfig, type RnnModelConfig, type TransformerModelConfig } from '../../src/model/config.js';
import { Seq2Seq } from '../../src/model/seq2seq.js';
import { Transformer } from '../../src/model/transformer/model.js';
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
  if (opts.neverEnds === true) neverEnds(model);
  return save(model, srcVocab, tgtVocab, opts.dir, opts.name ?? `tiny-${config.attention}.safetensors`, opts.decoding);
}

/** A tiny Transformer (2+2 layers unless given, dModel 16, 2 heads, random weights): file `tiny-transformer.safetensors`. */
export function writeTinyTransformer(opts: Omit<TinyCheckpointOptions, 'attention' | 'hidden' | 'neverEnds'> & { layers?: [number, number]; heads?: number } = {}): string {
  const srcVocab = Vocab.build((opts.en ?? EN).map((s) => s.split(' ')));
  const tgtVocab = Vocab.build((opts.fr ?? FR).map((s) => s.split(' ')));
  const config: TransformerModelConfig = {
    ...defaultTransformerConfig,
    encoderLayers: opts.layers?.[0] ?? 2,
    decoderLayers: opts.layers?.[1] ?? 2,
    dModel: 16,
    heads: opts.heads ?? 2,
    ffn: 32,
    dropout: 0,
    attentionDropout: 0,
    srcVocabSize: srcVocab.size,
    tgtVocabSize: tgtVocab.size,
  };
  return save(new Transformer(config, opts.seed ?? 7), srcVocab, tgtVocab, opts.dir, opts.name ?? 'tiny-transformer.safetensors', opts.decoding);
}

function save(model: Seq2Seq | Transformer, srcVocab: Vocab, tgtVocab: Vocab, dir: string | undefined, name: string, decoding: Record<string, unknown> | undefined): string {
  return saveRandomCheckpoint(path.join(dir ?? tempDir('tiny'), name), model, srcVocab, tgtVocab, { step: 0, note: 'random weights for tests', ...(decoding === undefined ? {} : { decoding }) });
}
