/**
 * BLEU (Papineni et al. 2002) with the semantics of sacreBLEU 2.6.0 (Post 2018): same tokenizers, smoothing,
 * closest-reference length, effective order, statistics, signature and text line, so scores can be compared
 * with published sacreBLEU numbers.
 *
 * References come as streams (sacreBLEU's layout): `references[k][i]` is reference k of segment i. Empty
 * references are dropped per segment (variable reference counts give `nrefs:var`); a segment whose references
 * are all empty is an error.
 *
 * One sacreBLEU quirk is kept on purpose: with `add-k` smoothing the reported counts and totals of orders 2..4
 * include the added k, as sacreBLEU reports them.
 */
import { getTokenizer, isTokenizerName, pythonRstrip, pythonSplit, TOKENIZER_NAMES, type TokenizerName } from './tokenizers.js';
import { InputError } from '../util/errors.js';

/**
 * Bad input to the evaluation layer (metric options, reference streams, reference files). The CLI reports
 * it as a usage/input error (exit code 1) with its message only.
 */
export class BleuError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'BleuError';
  }
}

/** The sacreBLEU version whose semantics this module reproduces (printed in signatures). */
export const SACREBLEU_VERSION = '2.6.0';

export type SmoothMethod = 'exp' | 'floor' | 'add-k' | 'none';
export const SMOOTH_METHODS: readonly SmoothMethod[] = ['exp', 'floor', 'add-k', 'none'];

export function isSmoothMethod(name: string): name is SmoothMethod {
  return (SMOOTH_METHODS as readonly string[]).includes(name);
}

/** Default smoothing values (Chen and Cherry 2014, W14-3346), as sacreBLEU: floor 0.1, add-k 1; exp and none take none. */
export const SMOOTH_DEFAULTS: Readonly<Record<SmoothMethod, number | null>> = {
  exp: null,
  floor: 0.1,
  'add-k': 1,
  none: null,
};

export interface BleuOptions {
  /** Lowercase hypotheses and references before tokenizing (default false). */
  lowercase?: boolean;
  /** Tokenizer (default '13a'). */
  tokenize?: TokenizerName;
  /** Smoothing (default 'exp', NIST geometric). */
  smoothMethod?: SmoothMethod;
  /** Value for 'floor' and 'add-k'; default from {@link SMOOTH_DEFAULTS}. */
  smoothValue?: number;
  /** Average only over orders the hypothesis has n-grams for (default false for corpus, true for sentences). */
  effectiveOrder?: boolean;
  /** Highest n-gram order (default 4). */
  maxNgramOrder?: number;
}

/** Sufficient statistics of one segment or a corpus. */
export interface BleuStats {
  sysLen: number;
  refLen: number;
  /** Clipped n-gram matches per order 1..N. */
  correct: number[];
  /** Hypothesis n-grams per order 1..N. */
  total: number[];
}

export interface BleuScore {
  /** BLEU in [0, 100]. */
  score: number;
  counts: number[];
  totals: number[];
  /** Precisions in percent per order, smoothed as the score uses them. */
  precisions: number[];
  bp: number;
  sysLen: number;
  refLen: number;
  /** sysLen / refLen, 0 when refLen is 0. */
  ratio: number;
}

export interface BleuResult extends BleuScore {
  /** e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`. */
  signature: string;
}

interface ResolvedBleuOptions {
  lowercase: boolean;
  tokenize: TokenizerName;
  smoothMethod: SmoothMethod;
  smoothValue: number | undefined;
  effectiveOrder: boolean;
  maxNgramOrder: number;
}

function resolve(options: BleuOptions, effectiveDefault: boolean): ResolvedBleuOptions {
  const smoothMethod = options.smoothMethod ?? 'exp';
  if (!SMOOTH_METHODS.includes(smoothMethod)) {
    throw new BleuError(`unknown smooth method '${String(smoothMethod)}' (valid: ${SMOOTH_METHODS.join(', ')})`);
  }
  const tokenize = options.tokenize ?? '13a';
  if (!isTokenizerName(tokenize)) {
    throw new BleuError(`unknown tokenizer '${String(tokenize)}' (valid: ${TOKENIZER_NAMES.join(', ')})`);
  }
  const maxNgramOrder = options.maxNgramOrder ?? 4;
  if (!Number.isInteger(maxNgramOrder) || maxNgramOrder < 1) {
    throw new BleuError(`maxNgramOrder must be a positive integer, got ${maxNgramOrder}`);
  }
  return {
    lowercase: options.lowercase ?? false,
    tokenize,
    smoothMethod,
    smoothValue: options.smoothValue ?? SMOOTH_DEFAULTS[smoothMethod] ?? undefined,
    effectiveOrder: options.effectiveOrder ?? effectiveDefault,
    maxNgramOrder,
  };
}

