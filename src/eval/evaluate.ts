/**
 * Scoring a model on a test set: translate every source with a Translator and score the output
 * (BLEU, chrF, exact match, by source length), and the alignment error rate of its teacher-forced
 * attention against gold word links. `attnmt eval`, `attnmt demo`, `attnmt align --gold` and the
 * benchmarks (bench/study.ts, bench/quality.ts) all score through here.
 */
import { tokenize } from '../data/tokenize.js';
import type { TextPair } from '../translate/forced.js';
import { meanOfHeads, overWords, type ForcedPair, type WordAttention } from '../translate/forced.js';
import type { Translator } from '../translate/translator.js';
import type { TranslateCall } from '../translate/translator.js';
import { bleuByLengthChartSvg, STUDY_BUCKETS, type LengthBuckets } from '../viz/chart-svg.js';
import { AlignmentError, corpusAlignmentErrorRate, hardAlign, type AlignMethod, type GoldAlignment } from './alignment.js';
import { bucketBleuSeries, scoreByLength, scoreSet, type BucketScore, type SetScore } from './scores.js';

/** One model's scores on a test set. */
export interface ModelEval {
  name: string;
  model: string;
  /** Attention type of the model ('none' for the fixed-context baseline; an ensemble's joined by '+'). */
  attention: string;
  parameters: number;
  beam: number;
  total: SetScore;
  byLength: BucketScore[];
  /** Seconds spent translating. */
  seconds: number;
  hypotheses: string[];
}

/**
 * Translate `sources` and score them against `references`; `lengths` are the source lengths that pick
 * each sentence's bucket (the same for every model compared; `buckets`, default the study's LENGTH_BUCKETS).
 * `call` overrides the translator's settings.
 */
export function evaluateModel(
  name: string,
  translator: Translator,
  sources: readonly string[],
  references: readonly (readonly string[])[],
  lengths: readonly number[],
  call: TranslateCall = {},
  buckets: LengthBuckets = STUDY_BUCKETS,
): ModelEval {
  const t0 = performance.now();
  const results = translator.translate(sources, call);
  const hypotheses = results.map((r) => r.hypotheses[0]?.text ?? '');
  const seconds = (performance.now() - t0) / 1000;
  const opts = { lowercase: translator.codec.lowercase };
  return {
    name,
    model: translator.name,
    attention: translator.model.attentionKind,
    parameters: translator.model.parameterCount(),
    beam: translator.resolve(call).beam,
    total: scoreSet(hypotheses, references, opts),
    byLength: scoreByLength(hypotheses, references, lengths, opts, buckets),
    seconds,
    hypotheses,
  };
}

/** The by-length chart of several evaluated models (one line per model; x = `labels`, default LENGTH_BUCKETS). */
export function byLengthChart(evals: readonly ModelEval[], title?: string, labels: readonly string[] = STUDY_BUCKETS.labels): string {
  return bleuByLengthChartSvg(evals.map((e) => ({ name: e.name, values: bucketBleuSeries(e.byLength, labels) })), { buckets: labels, ...(title === undefined ? {} : { title }) });
}

/**
 * Which attention of a Transformer aligns: a decoder layer's head-mean cross-attention, or 'mean' (over
 * every layer and head). Absent: the model's own (its alignment layer; an RNN's only attention).
 */
export type AlignLayer = number | 'mean';

/** A forced pair's attention with `layer` chosen (see AlignLayer). */
function withLayer(f: ForcedPair, layer: AlignLayer): ForcedPair {
  const layers = f.layers ?? [];
  const weights = layer === 'mean' ? meanOfHeads(layers) : layers[layer];
  if (weights === undefined) throw new AlignmentError(`align: layer ${layer} is not a decoder layer (0..${layers.length - 1})`);
  return { ...f, weights };
}

/** Teacher-forced attention of every pair over words (see overWords); the model must have attention. */
export function wordAttentionOf(translator: Translator, pairs: readonly TextPair[], layer?: AlignLayer): WordAttention[] {
  if (!translator.model.hasAttention) throw new AlignmentError(`${translator.name}: the model has no attention (attention: none, the fixed-context baseline)`);
  if (layer !== undefined) checkLayered(translator);
  const forced = translator.force(pairs, undefined, { layers: layer !== undefined });
  return forced.map((f) => overWords(translator.codec, layer === undefined ? f : withLayer(f, layer)));
}

