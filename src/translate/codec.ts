/**
 * The text codec of a model: raw text -> model tokens (normalize, tokenize, lowercase, BPE) and
 * target tokens -> text. It wraps the data layer's source and target pipelines (src/data/pipeline.ts),
 * whose JSON every checkpoint stores as `tokenizer`, so inference tokenizes exactly as training did.
 */
import { pipelinesFromJSON, pipelinesToJSON, type TranslationPipelines } from '../data/pipeline.js';
import { InputError } from '../util/errors.js';

/** How to turn text into model tokens and back: the data layer's source and target pipelines. */
export interface TextCodec {
  readonly pipelines: TranslationPipelines;
  /** Raw source text -> source tokens. */
  source(text: string): string[];
  /** Raw target text -> target tokens. */
  target(text: string): string[];
  /** Target tokens -> text. */
  detokenize(tokens: readonly string[]): string;
  /** A token as shown to people (pictures, JSON). */
  display(token: string): string;
  /** Texts are lowercased (scores then compare lowercased text). */
  readonly lowercase: boolean;
  /** For the checkpoint's `tokenizer` field. */
  toJSON(): Record<string, unknown>;
}

export class CodecError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}

export function makeCodec(pipelines: TranslationPipelines): TextCodec {
  const { src, tgt } = pipelines;
  return {
    pipelines,
    source: (text) => src.encode(text),
    target: (text) => tgt.encode(text),
    detokenize: (tokens) => tgt.decode(tokens),
    display: (token) => token,
    lowercase: tgt.lowercase,
    toJSON: () => pipelinesToJSON(pipelines),
  };
}

/** Check a checkpoint's `tokenizer` record and build its codec. */
export function codecFrom(raw: Record<string, unknown>): TextCodec {
  try {
    return makeCodec(pipelinesFromJSON(raw));
  } catch (err) {
    throw new CodecError(`checkpoint tokenizer: ${err instanceof Error ? err.message : String(err)}`);
  }
}
