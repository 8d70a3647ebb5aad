/**
 * `attnmt eval --model FILE --test FILE.tsv [--beam K] [--by-length] [--output F] [--json]`
 *
 * Translates every unique source of a TSV test set (lines with the same source are several
 * references of it, as in Tatoeba) and prints BLEU and chrF (sacreBLEU semantics), the exact-match
 * rate, and with --by-length the same per source-length bucket.
 */
import { readGroupedTsv } from '../eval/references.js';
import { formatBucketTable, scoreByLength, scoreSet } from '../train/scores.js';
import { translateTexts } from '../train/translator.js';
import { loadTranslator, numberOption, startEngine, stopEngine, stringOption, writeFileAtomic } from './common.js';
import { UserError } from './errors.js';
import { decodingFor } from './translate.js';

function parseColumns(text: string | undefined): { sourceColumn: number; targetColumn: number } {
  if (text === undefined) return { sourceColumn: 0, targetColumn: 1 };
  const m = /^(\d+),(\d+)$/.exec(text.trim());
  if (m === null) throw new UserError(`--columns: expected "src,tgt" column numbers (0-based), got "${text}"`);
  return { sourceColumn: Number(m[1]), targetColumn: Number(m[2]) };
}

export async function evalCommand(opts: Record<string, unknown>): Promise<void> {
  const loaded = loadTranslator(String(opts['model']));
  const testFile = String(opts['test']);
  const grouped = readGroupedTsv(testFile, parseColumns(stringOption(opts, 'columns')));
  const limit = numberOption(opts, 'limit');
  const sources = limit === undefined ? grouped.sources : grouped.sources.slice(0, limit);
  const references = grouped.references.slice(0, sources.length);
  const dec = decodingFor(loaded, opts);
  await startEngine(numberOption(opts, 'threads') ?? 0);
  const t0 = performance.now();
  let hyps: string[];
  try {
    const results = translateTexts(loaded, sources, {
      beam: dec.beam,
      alpha: dec.alpha,
      maxLenRatio: dec.maxLenRatio,
      batchSize: dec.batchSize,
      replaceUnknowns: dec.replaceUnknowns,
    });
    hyps = results.map((r) => r.hypotheses[0]?.text ?? '');
  } finally {
    await stopEngine();
  }
  const seconds = (performance.now() - t0) / 1000;
  const lowercase = loaded.codec.lowercase;
  const total = scoreSet(hyps, references, { lowercase });
  const byLength = opts['byLength'] === true
    ? scoreByLength(hyps, references, sources.map((s) => loaded.codec.source(s).length), { lowercase })
    : undefined;
  const output = stringOption(opts, 'output');
  if (output !== undefined) writeFileAtomic(output, hyps.length > 0 ? `${hyps.join('\n')}\n` : '');

  if (opts['json'] === true) {
    const report = { test: testFile, sentences: total.sentences, beam: dec.beam, lowercase, bleu: total.bleu, chrf: total.chrf, exact: total.exact, seconds, ...(byLength ? { byLength } : {}) };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const lines = [
    `${testFile}: ${total.sentences} sources, beam ${dec.beam}${lowercase ? ', lowercased' : ''}, ${seconds.toFixed(1)} s`,
    `BLEU ${total.bleu.toFixed(2)}  chrF ${total.chrf.toFixed(2)}  exact match ${(total.exact * 100).toFixed(1)}%`,
  ];
  if (byLength !== undefined) lines.push('', formatBucketTable(byLength, 'src len'));
  process.stdout.write(`${lines.join('\n')}\n`);
}
