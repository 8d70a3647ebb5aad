/**
 * Inference has one door: `openTranslator` turns checkpoint bytes into a ready Translator that holds
 * the model (or an ensemble), its vocabularies, its text codec and its decoding settings (the
 * checkpoint's, with the caller's overrides on top; defaults in settings.ts). `translate` tokenizes,
 * decodes, detokenizes and gives attention; `force` feeds given translations (teacher forcing).
 *
 * The command line, the server's worker, the page (in-browser mode) and the library all call this,
 * so the same text, checkpoint and options give the same translation everywhere. This file runs in
 * the browser; src/translate/open.ts adds file paths for Node.
 */
import type { Vocab } from '../data/vocab.js';
import type { StopSignal } from '../decode/common.js';
import { textDifference } from '../model/average.js';
import { CheckpointError, decodeCheckpoint, type CheckpointContents } from '../model/checkpoint.js';
import { Ensemble } from '../model/ensemble.js';
import { loadModel, type TranslationModel } from '../model/model.js';
import { codecFrom, type TextCodec } from './codec.js';
import { forceTexts, type ForcedPair, type TextPair } from './forced.js';
import { applyOverrides, DecodingSettingsError, storedDecoding, type DecodingConfig, type DecodingOverrides } from './settings.js';
import { translateTexts, type Translation, type TranslatorParts } from './translate.js';

/** One checkpoint: its file name (for messages) and its bytes, or already decoded contents. */
export interface CheckpointSource {
  name: string;
  bytes?: Uint8Array;
  contents?: CheckpointContents;
}

/** Per call: any decoding setting, and the number of hypotheses wanted. */
export interface TranslateCall extends DecodingOverrides {
  /** Hypotheses per sentence, best first (default 1); asks for a beam of at least this size. */
  nbest?: number;
  /** Stops the decode between steps once aborted (DecodeAbortedError); an AbortSignal works. */
  signal?: StopSignal;
}

/** A loaded checkpoint (or ensemble), ready to translate with its own settings. */
export class Translator implements TranslatorParts {
  readonly model: TranslationModel;
  readonly srcVocab: Vocab;
  readonly tgtVocab: Vocab;
  readonly codec: TextCodec;
  /** The decoding settings every call starts from. */
  readonly settings: DecodingConfig;
  /** The checkpoints, in order (an ensemble's first one gave the settings). */
  readonly checkpoints: ReadonlyArray<{ name: string; contents: CheckpointContents }>;

  constructor(parts: TranslatorParts, settings: DecodingConfig, checkpoints: ReadonlyArray<{ name: string; contents: CheckpointContents }>) {
    this.model = parts.model;
    this.srcVocab = parts.srcVocab;
    this.tgtVocab = parts.tgtVocab;
    this.codec = parts.codec;
    this.settings = settings;
    this.checkpoints = checkpoints;
  }

  /** The name shown for this translator: the checkpoint's, or the names joined with ' + '. */
  get name(): string {
    return this.checkpoints.map((c) => c.name).join(' + ');
  }

  /** The settings of one call: this translator's, the call's overrides on top; nbest N asks for a beam of at least N. */
  resolve(call: TranslateCall = {}): DecodingConfig & { nbest: number } {
    const { nbest = 1, signal: _signal, ...overrides } = call;
    if (!(Number.isInteger(nbest) && nbest >= 1)) throw new DecodingSettingsError(`nbest: must be a whole number >= 1 (got ${nbest})`);
    const s = applyOverrides(this.settings, overrides, 'options');
    if (overrides.beam !== undefined && nbest > overrides.beam) {
      throw new DecodingSettingsError(`nbest (${nbest}) cannot be larger than beam (${overrides.beam})`);
    }
    return { ...s, beam: Math.max(s.beam, nbest), nbest };
  }

  /** Translations of `texts`, in order (a blank text gets an empty translation). */
  translate(texts: readonly string[], call: TranslateCall = {}): Translation[] {
    return translateTexts(this, texts, { ...this.resolve(call), signal: call.signal });
  }

  /** Teacher-forced attention of each (source, given translation) pair. */
  force(pairs: readonly TextPair[], batchSize = this.settings.batchSize): ForcedPair[] {
    return forceTexts(this, pairs, batchSize);
  }
}

/**
 * A Translator from one checkpoint, or several decoding as an ensemble (they must share the
 * vocabularies and the tokenizer; the error names the one that differs). Decoding settings: the
 * first checkpoint's, then `overrides`.
 */
export function openTranslator(source: CheckpointSource | Uint8Array | ReadonlyArray<CheckpointSource | Uint8Array>, overrides: DecodingOverrides = {}): Translator {
  const list = (Array.isArray(source) ? source : [source]) as ReadonlyArray<CheckpointSource | Uint8Array>;
  if (list.length === 0) throw new CheckpointError('openTranslator', 'no checkpoint given');
  const loaded = list.map((s, i) => {
    const src: CheckpointSource = s instanceof Uint8Array ? { name: list.length > 1 ? `checkpoint ${i + 1}` : 'checkpoint', bytes: s } : s;
    const contents = src.contents ?? (src.bytes === undefined ? undefined : decodeCheckpoint(src.bytes, src.name));
    if (contents === undefined) throw new CheckpointError(src.name, 'neither bytes nor contents given');
    return { name: src.name, contents };
  });
  const first = loaded[0] as { name: string; contents: CheckpointContents };
  for (const other of loaded.slice(1)) {
    const why = textDifference(first.contents, other.contents);
    if (why !== null) throw new CheckpointError(other.name, `cannot decode in an ensemble with ${first.name}: ${why}`);
  }
  const models = loaded.map((c) => loadModel(c.contents, c.name));
  const model = models.length === 1 ? (models[0] as TranslationModel) : new Ensemble(models);
  let codec: TextCodec;
  try {
    codec = codecFrom(first.contents.tokenizer);
  } catch (err) {
    throw new CheckpointError(first.name, err instanceof Error ? err.message : String(err));
  }
  const settings = applyOverrides(storedDecoding(first.contents.metadata, first.name), overrides, 'options');
  return new Translator({ model, srcVocab: first.contents.srcVocab, tgtVocab: first.contents.tgtVocab, codec }, settings, loaded);
}
