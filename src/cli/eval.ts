/**
 * `attnmt eval --model FILE [FILE...] --test FILE.tsv [--model2 FILE] [--beam K] [--by-length] [--chart F.svg] [--output F] [--json]`
 *
 * Translates every unique source of a TSV test set (lines with the same source are several
 * references of it, as in Tatoeba) and prints BLEU and chrF (sacreBLEU semantics), the exact-match
 * rate, and with --by-length the same per source-length bucket (1-5, 6-10, 11-15, 16-20, 21-30, 31+
 * source tokens of the first model). With --model2 (typically the fixed-context baseline) both models
 * are scored on the same sentences and shown side by side; --chart draws BLEU by length as SVG, one
 * line per model (the analogue of Bahdanau et al. 2015, Figure 2). Several files after --model are
 * scored as one ensemble (see src/model/ensemble.ts).
 */
import * as path from 'node:path';
import { readGroupedTsv } from '../eval/references.js';
import {
  bucketBleuSeries, formatBucketTable, formatComparisonTable, scoreByLength, scoreSet, sourceWordCount,
  type BucketScore, type SetScore,
} from '../train/scores.js';
import { attentionKind, hasAttention } from '../model/config.js';
import { Ensemble } from '../model/ensemble.js';
import { translateTexts, type TranslatorParts } from '../train/translator.js';
import { bleuByLengthChartSvg } from '../viz/chart-svg.js';
import { loadTranslator, loadTranslators, modelFiles, numberOption, startEngine, stopEngine, stringOption, writeFileAtomic } from './common.js';
import { UserError } from './errors.js';
import { decodingFor } from './translate.js';

function parseColumns(text: string | undefined): { sourceColumn: number; targetColumn: number } {
  if (text === undefined) return { sourceColumn: 0, targetColumn: 1 };
  const m = /^(\d+),(\d+)$/.exec(text.trim());
  if (m === null) throw new UserError(`--columns: expected "src,tgt" column numbers (0-based), got "${text}"`);
  return { sourceColumn: Number(m[1]), targetColumn: Number(m[2]) };
}

export interface DecodeSettings {
  beam: number;
  alpha: number;
  maxLenRatio: number;
  batchSize: number;
  replaceUnknowns: boolean;
}

