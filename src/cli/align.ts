/**
 * `attnmt align --model FILE [--input PAIRS.tsv] [--method t2s|grow-diag|intersection|union] [--gold FILE.align] [--json]`
 *
 * Word alignments from attention. Each input line is `source<TAB>target`; the model reads the source and is
 * teacher-forced on the given target (forced decoding), so the attention matrix is over exactly the reference
 * pair's tokens, which is what an alignment error rate against gold links needs. The end-of-sentence row
 * and column are dropped before aligning: indices are 0-based over words, the `tokenize()` tokens the seed
 * corpus's gold alignment uses. A BPE model's subword attention is turned into word attention first (a
 * source word gets the sum of its pieces' weights, a target word the mean of its pieces' rows).
 *
 * Prints one Pharaoh line (`i-j`, source-target) per pair; with `--gold` (one gold line per pair, `i-j`
 * sure, `i?j` possible) also the corpus AER on stderr (or in the JSON report).
 */
import * as fs from 'node:fs';
import { makeSourceBatch } from '../data/batch.js';
import { mergeSubwords, pieceWords } from '../data/bpe.js';
import { tokenize } from '../data/tokenize.js';
import { BOS, EOS } from '../data/vocab.js';
import { withArena, type StepDecoder } from '../decode/common.js';
import {
  alignSymmetric, alignT2S, corpusAlignmentErrorRate, formatPharaoh, parseGoldText, wordAttention,
  type AttentionMatrix, type GoldAlignment, type Link, type Symmetrization,
} from '../eval/alignment.js';
import { hasAttention } from '../model/config.js';
import type { ModelParts } from '../train/translator.js';
import { loadTranslator, numberOption, readInputLines, startEngine, stopEngine, stringOption, writeFileAtomic } from './common.js';
import { UserError } from './errors.js';

export type AlignMethod = 't2s' | Symmetrization;
export const ALIGN_METHODS: readonly AlignMethod[] = ['t2s', 'grow-diag', 'intersection', 'union'];

export interface TextPair {
  src: string;
  tgt: string;
}

/** The attention of one teacher-forced pair, end-of-sentence row and column dropped, over words. */
export interface ForcedAttention {
  /** Source words (a BPE model's pieces merged). */
  sourceTokens: string[];
  targetTokens: string[];
  /** (T, S) over the words: row t is the attention while predicting target word t. */
  weights: number[][];
}

/** A pair's attention over the model's tokens turned into attention over words (BPE pieces merged). */
function overWords(parts: ModelParts, src: string[], tgt: string[], weights: number[][]): ForcedAttention {
  const { src: sp, tgt: tp } = parts.codec.pipelines;
  if (sp.kind !== 'bpe' && tp.kind !== 'bpe') return { sourceTokens: src, targetTokens: tgt, weights };
  const srcWords = sp.kind === 'bpe' ? pieceWords(src) : src.map((_, i) => i);
  const tgtWords = tp.kind === 'bpe' ? pieceWords(tgt) : tgt.map((_, i) => i);
  return {
    sourceTokens: sp.kind === 'bpe' ? mergeSubwords(src) : src,
    targetTokens: tp.kind === 'bpe' ? mergeSubwords(tgt) : tgt,
    weights: wordAttention(weights, tgtWords, srcWords),
  };
}

/**
 * Teacher-forced attention of every pair: the decoder is fed BOS then the reference target tokens, and
 * the attention weights of each step are kept (the step that predicts target token t gives row t).
 * Throws for the fixed-context baseline, which has no attention.
 */
export function forcedAttention(parts: ModelParts, pairs: readonly TextPair[], batchSize = 32): ForcedAttention[] {
  const { model, srcVocab, tgtVocab, codec } = parts;
  if (!hasAttention(model.config)) throw new UserError('align: the model has no attention (attention: none, the fixed-context baseline)');
  const srcTokens = pairs.map((p) => codec.source(p.src));
  const tgtTokens = pairs.map((p) => codec.target(p.tgt));
  const srcIds = srcTokens.map((t) => srcVocab.encode(t));
  const tgtIds = tgtTokens.map((t) => tgtVocab.encode(t));
  const out = new Array<ForcedAttention>(pairs.length);
  model.inferenceMode(() => {
    for (let start = 0; start < pairs.length; start += batchSize) {
      const rows = Array.from({ length: Math.min(batchSize, pairs.length - start) }, (_, r) => start + r);
      const batch = makeSourceBatch(rows.map((i) => srcIds[i] as number[]));
      const weights = rows.map(() => [] as number[][]);
      withArena((arena) => {
        const decoder: StepDecoder<unknown, unknown> = model;
        const begin = arena.inBatch(() => decoder.startDecoding(batch));
        const memory = begin.memory;
        let state = begin.state;
        const steps = Math.max(...rows.map((i) => (tgtIds[i] as number[]).length));
        const prev = new Int32Array(rows.length);
        for (let t = 0; t < steps; t++) {
          rows.forEach((i, r) => {
            const tgt = tgtIds[i] as number[];
            prev[r] = t === 0 ? BOS : t - 1 < tgt.length ? (tgt[t - 1] as number) : EOS;
          });
          const step = arena.nextStep(() => decoder.decodeStep(prev, state, memory));
          state = step.state;
          const w = step.weights;
          if (w === null) throw new Error('forcedAttention: the decoder returned no attention weights');
          const width = w.shape[1] as number;
          rows.forEach((i, r) => {
            const sLen = (srcIds[i] as number[]).length; // the EOS column is dropped
            if (t < (tgtIds[i] as number[]).length) weights[r]?.push(Array.from(w.data.subarray(r * width, r * width + sLen)));
          });
        }
      });
      rows.forEach((i, r) => {
        out[i] = overWords(parts, srcTokens[i] as string[], tgtTokens[i] as string[], weights[r] as number[][]);
      });
    }
  });
  return out;
}