/**
 * Python's `f'{x:.{digits}f}'` for finite x: like `toFixed`, except that exact ties round half to even
 * (0.125 -> '0.12'), where `toFixed` rounds them away from zero.
 */
export function formatFixed(x: number, digits: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  if (Math.abs(x) >= 1e21) return x.toFixed(digits);
  const fixed = x.toFixed(digits);
  const exact = Math.abs(x).toFixed(100);
  const dot = exact.indexOf('.');
  const rest = exact.slice(dot + 1 + digits);
  if (!/^50*$/.test(rest)) return fixed;
  const kept = exact.slice(0, dot + 1 + digits).replace(/\.$/, '');
  const lastDigit = Number(kept[kept.length - 1]);
  if (lastDigit % 2 === 0) return (x < 0 ? '-' : '') + kept;
  return fixed;
}

/**
 * sacreBLEU's per-segment reference preparation: streams -> per-segment lists without empty references,
 * and the signature's reference count (`'var'` when segments differ).
 */
export function segmentReferences(
  references: readonly (readonly string[])[],
  numSegments: number,
): { perSegment: string[][]; nrefs: number | 'var' } {
  if (references.length === 0) throw new BleuError('no reference stream given');
  references.forEach((stream, k) => {
    if (stream.length !== numSegments) {
      throw new BleuError(`reference stream ${k + 1} has ${stream.length} segments, hypotheses have ${numSegments}`);
    }
  });
  const perSegment: string[][] = [];
  const counts = new Set<number>();
  for (let i = 0; i < numSegments; i++) {
    const refs: string[] = [];
    for (const stream of references) if (stream[i] !== '') refs.push(stream[i]);
    if (refs.length === 0) throw new BleuError(`segment ${i + 1}: every reference is empty`);
    counts.add(refs.length);
    perSegment.push(refs);
  }
  const nrefs: number | 'var' = counts.size === 1 ? [...counts][0] : counts.size === 0 ? references.length : 'var';
  return { perSegment, nrefs };
}

/** sacreBLEU's `log` floored at -9999999999 for 0. */
function myLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

/**
 * BLEU from sufficient statistics (sacreBLEU's `compute_bleu`). The statistics are not modified.
 * - exp: an order with no match gets precision 1 / (2^k * total), k counting such orders;
 * - floor: an order with no match gets precision smoothValue / total;
 * - add-k: orders >= 2 add smoothValue to both matches and totals;
 * - none: a zero precision gives BLEU 0.
 * With effectiveOrder the geometric mean runs over orders whose total is non-zero.
 */
export function computeBleu(stats: BleuStats, options: BleuOptions = {}): BleuScore {
  const o = resolve(options, false);
  const N = o.maxNgramOrder;
  const correct = stats.correct.slice(0, N);
  const total = stats.total.slice(0, N);
  const { sysLen, refLen } = stats;
  const bp = sysLen < refLen ? (sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0) : 1;
  const ratio = refLen ? sysLen / refLen : 0;
  const precisions = new Array<number>(N).fill(0);
  if (!correct.some((c) => c !== 0)) {
    return { score: 0, counts: correct, totals: total, precisions, bp, sysLen, refLen, ratio };
  }
  const k = o.smoothValue ?? 0;
  let smoothMteval = 1;
  let effOrder = N;
  for (let n = 1; n <= N; n++) {
    if (o.smoothMethod === 'add-k' && n > 1) {
      correct[n - 1] += k;
      total[n - 1] += k;
    }
    if (total[n - 1] === 0) break;
    if (o.effectiveOrder) effOrder = n;
    if (correct[n - 1] === 0) {
      if (o.smoothMethod === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * total[n - 1]);
      } else if (o.smoothMethod === 'floor') {
        precisions[n - 1] = (100 * k) / total[n - 1];
      }
    } else {
      precisions[n - 1] = (100 * correct[n - 1]) / total[n - 1];
    }
  }
  let logSum = 0;
  for (let n = 0; n < effOrder; n++) logSum += myLog(precisions[n]);
  const score = bp * Math.exp(logSum / effOrder);
  return { score, counts: correct, totals: total, precisions, bp, sysLen, refLen, ratio };
}