/** One model's scores on a test set. */
export interface ModelEval {
  name: string;
  model: string;
  /** Attention type of the model ('none' for the fixed-context baseline). */
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
 * Translate `sources` with a loaded model and score them against `references`; `lengths` are the source
 * lengths that pick each sentence's bucket (the same for every model compared).
 */
export function evaluateModel(
  name: string,
  file: string,
  loaded: TranslatorParts,
  sources: readonly string[],
  references: readonly (readonly string[])[],
  lengths: readonly number[],
  dec: DecodeSettings,
): ModelEval {
  const t0 = performance.now();
  const results = translateTexts(loaded, sources, dec);
  const hypotheses = results.map((r) => r.hypotheses[0]?.text ?? '');
  const seconds = (performance.now() - t0) / 1000;
  const opts = { lowercase: loaded.codec.lowercase };
  return {
    name,
    model: file,
    attention: attentionOf(loaded.model),
    parameters: loaded.model.parameterCount(),
    beam: dec.beam,
    total: scoreSet(hypotheses, references, opts),
    byLength: scoreByLength(hypotheses, references, lengths, opts),
    seconds,
    hypotheses,
  };
}

/** The attention type of a model ('none' for the baseline); an ensemble's members' types joined by '+'. */
function attentionOf(model: TranslatorParts['model']): string {
  return model instanceof Ensemble ? model.members.map((m) => attentionKind(m.config)).join('+') : attentionKind(model.config);
}

/** A display name for a model: its attention type ("baseline" without attention), or the file name when both agree. */
function displayName(loaded: TranslatorParts, file: string, other?: TranslatorParts): string {
  const kindOf = (p: TranslatorParts): string => (p.model instanceof Ensemble ? (p.model.hasAttention ? 'attention' : 'baseline') : hasAttention(p.model.config) ? 'attention' : 'baseline');
  const kind = kindOf(loaded);
  const otherKind = other === undefined ? '' : kindOf(other);
  return kind === otherKind ? path.basename(file, path.extname(file)) : kind;
}

/** The by-length chart of several evaluated models. */
export function byLengthChart(evals: readonly ModelEval[], title?: string): string {
  return bleuByLengthChartSvg(evals.map((e) => ({ name: e.name, values: bucketBleuSeries(e.byLength) })), title === undefined ? {} : { title });
}

export async function evalCommand(opts: Record<string, unknown>): Promise<void> {
  const files1 = modelFiles(opts);
  const file1 = files1.join(' + ');
  const file2 = stringOption(opts, 'model2');
  const loaded1 = loadTranslators(files1);
  const loaded2 = file2 === undefined ? undefined : loadTranslator(file2);
  const testFile = String(opts['test']);
  const grouped = readGroupedTsv(testFile, parseColumns(stringOption(opts, 'columns')));
  const limit = numberOption(opts, 'limit');
  const sources = limit === undefined ? grouped.sources : grouped.sources.slice(0, limit);
  const references = grouped.references.slice(0, sources.length);
  const chart = stringOption(opts, 'chart');
  const byLength = opts['byLength'] === true || chart !== undefined;
  const lengths = sources.map(sourceWordCount);
  const dec1 = decodingFor(loaded1, opts);
  await startEngine(numberOption(opts, 'threads') ?? 0);
  const evals: ModelEval[] = [];
  try {
    evals.push(evaluateModel(files1.length > 1 ? `ensemble of ${files1.length}` : displayName(loaded1, file1, loaded2), file1, loaded1, sources, references, lengths, dec1));
    if (loaded2 !== undefined && file2 !== undefined) {
      evals.push(evaluateModel(displayName(loaded2, file2, loaded1), file2, loaded2, sources, references, lengths, decodingFor(loaded2, opts)));
    }
  } finally {
    await stopEngine();
  }
  const output = stringOption(opts, 'output');
  const first = evals[0] as ModelEval;
  if (output !== undefined) writeFileAtomic(output, first.hypotheses.length > 0 ? `${first.hypotheses.join('\n')}\n` : '');
  if (chart !== undefined) writeFileAtomic(chart, byLengthChart(evals, `BLEU by source sentence length (${path.basename(testFile)})`));

  if (opts['json'] === true) {
    const report = (e: ModelEval): Record<string, unknown> => ({
      model: e.model, name: e.name, attention: e.attention, parameters: e.parameters,
      sentences: e.total.sentences, beam: e.beam, lowercase: loaded1.codec.lowercase,
      bleu: e.total.bleu, chrf: e.total.chrf, exact: e.total.exact, seconds: e.seconds,
      ...(byLength ? { byLength: e.byLength } : {}),
    });
    const out = evals.length === 1 ? { test: testFile, ...report(first) } : { test: testFile, models: evals.map(report) };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  const lines: string[] = [];
  for (const e of evals) {
    lines.push(
      `${e.name} (${e.model}) on ${testFile}: ${e.total.sentences} sources, beam ${e.beam}${loaded1.codec.lowercase ? ', lowercased' : ''}, ${e.seconds.toFixed(1)} s`,
      `  BLEU ${e.total.bleu.toFixed(2)}  chrF ${e.total.chrf.toFixed(2)}  exact match ${(e.total.exact * 100).toFixed(1)}%`,
    );
  }
  if (byLength) {
    lines.push('', evals.length === 1 ? formatBucketTable(first.byLength, 'src len') : formatComparisonTable(evals.map((e) => ({ name: e.name, rows: e.byLength }))));
  }
  if (chart !== undefined) lines.push('', `Wrote ${chart}.`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