/** Hard links from an attention matrix (T, S) by the chosen method. */
export function hardAlign(weights: AttentionMatrix, method: AlignMethod): Link[] {
  if (weights.length === 0 || (weights[0]?.length ?? 0) === 0) return [];
  return method === 't2s' ? alignT2S(weights) : alignSymmetric(weights, method);
}

/**
 * Checks that the aligned words are the words the gold alignment indexes (tokenize() with the languages'
 * rules), so gold index i means the same word as column i; a mismatch names the first pair.
 */
export function checkGoldTokens(forced: readonly ForcedAttention[], pairs: readonly TextPair[], langs: [string, string] = ['en', 'fr']): void {
  forced.forEach((f, n) => {
    const p = pairs[n] as TextPair;
    const src = tokenize(p.src.toLowerCase(), { lang: langs[0] });
    const tgt = tokenize(p.tgt.toLowerCase(), { lang: langs[1] });
    if (src.length !== f.sourceTokens.length || tgt.length !== f.targetTokens.length) {
      throw new UserError(
        `align: pair ${n + 1}: the model has ${f.sourceTokens.length} source / ${f.targetTokens.length} target tokens, the gold alignment's words are ${src.length} / ${tgt.length}` +
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

/** Corpus AER of the model on pairs with gold alignments, for each method. */
export function scoreAlignments(parts: ModelParts, pairs: readonly TextPair[], gold: readonly GoldAlignment[], methods: readonly AlignMethod[] = ['t2s', 'grow-diag']): AlignmentScore[] {
  if (gold.length !== pairs.length) throw new UserError(`align: ${pairs.length} pairs but ${gold.length} gold alignment lines`);
  const forced = forcedAttention(parts, pairs);
  checkGoldTokens(forced, pairs);
  return methods.map((method) => ({
    method,
    pairs: pairs.length,
    aer: corpusAlignmentErrorRate(forced.map((f) => hardAlign(f.weights, method)), gold.map((g) => g.sure), gold.map((g) => g.possible)),
  }));
}

/** `source<TAB>target` lines -> pairs; errors name the file and line. */
export function parsePairLines(lines: readonly string[], name: string): TextPair[] {
  const pairs: TextPair[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const cols = line.split('\t');
    if (cols.length < 2 || (cols[0] ?? '').trim() === '' || (cols[1] ?? '').trim() === '') {
      throw new UserError(`${name}:${i + 1}: expected "source<TAB>target", got ${JSON.stringify(line.slice(0, 80))}`);
    }
    pairs.push({ src: (cols[0] as string).trim(), tgt: (cols[1] as string).trim() });
  });
  return pairs;
}

function methodOption(text: string | undefined): AlignMethod {
  if (text === undefined) return 't2s';
  const m = ALIGN_METHODS.find((x) => x === text);
  if (m === undefined) throw new UserError(`--method: must be one of ${ALIGN_METHODS.join(', ')} (got "${text}")`);
  return m;
}

export async function alignCommand(opts: Record<string, unknown>): Promise<void> {
  const loaded = loadTranslator(String(opts['model']));
  const method = methodOption(stringOption(opts, 'method'));
  const input = stringOption(opts, 'input');
  const pairs = parsePairLines(readInputLines(input), input ?? 'stdin');
  const goldFile = stringOption(opts, 'gold');
  let gold: GoldAlignment[] | undefined;
  if (goldFile !== undefined) {
    if (!fs.existsSync(goldFile)) throw new UserError(`${goldFile}: no such gold alignment file`);
    gold = parseGoldText(fs.readFileSync(goldFile, 'utf8'), goldFile);
    if (gold.length !== pairs.length) throw new UserError(`${goldFile}: ${gold.length} alignment lines for ${pairs.length} pairs`);
  }
  await startEngine(numberOption(opts, 'threads') ?? 0, () => {});
  let forced: ForcedAttention[];
  try {
    forced = forcedAttention(loaded, pairs);
  } finally {
    await stopEngine();
  }
  const links = forced.map((f) => hardAlign(f.weights, method));
  const lines = links.map((l) => formatPharaoh(l));
  const output = stringOption(opts, 'output');
  let aer: number | undefined;
  if (gold !== undefined) {
    checkGoldTokens(forced, pairs);
    aer = corpusAlignmentErrorRate(links, gold.map((g) => g.sure), gold.map((g) => g.possible));
  }
  if (output !== undefined) writeFileAtomic(output, lines.length > 0 ? `${lines.join('\n')}\n` : '');
  if (opts['json'] === true) {
    process.stdout.write(`${JSON.stringify({ method, pairs: pairs.length, ...(aer === undefined ? {} : { aer }), ...(output === undefined ? { alignments: lines } : {}) }, null, 2)}\n`);
    return;
  }
  if (output === undefined && lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
  if (aer !== undefined) process.stderr.write(`AER (${method}) on ${pairs.length} pairs: ${(aer * 100).toFixed(1)}%\n`);
}
