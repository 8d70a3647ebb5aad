/**
 * chrF (Popović 2015) and chrF++ (Popović 2017) with the semantics of sacreBLEU 2.6.0.
 *
 * - Character n-grams of orders 1..charOrder (default 6) over Unicode code points, whitespace removed
 *   (Python's whitespace set) unless `whitespace` is set.
 * - chrF++ adds word n-grams of orders 1..wordOrder (2 for chrF++); words are whitespace-split and one ASCII
 *   punctuation character is split off the end of a word, or else off its start (sacreBLEU's
 *   `_remove_punctuation`, so '(hi)' gives '(hi' and ')').
 * - Per order: hypothesis, reference and matched n-gram counts; the hypothesis count is 0 when the reference
 *   has no n-gram of that order.
 * - Score (default, `eff:yes`): average precision and recall over orders where both hypothesis and reference
 *   have n-grams, then F-beta (beta 2) of the averages. With `epsSmoothing` (`eff:no`): the mean over all orders
 *   of per-order F-beta, a missing precision or recall counting as 1e-16 (chrF++.py, Moses, NLTK).
 * - Several references: per segment the reference with the best sentence F score (first on ties) gives the
 *   statistics; corpus statistics are the sum over segments.
 */
import { BleuError, countNgramIds, formatFixed, SACREBLEU_VERSION, segmentReferences } from './bleu.js';
import { pythonSplit, removeWhitespace } from './tokenizers.js';

export interface ChrfOptions {
  /** Character n-gram order (default 6). */
  charOrder?: number;
  /** Word n-gram order (default 0; 2 makes chrF++). */
  wordOrder?: number;
  /** Recall weight beta (default 2). */
  beta?: number;
  /** Lowercase before extracting n-grams (default false). */
  lowercase?: boolean;
  /** Keep whitespace inside character n-grams (default false). */
  whitespace?: boolean;
  /** chrF++.py-style epsilon smoothing instead of effective-order averaging (default false). */
  epsSmoothing?: boolean;
}

export interface ChrfResult {
  /** `chrF2`, or `chrF2++` with word order 2 (one '+' per word order). */
  name: string;
  /** chrF in [0, 100]. */
  score: number;
  /** Flattened [hyp, ref, match] counts per order (char orders first, then word orders). */
  stats: number[];
  /** e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0`. */
  signature: string;
}

type Resolved = Required<ChrfOptions>;

function resolve(options: ChrfOptions): Resolved {
  const r: Resolved = {
    charOrder: options.charOrder ?? 6,
    wordOrder: options.wordOrder ?? 0,
    beta: options.beta ?? 2,
    lowercase: options.lowercase ?? false,
    whitespace: options.whitespace ?? false,
    epsSmoothing: options.epsSmoothing ?? false,
  };
  if (!Number.isInteger(r.charOrder) || r.charOrder < 0) throw new BleuError(`charOrder must be an integer >= 0, got ${r.charOrder}`);
  if (!Number.isInteger(r.wordOrder) || r.wordOrder < 0) throw new BleuError(`wordOrder must be an integer >= 0, got ${r.wordOrder}`);
  if (r.charOrder + r.wordOrder === 0) throw new BleuError('charOrder + wordOrder must be at least 1');
  if (!(r.beta > 0)) throw new BleuError(`beta must be positive, got ${r.beta}`);
  return r;
}

/** ASCII punctuation, Python's `string.punctuation`. */
const PUNCTS = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/** Whitespace split, then one ASCII punctuation character off the end of each word, or else off its start. */
export function chrfWords(sentence: string): string[] {
  const out: string[] = [];
  for (const w of pythonSplit(sentence)) {
    if (w.length === 1) out.push(w);
    else if (PUNCTS.has(w[w.length - 1])) out.push(w.slice(0, -1), w[w.length - 1]);
    else if (PUNCTS.has(w[0])) out.push(w[0], w.slice(1));
    else out.push(w);
  }
  return out;
}

/** Interns strings to ids 1, 2, ... (per segment, so n-gram keys stay small numbers). */
class Interner {
  private readonly ids = new Map<string, number>();
  id(x: string): number {
    let id = this.ids.get(x);
    if (id === undefined) {
      id = this.ids.size + 1;
      this.ids.set(x, id);
    }
    return id;
  }
  /** One more than the largest id: the base for n-gram keys. */
  get base(): number {
    return this.ids.size + 1;
  }
}

function matchStats(hyp: readonly Map<number | string, number>[], ref: readonly Map<number | string, number>[]): number[] {
  const stats: number[] = [];
  for (let i = 0; i < hyp.length; i++) {
    let hypCount = 0;
    let match = 0;
    for (const [ng, c] of hyp[i]) {
      hypCount += c;
      const r = ref[i].get(ng);
      if (r !== undefined) match += Math.min(c, r);
    }
    let refCount = 0;
    for (const c of ref[i].values()) refCount += c;
    stats.push(ref[i].size > 0 ? hypCount : 0, refCount, match);
  }
  return stats;
}