function checkLayered(translator: Translator): void {
  if (translator.model.config.arch !== 'transformer') throw new AlignmentError(`${translator.name}: only a Transformer has layers to choose from (this is a ${translator.model.summary()})`);
}

/** The AER of one layer's head-mean cross-attention ('mean': of all layers and heads). */
export interface LayerAlignmentScore {
  layer: AlignLayer;
  aer: number;
}

/**
 * A Transformer's corpus AER for every decoder layer's head-mean cross-attention and for the mean of all
 * of them, from one teacher-forced pass: which layer aligns best (Garg et al. 2019 found the penultimate).
 */
export function alignmentByLayer(translator: Translator, pairs: readonly TextPair[], gold: readonly GoldAlignment[], method: AlignMethod = 't2s'): LayerAlignmentScore[] {
  checkLayered(translator);
  if (gold.length !== pairs.length) throw new AlignmentError(`align: ${pairs.length} pairs but ${gold.length} gold alignment lines`);
  const forced = translator.force(pairs, undefined, { layers: true });
  const count = forced[0]?.layers?.length ?? 0;
  const layers: AlignLayer[] = [...Array.from({ length: count }, (_, l) => l), 'mean'];
  return layers.map((layer) => {
    const words = forced.map((f) => overWords(translator.codec, withLayer(f, layer)));
    checkGoldTokens(words, pairs);
    return { layer, aer: corpusAlignmentErrorRate(words.map((w) => hardAlign(w.weights, method)), gold.map((g) => g.sure), gold.map((g) => g.possible)) };
  });
}

/** The layer of the lowest AER (the first on ties; 'mean' only when it beats every single layer). */
export function bestLayer(scores: readonly LayerAlignmentScore[]): LayerAlignmentScore {
  return scores.reduce((best, s) => (s.aer < best.aer ? s : best));
}

/**
 * Checks that the aligned words are the words the gold alignment indexes (tokenize() with the languages'
 * rules), so gold index i means the same word as column i; a mismatch names the first pair.
 */
export function checkGoldTokens(words: readonly WordAttention[], pairs: readonly TextPair[], langs: [string, string] = ['en', 'fr']): void {
  words.forEach((w, n) => {
    const p = pairs[n] as TextPair;
    const src = tokenize(p.src.toLowerCase(), { lang: langs[0] });
    const tgt = tokenize(p.tgt.toLowerCase(), { lang: langs[1] });
    if (src.length !== w.sourceWords.length || tgt.length !== w.targetWords.length) {
      throw new AlignmentError(
        `align: pair ${n + 1}: the model has ${w.sourceWords.length} source / ${w.targetWords.length} target tokens, the gold alignment's words are ${src.length} / ${tgt.length}` +
          ' (gold indices count the words of tokenize())',
      );
    }
  });
}

export interface AlignmentScore {
  method: AlignMethod;
  pairs: number;
  aer: number;
}

/** Gold alignments of pairs that carry their links (the seed corpus's): every link is sure. */
export function goldOf(pairs: ReadonlyArray<{ alignment: ReadonlyArray<readonly [number, number]> }>): GoldAlignment[] {
  return pairs.map((p) => {
    const sure = p.alignment.map(([source, target]) => ({ source, target }));
    return { sure, possible: sure };
  });
}

/** Corpus AER of the model's attention on pairs with gold alignments, for each method. */
export function scoreAlignments(translator: Translator, pairs: readonly TextPair[], gold: readonly GoldAlignment[], methods: readonly AlignMethod[] = ['t2s', 'grow-diag']): AlignmentScore[] {
  if (gold.length !== pairs.length) throw new AlignmentError(`align: ${pairs.length} pairs but ${gold.length} gold alignment lines`);
  const words = wordAttentionOf(translator, pairs);
  checkGoldTokens(words, pairs);
  return methods.map((method) => ({
    method,
    pairs: pairs.length,
    aer: corpusAlignmentErrorRate(words.map((w) => hardAlign(w.weights, method)), gold.map((g) => g.sure), gold.map((g) => g.possible)),
  }));
}
