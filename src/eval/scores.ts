/**
 * Test-set scores of a list of translations: corpus BLEU and chrF, exact-match rate, and the same
 * per source-length bucket (1-5, 6-10, 11-15, 16-20, 21-30, 31+ words), the study of Bahdanau et
 * al. 2015 (Figure 2) where the fixed-context baseline falls off on long sentences.
 */
import { normalizeText } from '../data/normalize.js';
import { tokenize } from '../data/tokenize.js';
import { corpusBleu } from './bleu.js';
import { corpusChrf } from './chrf.js';
import { toReferenceStreams } from './references.js';
import { STUDY_BUCKETS, type LengthBuckets } from '../viz/chart-svg.js';

export interface SetScore {
  sentences: number;
  bleu: number;
  chrf: number;
  /** Fraction of hypotheses equal to one of their references (after normalization, and lowercasing when asked). */
  exact: number;
}

export interface BucketScore extends SetScore {
  bucket: string;
}

export interface ScoreOptions {
  /** Compare lowercased text (models trained on lowercased data). */
  lowercase: boolean;
}

export function scoreSet(hyps: readonly string[], refs: readonly (readonly string[])[], opts: ScoreOptions): SetScore {
  if (hyps.length !== refs.length) throw new Error(`scoreSet: ${hyps.length} hypotheses for ${refs.length} reference lists`);
  if (hyps.length === 0) return { sentences: 0, bleu: 0, chrf: 0, exact: 0 };
  const streams = toReferenceStreams(refs);
  const key = (s: string): string => (opts.lowercase ? normalizeText(s).toLowerCase() : normalizeText(s));
  let exact = 0;
  hyps.forEach((h, i) => {
    if ((refs[i] ?? []).some((r) => key(r) === key(h))) exact++;
  });
  return {
    sentences: hyps.length,
    bleu: corpusBleu(hyps, streams, { lowercase: opts.lowercase }).score,
    chrf: corpusChrf(hyps, streams, { lowercase: opts.lowercase }).score,
    exact: exact / hyps.length,
  };
}

/**
 * Length of a source sentence in words (attnmt's word tokenizer on the normalized text, punctuation
 * included), whatever the model's own tokens: a BPE model's subwords would put sentences in longer
 * buckets than a word model's, and models compared by length must share the buckets.
 */
export function sourceWordCount(text: string): number {
  return tokenize(normalizeText(text)).length;
}

/** Scores per source-length bucket (default: the study's, LENGTH_BUCKETS; buckets without sentences are left out). */
export function scoreByLength(
  hyps: readonly string[],
  refs: readonly (readonly string[])[],
  sourceLengths: readonly number[],
  opts: ScoreOptions,
  buckets: LengthBuckets = STUDY_BUCKETS,
): BucketScore[] {
  const out: BucketScore[] = [];
  const of = sourceLengths.map((n) => buckets.of(Math.max(1, n)));
  for (const bucket of buckets.labels) {
    const idx = of.map((b, i) => (b === bucket ? i : -1)).filter((i) => i >= 0);
    if (idx.length === 0) continue;
    const s = scoreSet(idx.map((i) => hyps[i] as string), idx.map((i) => refs[i] as string[]), opts);
    out.push({ bucket, ...s });
  }
  return out;
}

/** A fixed-width table of bucket scores, one line per bucket. */
export function formatBucketTable(rows: readonly BucketScore[], title = 'length'): string {
  const lines = [`${title.padEnd(8)} ${'sents'.padStart(6)} ${'BLEU'.padStart(6)} ${'chrF'.padStart(6)} ${'exact'.padStart(6)}`];
  for (const r of rows) {
    lines.push(`${r.bucket.padEnd(8)} ${String(r.sentences).padStart(6)} ${r.bleu.toFixed(1).padStart(6)} ${r.chrf.toFixed(1).padStart(6)} ${`${(r.exact * 100).toFixed(0)}%`.padStart(6)}`);
  }
  return lines.join('\n');
}

/** A model's bucket scores under a display name (one line of a comparison chart, one column group of a table). */
export interface NamedBuckets {
  name: string;
  rows: readonly BucketScore[];
}

/** BLEU of each bucket label in order (default LENGTH_BUCKETS), null where the model had no sentence of that length. */
export function bucketBleuSeries(rows: readonly BucketScore[], labels: readonly string[] = STUDY_BUCKETS.labels): (number | null)[] {
  return labels.map((b) => rows.find((r) => r.bucket === b)?.bleu ?? null);
}

/** The buckets any of the models has sentences in, in the order of `labels`. */
function usedBuckets(models: readonly NamedBuckets[], labels: readonly string[]): string[] {
  return labels.filter((b) => models.some((m) => m.rows.some((r) => r.bucket === b)));
}

/** Several models side by side: bucket, sentences, then BLEU and chrF of each model (buckets in the order of `labels`). */
export function formatComparisonTable(models: readonly NamedBuckets[], title = 'src len', labels: readonly string[] = STUDY_BUCKETS.labels): string {
  const w = Math.max(14, ...models.map((m) => m.name.length + 2));
  const head = `${title.padEnd(8)} ${'sents'.padStart(6)}${models.map((m) => ` ${`${m.name} BLEU`.padStart(w)} ${'chrF'.padStart(6)}`).join('')}`;
  const lines = [head];
  for (const b of usedBuckets(models, labels)) {
    const n = models.map((m) => m.rows.find((r) => r.bucket === b)?.sentences ?? 0).reduce((a, x) => Math.max(a, x), 0);
    const cells = models.map((m) => {
      const r = m.rows.find((x) => x.bucket === b);
      return ` ${(r === undefined ? '-' : r.bleu.toFixed(1)).padStart(w)} ${(r === undefined ? '-' : r.chrf.toFixed(1)).padStart(6)}`;
    });
    lines.push(`${b.padEnd(8)} ${String(n).padStart(6)}${cells.join('')}`);
  }
  return lines.join('\n');
}

/** The same comparison as a Markdown table (for README snippets). */
export function markdownComparisonTable(models: readonly NamedBuckets[], title = 'source length', labels: readonly string[] = STUDY_BUCKETS.labels): string {
  const lines = [
    `| ${title} | sentences | ${models.map((m) => `${m.name} BLEU`).join(' | ')} |`,
    `|---|---:|${models.map(() => '---:').join('|')}|`,
  ];
  for (const b of usedBuckets(models, labels)) {
    const n = models.map((m) => m.rows.find((r) => r.bucket === b)?.sentences ?? 0).reduce((a, x) => Math.max(a, x), 0);
    const cells = models.map((m) => {
      const r = m.rows.find((x) => x.bucket === b);
      return r === undefined ? '-' : r.bleu.toFixed(1);
    });
    lines.push(`| ${b} | ${n} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