/**
 * n-gram counts per order over token ids in 1..base-1: `result[n - 1]` counts the n-grams. A key is the n-gram's
 * ids read as a number in `base` when base^maxOrder is a safe integer (fast Map keys), else the ids joined by ' '.
 */
export function countNgramIds(ids: readonly number[], maxOrder: number, base: number): Map<number | string, number>[] {
  const numeric = Math.pow(base, maxOrder) <= Number.MAX_SAFE_INTEGER;
  const byOrder: Map<number | string, number>[] = [];
  for (let n = 0; n < maxOrder; n++) byOrder.push(new Map());
  for (let i = 0; i < ids.length; i++) {
    const last = Math.min(maxOrder, ids.length - i);
    let num = 0;
    let str = '';
    for (let n = 0; n < last; n++) {
      let key: number | string;
      if (numeric) {
        num = num * base + ids[i + n];
        key = num;
      } else {
        str = n === 0 ? String(ids[i]) : `${str} ${ids[i + n]}`;
        key = str;
      }
      const counts = byOrder[n];
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return byOrder;
}

/** Closest reference length to hypLen; ties go to the shorter reference. */
export function closestRefLength(hypLen: number, refLens: readonly number[]): number {
  let bestDiff = -1;
  let best = -1;
  for (const len of refLens) {
    const diff = Math.abs(hypLen - len);
    if (bestDiff === -1 || diff < bestDiff) {
      bestDiff = diff;
      best = len;
    } else if (diff === bestDiff && len < best) {
      best = len;
    }
  }
  return best;
}

function preprocess(o: ResolvedBleuOptions, tokenizer: (s: string) => string, line: string): string[] {
  const s = o.lowercase ? line.toLowerCase() : line;
  return pythonSplit(tokenizer(pythonRstrip(s)));
}

/** Statistics of one segment against its (non-empty) references. */
function segmentStats(
  o: ResolvedBleuOptions,
  tokenizer: (s: string) => string,
  hypothesis: string,
  references: readonly string[],
): BleuStats {
  const N = o.maxNgramOrder;
  // Token ids local to the segment (1-based), so n-gram keys can be numbers.
  const vocab = new Map<string, number>();
  const toIds = (tokens: readonly string[]): number[] =>
    tokens.map((t) => {
      let id = vocab.get(t);
      if (id === undefined) {
        id = vocab.size + 1;
        vocab.set(t, id);
      }
      return id;
    });
  const hypIds = toIds(preprocess(o, tokenizer, hypothesis));
  const refIds = references.map((ref) => toIds(preprocess(o, tokenizer, ref)));
  const base = vocab.size + 1;
  const refMax: Map<number | string, number>[] = [];
  for (let n = 0; n < N; n++) refMax.push(new Map());
  for (const ids of refIds) {
    countNgramIds(ids, N, base).forEach((counts, n) => {
      const max = refMax[n];
      for (const [ng, c] of counts) {
        const prev = max.get(ng);
        if (prev === undefined || c > prev) max.set(ng, c);
      }
    });
  }
  const correct = new Array<number>(N).fill(0);
  const total = new Array<number>(N).fill(0);
  countNgramIds(hypIds, N, base).forEach((counts, n) => {
    for (const [ng, c] of counts) {
      total[n] += c;
      const r = refMax[n].get(ng);
      if (r !== undefined) correct[n] += Math.min(c, r);
    }
  });
  const refLen = closestRefLength(
    hypIds.length,
    refIds.map((ids) => ids.length),
  );
  return { sysLen: hypIds.length, refLen, correct, total };
}

/** The sacreBLEU signature, e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`. */
export function bleuSignature(options: BleuOptions, nrefs: number | 'var', sentenceLevel = false): string {
  const o = resolve(options, sentenceLevel);
  let smooth: string = o.smoothMethod;
  const def = SMOOTH_DEFAULTS[o.smoothMethod];
  if (def !== null) smooth += `[${formatFixed(o.smoothValue ?? def, 2)}]`;
  return [
    `nrefs:${nrefs}`,
    `case:${o.lowercase ? 'lc' : 'mixed'}`,
    `eff:${o.effectiveOrder ? 'yes' : 'no'}`,
    `tok:${o.tokenize}`,
    `smooth:${smooth}`,
    `version:${SACREBLEU_VERSION}`,
  ].join('|');
}

/** Per-segment statistics of a corpus (sum them for the corpus score). */
export function bleuSegmentStats(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: BleuOptions = {},
): { stats: BleuStats[]; nrefs: number | 'var' } {
  const o = resolve(options, false);
  const tokenizer = getTokenizer(o.tokenize);
  const { perSegment, nrefs } = segmentReferences(references, hypotheses.length);
  const stats = hypotheses.map((h, i) => segmentStats(o, tokenizer, h, perSegment[i]));
  return { stats, nrefs };
}

/** Element-wise sum of segment statistics. */
export function sumBleuStats(stats: readonly BleuStats[], maxNgramOrder = 4): BleuStats {
  const sum: BleuStats = {
    sysLen: 0,
    refLen: 0,
    correct: new Array<number>(maxNgramOrder).fill(0),
    total: new Array<number>(maxNgramOrder).fill(0),
  };
  for (const s of stats) {
    sum.sysLen += s.sysLen;
    sum.refLen += s.refLen;
    for (let n = 0; n < maxNgramOrder; n++) {
      sum.correct[n] += s.correct[n];
      sum.total[n] += s.total[n];
    }
  }
  return sum;
}

/** Corpus BLEU, as sacreBLEU's `BLEU(...).corpus_score(hypotheses, references)`. */
export function corpusBleu(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: BleuOptions = {},
): BleuResult {
  const o = resolve(options, false);
  const { stats, nrefs } = bleuSegmentStats(hypotheses, references, o);
  const score = computeBleu(sumBleuStats(stats, o.maxNgramOrder), o);
  return { ...score, signature: bleuSignature(o, nrefs) };
}

/**
 * Sentence BLEU of one hypothesis against its references (a plain list, not streams), as sacreBLEU's
 * `sentence_score`. Effective order is on unless options say otherwise (sacreBLEU's CLI does the same).
 */
export function sentenceBleu(hypothesis: string, references: readonly string[], options: BleuOptions = {}): BleuResult {
  const o = resolve(options, true);
  return corpusBleu([hypothesis], references.map((r) => [r]), o);
}

/** Sentence BLEU of every segment of a corpus (references as streams). */
export function sentenceBleuScores(
  hypotheses: readonly string[],
  references: readonly (readonly string[])[],
  options: BleuOptions = {},
): BleuResult[] {
  const o = resolve(options, true);
  const tokenizer = getTokenizer(o.tokenize);
  const { perSegment } = segmentReferences(references, hypotheses.length);
  return hypotheses.map((h, i) => {
    const refs = perSegment[i];
    const score = computeBleu(segmentStats(o, tokenizer, h, refs), o);
    return { ...score, signature: bleuSignature(o, refs.length) };
  });
}

/**
 * sacreBLEU's text line: `BLEU = 34.12 65.2/40.1/27.3/19.0 (BP = 1.000 ratio = 1.014 hyp_len = 76 ref_len = 75)`,
 * with `BLEU|<signature> = ...` when a signature is given (sacreBLEU's CLI text format).
 */
export function formatBleu(score: BleuScore, signature = '', width = 2): string {
  const name = signature ? `BLEU|${signature}` : 'BLEU';
  const prec = score.precisions.map((p) => formatFixed(p, 1)).join('/');
  return (
    `${name} = ${formatFixed(score.score, width)} ${prec} (BP = ${formatFixed(score.bp, 3)} ` +
    `ratio = ${formatFixed(score.ratio, 3)} hyp_len = ${score.sysLen} ref_len = ${score.refLen})`
  );
}
