/**
 * `attnmt eval --model FILE [FILE...] --test FILE.tsv [--model2 FILE] [--beam K] [--by-length] [--chart F.svg] [--output F] [--json]`
 *
 * Translates every unique source of a TSV test set (lines with the same source are several
 * references of it, as in Tatoeba) and prints BLEU and chrF (sacreBLEU semantics), the exact-match
 * rate, and with --by-length the same per source-length bucket (1-5, 6-10, 11-15, 16-20, 21-30, 31+
 * source words). With --model2 (typically the fixed-context baseline) both models are scored on the
 * same sentences and shown side by side; --chart draws BLEU by length as SVG, one line per model (the
 * analogue of Bahdanau et al. 2015, Figure 2). Several files after --model are scored as one ensemble
 * (see src/model/ensemble.ts). The scoring itself is src/eval/evaluate.ts.
 */
import * as path from 'node:path';
import { z } from 'zod';
import { byLengthChart, evaluateModel, type ModelEval } from '../eval/evaluate.js';
import { readGroupedTsv } from '../eval/references.js';
import { formatBucketTable, formatComparisonTable, sourceWordCount } from '../eval/scores.js';
import { openTranslator } from '../translate/open.js';
import type { Translator } from '../translate/translator.js';
import { withEngine, writeFileAtomic } from './common.js';
import { UserError } from './errors.js';
import { opt, parseOptions } from './options.js';

export const EvalOptionsSchema = z.object({
  model: opt.files,
  test: opt.file,
  columns: z
    .string()
    .regex(/^\s*\d+,\d+\s*$/, 'expected "src,tgt" column numbers (0-based), e.g. "0,1"')
    .transform((s) => s.split(',').map(Number) as [number, number])
    .optional(),
  beam: opt.count.optional(),
  alpha: opt.number.optional(),
  byLength: opt.flag,
  model2: opt.file.optional(),
  chart: opt.file.optional(),
  output: opt.file.optional(),
  json: opt.flag,
  limit: opt.count.optional(),
  threads: opt.count.optional(),
});

/** A display name for a model: "attention" or "baseline", or the file name when both models are of one kind. */
function displayName(t: Translator, other?: Translator): string {
  const kind = (x: Translator): string => (x.model.hasAttention ? 'attention' : 'baseline');
  if (t.checkpoints.length > 1) return `ensemble of ${t.checkpoints.length}`;
  const file = t.name;
  return other !== undefined && kind(t) === kind(other) ? path.basename(file, path.extname(file)) : kind(t);
}

export async function evalCommand(raw: unknown): Promise<void> {
  const o = parseOptions(EvalOptionsSchema, raw);
  const first = openTranslator(o.model);
  const second = o.model2 === undefined ? undefined : openTranslator(o.model2);
  const [sourceColumn, targetColumn] = o.columns ?? [0, 1];
  const grouped = readGroupedTsv(o.test, { sourceColumn, targetColumn });
  if (grouped.sources.length === 0) throw new UserError(`${o.test}: the test set is empty (no source<TAB>reference lines)`);
  const sources = o.limit === undefined ? grouped.sources : grouped.sources.slice(0, o.limit);
  const references = grouped.references.slice(0, sources.length);
  const byLength = o.byLength === true || o.chart !== undefined;
  const lengths = sources.map(sourceWordCount);
  const call = { beam: o.beam, alpha: o.alpha };
  const evals: ModelEval[] = await withEngine(o.threads ?? 0, () => [
    evaluateModel(displayName(first, second), first, sources, references, lengths, call),
    ...(second === undefined ? [] : [evaluateModel(displayName(second, first), second, sources, references, lengths, call)]),
  ]);
  const best = evals[0] as ModelEval;
  const lowercase = first.codec.lowercase;
  if (o.output !== undefined) writeFileAtomic(o.output, best.hypotheses.length > 0 ? `${best.hypotheses.join('\n')}\n` : '');
  if (o.chart !== undefined) writeFileAtomic(o.chart, byLengthChart(evals, `BLEU by source sentence length (${path.basename(o.test)})`));

  if (o.json === true) {
    const report = (e: ModelEval): Record<string, unknown> => ({
      model: e.model, name: e.name, attention: e.attention, parameters: e.parameters,
      sentences: e.total.sentences, beam: e.beam, lowercase,
      bleu: e.total.bleu, chrf: e.total.chrf, exact: e.total.exact, seconds: e.seconds,
      ...(byLength ? { byLength: e.byLength } : {}),
    });
    const out = evals.length === 1 ? { test: o.test, ...report(best) } : { test: o.test, models: evals.map(report) };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return;
  }
  const lines: string[] = [];
  for (const e of evals) {
    lines.push(
      `${e.name} (${e.model}) on ${o.test}: ${e.total.sentences} sources, beam ${e.beam}${lowercase ? ', lowercased' : ''}, ${e.seconds.toFixed(1)} s`,
      `  BLEU ${e.total.bleu.toFixed(2)}  chrF ${e.total.chrf.toFixed(2)}  exact match ${(e.total.exact * 100).toFixed(1)}%`,
    );
  }
  if (byLength) {
    lines.push('', evals.length === 1 ? formatBucketTable(best.byLength, 'src len') : formatComparisonTable(evals.map((e) => ({ name: e.name, rows: e.byLength }))));
  }
  if (o.chart !== undefined) lines.push('', `Wrote ${o.chart}.`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
