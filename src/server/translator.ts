import { InputError } from '../util/errors.js';

/**
 * What the HTTP server needs from a model: a description and a batch translate call.
 *
 * The server is written against this interface only, so tests run it with a small deterministic
 * implementation and `attnmt serve` with the real one (`createModelTranslator`, which decodes in a
 * worker thread so the server keeps answering while a long batch runs).
 * Field names are those of the JSON API (snake_case), so results go out unchanged.
 */

/** Which side of the comparison a model is on: with attention, or the fixed-context baseline. */
export type ModelKind = 'attention' | 'baseline';

export interface ModelInfo {
  /** Display name, e.g. the checkpoint's file name. */
  name: string;
  kind: ModelKind;
  /** One-line summary, e.g. "GRU 1x256, bidirectional encoder, additive attention". */
  architecture: string;
  /** Number of trainable parameters. */
  parameters: number;
  source_vocab_size: number;
  target_vocab_size: number;
  /** The model configuration as stored in the checkpoint. */
  config: Record<string, unknown>;
  /** The decoding settings requests start from (the checkpoint's: beam, alpha, maxLenRatio, batchSize, replaceUnknowns). */
  decoding?: Record<string, unknown>;
  /** Training metadata from the checkpoint (step, epoch, best score, ...), if any. */
  metadata?: Record<string, unknown>;
}

export interface TranslateOptions {
  /** Beam size; 1 = greedy; absent: the model's own (its checkpoint's decoding.beam). */
  beam?: number;
  /** How many hypotheses to return per input (<= beam). */
  nbest: number;
  /** Return the attention weights. */
  attention: boolean;
  /** Aborted when the request times out or the client goes away: drop the work if not started. */
  signal?: AbortSignal;
}

/** One alternative translation (the n-best list). */
export interface Hypothesis {
  text: string;
  target_tokens: string[];
  /** Sum of token log-probabilities. */
  score: number;
  /** T x S, one row per target token (incl. the final '</s>'), one column per source token (incl. '</s>'). */
  weights: number[][] | null;
}

export interface TranslationResult extends Hypothesis {
  /** The source as the model saw it, incl. the final '</s>' (the columns of `weights`). */
  source_tokens: string[];
  /** All hypotheses best first (present when nbest > 1); the first equals the top-level fields. */
  nbest?: Hypothesis[];
}

export interface Translator {
  describe(): ModelInfo;
  /** One result per input text, in order. */
  translate(texts: string[], opts: TranslateOptions): Promise<TranslationResult[]>;
  /** Release resources (worker threads). */
  close?(): Promise<void>;
}

/** The beam a model decodes with when a request gives none (its checkpoint's decoding settings; default 5). */
export function modelBeam(info: ModelInfo): number {
  const b = info.decoding?.['beam'];
  return typeof b === 'number' && b >= 1 ? b : 5;
}

/** A problem with the input (e.g. a sentence the model cannot take): the server answers 400. */
export class TranslationInputError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'TranslationInputError';
  }
}

/** The translator is saturated (too many queued sentences): the server answers 503. */
export class TranslatorBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TranslatorBusyError';
  }
}

export { createModelTranslator, type ModelTranslatorOptions } from './model-translator.js';
