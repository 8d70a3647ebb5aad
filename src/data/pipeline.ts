/**
 * How a model turns text into tokens and back. Stored in checkpoints (the `tokenizer` field) so a model always
 * tokenizes exactly as in training.
 *
 *   encode: normalize -> tokenize -> (lowercase) -> (BPE)        decode: (merge BPE pieces) -> detokenize
 */
import { Bpe, mergeSubwords, type BpeJSON } from './bpe.js';
import { normalizeText } from './normalize.js';
import { detokenize, tokenize } from './tokenize.js';

export type PipelineKind = 'word' | 'bpe';

export interface PipelineConfig {
  kind: PipelineKind;
  /** Lowercase tokens after tokenization (decode then yields lowercase text). */
  lowercase: boolean;
  /** Language code for the tokenizer's spacing defaults ('en', 'fr', 'de', ...). Default 'en'. */
  lang?: string;
  /** Required when kind is 'bpe'. */
  bpe?: Bpe;
}

export interface PipelineJSON {
  kind: PipelineKind;
  lowercase: boolean;
  lang: string;
  bpe?: BpeJSON;
  [key: string]: unknown;
}

export class TextPipeline {
  readonly kind: PipelineKind;
  readonly lowercase: boolean;
  readonly lang: string;
  readonly bpe: Bpe | null;

  constructor(config: PipelineConfig) {
    if (config.kind !== 'word' && config.kind !== 'bpe') {
      throw new Error(`TextPipeline: kind must be 'word' or 'bpe', got ${JSON.stringify(config.kind)}`);
    }
    if (config.kind === 'bpe' && config.bpe === undefined) throw new Error("TextPipeline: kind 'bpe' needs a bpe model");
    this.kind = config.kind;
    this.lowercase = config.lowercase;
    this.lang = config.lang ?? 'en';
    this.bpe = config.kind === 'bpe' ? (config.bpe as Bpe) : null;
  }

  /** Word tokens before BPE (normalize -> tokenize -> lowercase); what BPE is learned on. */
  words(text: string): string[] {
    const toks = tokenize(normalizeText(text), { lang: this.lang });
    return this.lowercase ? toks.map((t) => t.toLowerCase()) : toks;
  }

  /** Text to model tokens. */
  encode(text: string): string[] {
    const words = this.words(text);
    return this.bpe ? this.bpe.apply(words) : words;
  }

  /** Model tokens to text (the caller strips BOS/EOS/PAD). */
  decode(tokens: readonly string[]): string {
    return detokenize(this.bpe ? mergeSubwords(tokens) : tokens, { lang: this.lang });
  }

  /** Same pipeline with a BPE model (kind 'bpe'). */
  withBpe(bpe: Bpe): TextPipeline {
    return new TextPipeline({ kind: 'bpe', lowercase: this.lowercase, lang: this.lang, bpe });
  }

  toJSON(): PipelineJSON {
    const j: PipelineJSON = { kind: this.kind, lowercase: this.lowercase, lang: this.lang };
    if (this.bpe) j.bpe = this.bpe.toJSON();
    return j;
  }

  static fromJSON(j: unknown): TextPipeline {
    if (j === null || typeof j !== 'object') throw new Error('TextPipeline.fromJSON: expected an object');
    const o = j as Record<string, unknown>;
    if (o.kind !== 'word' && o.kind !== 'bpe') {
      throw new Error(`TextPipeline.fromJSON: kind must be 'word' or 'bpe', got ${JSON.stringify(o.kind)}`);
    }
    if (typeof o.lowercase !== 'boolean') throw new Error('TextPipeline.fromJSON: lowercase must be a boolean');
    if (o.lang !== undefined && typeof o.lang !== 'string') throw new Error('TextPipeline.fromJSON: lang must be a string');
    const config: PipelineConfig = { kind: o.kind, lowercase: o.lowercase };
    if (typeof o.lang === 'string') config.lang = o.lang;
    if (o.kind === 'bpe') config.bpe = Bpe.fromJSON(o.bpe);
    return new TextPipeline(config);
  }
}

/** The source and target pipelines of a translation model. */
export interface TranslationPipelines {
  src: TextPipeline;
  tgt: TextPipeline;
}

/** For the checkpoint's `tokenizer` field: { src: PipelineJSON, tgt: PipelineJSON }. */
export function pipelinesToJSON(p: TranslationPipelines): Record<string, unknown> {
  return { src: p.src.toJSON(), tgt: p.tgt.toJSON() };
}

export function pipelinesFromJSON(j: Record<string, unknown>): TranslationPipelines {
  if (j.src === undefined || j.tgt === undefined) throw new Error('pipelinesFromJSON: expected { src, tgt } pipelines');
  return { src: TextPipeline.fromJSON(j.src), tgt: TextPipeline.fromJSON(j.tgt) };
}
