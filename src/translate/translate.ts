/**
 * Text in, translations out: the decoding pipeline under every entry point (the Translator of
 * translator.ts, validation during training).
 *
 *   text -> codec.source -> ids -> batches sorted by length -> greedy / beam -> ids -> tokens -> text
 *
 * Attention matrices include the end-of-sentence token on both sides, so every row (one per target
 * token, the final '</s>' included) is a full distribution over the source tokens (the final '</s>'
 * included) and sums to 1. A text with no tokens (a blank line) is not decoded: its translation is
 * the empty string, so output line i always answers input line i.
 */
import { makeSourceBatch } from '../data/batch.js';
import type { Vocab } from '../data/vocab.js';
import { beamSearch } from '../decode/beam.js';
import { greedy } from '../decode/greedy.js';
import { replaceUnknowns } from '../decode/unk.js';
import { checkStop, type Hypothesis, type StopSignal } from '../decode/common.js';
import type { TranslationModel } from '../model/model.js';
import type { TextCodec } from './codec.js';

export const EOS_TOKEN = '</s>';

/** How one decode runs: every field set (the Translator resolves them from the checkpoint and overrides). */
export interface TranslateOptions {
  /** Beam size; 1 decodes greedily. */
  beam: number;
  /** Hypotheses returned per sentence (<= beam). */
  nbest: number;
  /** Length penalty exponent (beam only). */
  alpha: number;
  maxLenRatio: number;
  /** Sentences decoded together. */
  batchSize: number;
  /** Replace <unk> outputs by the most attended source token. */
  replaceUnknowns: boolean;
  /** Checked between decoder steps: stops the decode (DecodeAbortedError) once aborted. */
  signal?: StopSignal;
}

export interface TranslationHypothesis {
  text: string;
  /** Target tokens, then '</s>' (the rows of `weights`). */
  targetTokens: string[];
  score: number;
  /**
   * T x S attention weights (rows sum to 1); empty for the fixed-context baseline. Model families with
   * several attentions (a Transformer's layers and heads) add their own fields next to this one.
   */
  weights: number[][];
}

export interface Translation {
  source: string;
  /** Source tokens as the model saw them, then '</s>' (the columns of `weights`); empty for a blank text. */
  sourceTokens: string[];
  /** Source tokens the model's vocabulary does not have (read as <unk>), in order. */
  unknown: string[];
  /** Best first; at least one. */
  hypotheses: TranslationHypothesis[];
}

/** What decoding needs: a model (one, or an Ensemble) and how its text becomes ids and back. */
export interface TranslatorParts {
  model: TranslationModel;
  srcVocab: Vocab;
  tgtVocab: Vocab;
  codec: TextCodec;
}

/** Translate sentences (any order of lengths); results come back in input order. */
export function translateTexts(parts: TranslatorParts, texts: readonly string[], opts: TranslateOptions): Translation[] {
  const sourceTokens = texts.map((t) => parts.codec.source(t));
  return translateTokens(parts, texts, sourceTokens, opts);
}

/** Translate already tokenized sources (validation keeps its ids; `texts` are only echoed back). */
export function translateTokens(
  parts: TranslatorParts,
  texts: readonly string[],
  sourceTokens: readonly string[][],
  opts: TranslateOptions,
): Translation[] {
  const { srcVocab, model } = parts;
  const nbest = Math.min(opts.nbest, opts.beam);
  const ids = sourceTokens.map((toks) => srcVocab.encode(toks));
  const out = new Array<Translation>(texts.length);
  const order: number[] = [];
  ids.forEach((row, i) => {
    if (row.length > 0) order.push(i);
    else out[i] = { source: texts[i] as string, sourceTokens: [], unknown: [], hypotheses: [{ text: '', targetTokens: [], score: 0, weights: [] }] };
  });
  order.sort((a, b) => (ids[a] as number[]).length - (ids[b] as number[]).length || a - b);
  model.inferenceMode(() => {
    for (let start = 0; start < order.length; start += opts.batchSize) {
      checkStop(opts.signal);
      const rows = order.slice(start, start + opts.batchSize);
      const batch = makeSourceBatch(rows.map((i) => ids[i] as number[]));
      const lists: Hypothesis[][] =
        opts.beam <= 1
          ? greedy(model, batch, { maxLenRatio: opts.maxLenRatio, signal: opts.signal }).map((h) => [h])
          : beamSearch(model, batch, { beamSize: opts.beam, nbest, alpha: opts.alpha, maxLenRatio: opts.maxLenRatio, signal: opts.signal });
      rows.forEach((i, r) => {
        const srcToks = sourceTokens[i] as string[];
        out[i] = {
          source: texts[i] as string,
          sourceTokens: [...srcToks, EOS_TOKEN],
          unknown: srcToks.filter((t) => !srcVocab.has(t)),
          hypotheses: (lists[r] as Hypothesis[]).slice(0, nbest).map((h) => toText(parts, h, srcToks, opts.replaceUnknowns)),
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
