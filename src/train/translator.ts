/**
 * Text in, translations out: the decoding pipeline shared by validation, `attnmt translate`,
 * `attnmt eval`, `attnmt attention` and the demo.
 *
 *   text -> codec.source -> ids -> batches sorted by length -> greedy / beam -> ids -> tokens -> text
 *
 * Attention matrices include the end-of-sentence token on both sides, so every row (one per target
 * token, the final '</s>' included) is a full distribution over the source tokens (the final '</s>'
 * included) and sums to 1.
 */
import { makeSourceBatch } from '../data/batch.js';
import type { Vocab } from '../data/vocab.js';
import { beamSearch } from '../decode/beam.js';
import { greedy } from '../decode/greedy.js';
import { replaceUnknowns } from '../decode/unk.js';
import type { Hypothesis, StepDecoder } from '../decode/common.js';
import type { Ensemble } from '../model/ensemble.js';
import type { AnyModel } from '../model/family.js';
import type { TextCodec } from './data.js';

export const EOS_TOKEN = '</s>';

export interface TranslateOptions {
  /** Beam size; 1 decodes greedily. */
  beam?: number;
  /** Hypotheses returned per sentence (<= beam). */
  nbest?: number;
  /** Length penalty exponent (beam only). */
  alpha?: number;
  maxLenRatio?: number;
  /** Sentences decoded together. */
  batchSize?: number;
  /** Replace <unk> outputs by the most attended source token. */
  replaceUnknowns?: boolean;
}

export interface TranslationHypothesis {
  text: string;
  /** Target tokens, then '</s>' (the rows of `weights`). */
  targetTokens: string[];
  score: number;
  /** T x S attention weights (rows sum to 1); empty for the fixed-context baseline. */
  weights: number[][];
}

export interface Translation {
  source: string;
  /** Source tokens as the model saw them, then '</s>' (the columns of `weights`). */
  sourceTokens: string[];
  /** Best first; at least one. */
  hypotheses: TranslationHypothesis[];
}

export interface TranslatorParts {
  /** One model (either family), or an Ensemble of models sharing the vocabularies and the tokenizer. */
  model: AnyModel | Ensemble;
  srcVocab: Vocab;
  tgtVocab: Vocab;
  codec: TextCodec;
}

/** The parts with one model (not an ensemble): what teacher-forced attention and alignment need. */
export interface ModelParts extends TranslatorParts {
  model: AnyModel;
}

/** Translate sentences (any order of lengths); results come back in input order. */
export function translateTexts(parts: TranslatorParts, texts: readonly string[], opts: TranslateOptions = {}): Translation[] {
  const sourceTokens = texts.map((t) => parts.codec.source(t));
  return translateTokens(parts, texts, sourceTokens, opts);
}

/** Translate already tokenized sources (validation keeps its ids; `texts` are only echoed back). */
export function translateTokens(
  parts: TranslatorParts,
  texts: readonly string[],
  sourceTokens: readonly string[][],
  opts: TranslateOptions = {},
): Translation[] {
  const { srcVocab } = parts;
  const model: StepDecoder<unknown, unknown> = parts.model;
  const beam = opts.beam ?? 1;
  const nbest = Math.min(opts.nbest ?? 1, beam);
  const batchSize = opts.batchSize ?? 32;
  const ids = sourceTokens.map((toks) => srcVocab.encode(toks));
  const order = ids.map((_, i) => i).sort((a, b) => (ids[a] as number[]).length - (ids[b] as number[]).length || a - b);
  const out = new Array<Translation>(texts.length);
  model.inferenceMode(() => {
    for (let start = 0; start < order.length; start += batchSize) {
      const rows = order.slice(start, start + batchSize);
      const batch = makeSourceBatch(rows.map((i) => ids[i] as number[]));
      const decodeOpts = { maxLenRatio: opts.maxLenRatio ?? 2 };
      const lists: Hypothesis[][] =
        beam <= 1
          ? greedy(model, batch, decodeOpts).map((h) => [h])
          : beamSearch(model, batch, { beamSize: beam, nbest, alpha: opts.alpha ?? 0.6, ...decodeOpts });
      rows.forEach((i, r) => {
        const srcToks = sourceTokens[i] as string[];
        out[i] = {
          source: texts[i] as string,
          sourceTokens: [...srcToks, EOS_TOKEN],
          hypotheses: (lists[r] as Hypothesis[]).slice(0, nbest).map((h) => toText(parts, h, srcToks, opts.replaceUnknowns ?? true)),
        };
      });
    }
  });
  return out;
}

function toText(parts: TranslatorParts, h: Hypothesis, srcTokens: readonly string[], unk: boolean): TranslationHypothesis {
  const decoded = parts.tgtVocab.decode(h.tokens);
  const tokens = unk ? replaceUnknowns(h, srcTokens, decoded) : decoded;
  const shown = tokens.map((t) => parts.codec.display(t));
  return {
    text: parts.codec.detokenize(tokens),
    // A hypothesis cut at the length limit has no EOS step (and no EOS attention row).
    targetTokens: h.finished ? [...shown, EOS_TOKEN] : shown,
    score: h.score,
    weights: h.attention.map((row) => Array.from(row)),
  };
}