/** chrF in [0, 100] from flattened [hyp, ref, match] statistics (sacreBLEU's `_compute_f_score`). */
export function computeChrf(stats: readonly number[], options: ChrfOptions = {}): number {
  const o = resolve(options);
  const order = o.charOrder + o.wordOrder;
  const eps = 1e-16;
  const factor = o.beta ** 2;
  let epsScore = 0;
  let effective = 0;
  let avgPrec = 0;
  let avgRec = 0;
  for (let i = 0; i < order; i++) {
    const nHyp = stats[3 * i];
    const nRef = stats[3 * i + 1];
    const nMatch = stats[3 * i + 2];
    const prec = nHyp > 0 ? nMatch / nHyp : eps;
    const rec = nRef > 0 ? nMatch / nRef : eps;
    const denom = factor * prec + rec;
    epsScore += denom > 0 ? ((1 + factor) * prec * rec) / denom : eps;
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effective++;
    }
  }
  if (o.epsSmoothing) return (100 * epsScore) / order;
  if (effective === 0) return 0;
  avgPrec /= effective;
  avgRec /= effective;
  if (avgPrec + avgRec === 0) return 0;
  return (100 * ((1 + factor) * avgPrec * avgRec)) / (factor * avgPrec + avgRec);
}

/** The sacreBLEU signature, e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0`. */
export function chrfSignature(options: ChrfOptions, nrefs: number | 'var'): string {
  const o = resolve(options);
  return [
    `nrefs:${nrefs}`,
    `case:${o.lowercase ? 'lc' : 'mixed'}`,
    `eff:${o.epsSmoothing ? 'no' : 'yes'}`,
    `nc:${o.charOrder}`,
    `nw:${o.wordOrder}`,
    `space:${o.whitespace ? 'yes' : 'no'}`,
    `version:${SACREBLEU_VERSION}`,
  ].join('|');
}

function chrfName(o: Resolved): string {
  return `chrF${o.beta}${'+'.repeat(o.wordOrder)}`;
}

/** Statistics of one segment: those of the reference with the best F score. */
function segmentStats(o: Resolved, hypothesis: string, references: readonly string[]): number[] {
  const chars = new Interner();
  const words = new Interner();
  const units = (sentence: string): { c: number[]; w: number[] } => {
    const s = o.lowercase ? sentence.toLowerCase() : sentence;
    const c: number[] = [];
    for (const ch of o.whitespace ? s : removeWhitespace(s)) c.push(chars.id(ch));
    const w = o.wordOrder > 0 ? chrfWords(s).map((x) => words.id(x)) : [];
    return { c, w };
  };
  const hyp = units(hypothesis);
  const refs = references.map(units);
  const ngrams = (u: { c: number[]; w: number[] }): Map<number | string, number>[] => {
    const out = countNgramIds(u.c, o.charOrder, chars.base);
    if (o.wordOrder > 0) out.push(...countNgramIds(u.w, o.wordOrder, words.base));
    return out;
  };
  const hypNgrams = ngrams(hyp);
  let best: number[] = [];
  let bestF = -1;
  for (const ref of refs) {
    const stats = matchStats(hypNgrams, ngrams(ref));
    const f = computeChrf(stats, o);
    if (f > bestF) {
      bestF = f;
      best = stats;
    }
  }
  return best;
}

/** Per-segment statistics of a corpus (references as streams: `references[k][i]`). */
export function chrfSegmentStats(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: ChrfOptions = {},
): { stats: number[][]; nrefs: number | 'var' } {
  const o = resolve(options);
  const { perSegment, nrefs } = segmentReferences(references, hypotheses.length);
  return { stats: hypotheses.map((h, i) => segmentStats(o, h, perSegment[i])), nrefs };
}

/** Corpus chrF / chrF++, as sacreBLEU's `CHRF(...).corpus_score(hypotheses, references)`. */
export function corpusChrf(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: ChrfOptions = {},
): ChrfResult {
  const o = resolve(options);
  const { stats, nrefs } = chrfSegmentStats(hypotheses, references, o);
  const sum = new Array<number>(3 * (o.charOrder + o.wordOrder)).fill(0);
  for (const s of stats) for (let j = 0; j < sum.length; j++) sum[j] += s[j];
  return { name: chrfName(o), score: computeChrf(sum, o), stats: sum, signature: chrfSignature(o, nrefs) };
}

/** Sentence chrF of one hypothesis against its references (a plain list). */
export function sentenceChrf(hypothesis: string, references: readonly string[], options: ChrfOptions = {}): ChrfResult {
  return corpusChrf([hypothesis], references.map((r) => [r]), options);
}

/** Sentence chrF of every segment of a corpus (references as streams). */
export function sentenceChrfScores(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: ChrfOptions = {},
): ChrfResult[] {
  const o = resolve(options);
  const { perSegment } = segmentReferences(references, hypotheses.length);
  return hypotheses.map((h, i) => {
    const stats = segmentStats(o, h, perSegment[i]);
    return {
      name: chrfName(o),
      score: computeChrf(stats, o),
      stats,
      signature: chrfSignature(o, perSegment[i].length),
    };
  });
}

/** sacreBLEU's text line: `chrF2 = 55.23`, or `chrF2|<signature> = 55.23` with a signature. */
export function formatChrf(result: Pick<ChrfResult, 'name' | 'score'>, signature = '', width = 2): string {
  const name = signature ? `${result.name}|${signature}` : result.name;
  return `${name} = ${formatFixed(result.score, width)}`;
}
