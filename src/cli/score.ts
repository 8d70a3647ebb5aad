/**
 * `attnmt score`: score hypotheses (stdin, one per line) against references with sacreBLEU-compatible BLEU or chrF.
 *
 *   attnmt score --metric bleu|chrf [--lowercase] [--tokenize 13a|intl|char|none] [--smooth exp|floor|add-k|none]
 *                [--smooth-value X] [--word-order N] [--tsv] [--json] [--sentence] REF_FILE [REF_FILE...] < HYP_FILE
 *
 * Several REF_FILEs are several references (line-aligned). With --tsv the single REF_FILE is `source<TAB>target`
 * with repeated sources (Tatoeba dev): hypotheses then follow the unique sources in first-seen order.
 * Lines are right-stripped as sacreBLEU's command line does.
 *
 * Output: sacreBLEU's text line with the signature
 *   `BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0 = 34.12 65.2/40.1/27.3/19.0 (BP = ...)`
 * or with --json one object `{"score","counts","totals","bp","sys_len","ref_len","signature"}` (counts, totals, bp
 * and lengths for BLEU only; numbers unrounded). --sentence prints one score per hypothesis (effective order on for
 * BLEU, as sacreBLEU's --sentence-level), one JSON object per line with --json.
 *
 * Exit code: 0 ok, 1 bad input or usage (the message names the files, lines and counts).
 */
import { Command, CommanderError, Option } from 'commander';
import { z } from 'zod';
import {
  BleuError,
  corpusBleu,
  formatBleu,
  sentenceBleuScores,
  SMOOTH_METHODS,
  type BleuOptions,
  type BleuResult,
  type SmoothMethod,
} from '../eval/bleu.js';
import { corpusChrf, formatChrf, sentenceChrfScores, type ChrfOptions, type ChrfResult } from '../eval/chrf.js';
import { decodeLines, readGroupedTsv, readReferenceFiles, toReferenceStreams } from '../eval/references.js';
import { pythonRstrip, TOKENIZER_NAMES, type TokenizerName } from '../eval/tokenizers.js';
import { nonNegativeInt, nonNegativeNumber, opt } from './options.js';
import { InputError } from '../util/errors.js';

export interface ScoreIO {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** The parsed flags (commander's camel-cased option names), typed once. */
export const ScoreOptionsSchema = z.object({
  metric: z.enum(['bleu', 'chrf']).default('bleu'),
  lowercase: opt.flag,
  tokenize: z.enum(TOKENIZER_NAMES as [TokenizerName, ...TokenizerName[]]).default('13a'),
  smooth: z.enum(SMOOTH_METHODS as [SmoothMethod, ...SmoothMethod[]]).default('exp'),
  smoothValue: opt.number.optional(),
  wordOrder: z.number().int().nonnegative().default(0),
  tsv: opt.flag,
  json: opt.flag,
  sentence: opt.flag,
});
type ScoreFlags = z.infer<typeof ScoreOptionsSchema>;

async function readAll(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

function bleuJson(r: BleuResult): string {
  return JSON.stringify({
    score: r.score,
    counts: r.counts,
    totals: r.totals,
    bp: r.bp,
    sys_len: r.sysLen,
    ref_len: r.refLen,
    signature: r.signature,
  });
}

function chrfJson(r: ChrfResult): string {
  return JSON.stringify({ score: r.score, signature: r.signature });
}

/** Reads references as streams plus a description of where they came from for error messages. */
function loadReferences(files: readonly string[], tsv: boolean): { streams: string[][]; what: string } {
  if (tsv) {
    if (files.length !== 1) throw new BleuError(`--tsv takes exactly one reference file, got ${files.length}`);
    const grouped = readGroupedTsv(files[0]);
    return { streams: toReferenceStreams(grouped.references), what: `${files[0]} has ${grouped.sources.length} unique sources` };
  }
  const streams = readReferenceFiles(files);
  const what = files.length === 1 ? `${files[0]} has ${streams[0].length} lines` : `${files.join(', ')} have ${streams[0].length} lines each`;
  return { streams, what };
}

/** Validates flag combinations; returns a usage problem or null. */
function flagProblem(cmd: Command, flags: ScoreFlags): string | null {
  const given = (key: string): boolean => cmd.getOptionValueSource(key) === 'cli';
  if (flags.metric === 'chrf') {
    for (const [key, flag] of [
      ['tokenize', '--tokenize'],
      ['smooth', '--smooth'],
      ['smoothValue', '--smooth-value'],
    ] as const) {
      if (given(key)) return `${flag} applies to --metric bleu only`;
    }
  } else if (given('wordOrder')) {
    return '--word-order applies to --metric chrf only';
  }
  return null;
}

async function execute(refFiles: string[], raw: unknown, cmd: Command, io: ScoreIO): Promise<number> {
  const fail = (message: string): number => {
    io.stderr.write(`error: ${message}\n`);
    return 1;
  };
  const parsed = ScoreOptionsSchema.safeParse(raw);
  if (!parsed.success) return fail(parsed.error.issues[0]?.message ?? 'invalid options');
  const flags = parsed.data;
  const problem = flagProblem(cmd, flags);
  if (problem !== null) return fail(problem);
  if ('isTTY' in io.stdin && io.stdin.isTTY === true) {
    return fail('pipe the hypotheses on stdin (attnmt score REF_FILE < HYP_FILE)');
  }
  try {
    const { streams: rawStreams, what } = loadReferences(refFiles, flags.tsv === true);
    const hyps = decodeLines(await readAll(io.stdin), '<stdin>').map(pythonRstrip);
    const streams = rawStreams.map((s) => s.map(pythonRstrip));
    if (hyps.length === 0) return fail('no hypotheses on stdin');
    if (hyps.length !== streams[0].length) {
      return fail(`hypotheses (stdin) have ${hyps.length} lines but ${what}`);
    }
    for (let i = 0; i < hyps.length; i++) {
      if (streams.every((s) => s[i] === '')) {
        const where = refFiles.length === 1 ? `${refFiles[0]}:${i + 1}` : `line ${i + 1} of ${refFiles.join(', ')}`;
        return fail(flags.tsv ? `${refFiles[0]}: source ${i + 1} has no non-empty reference` : `${where}: empty reference`);
      }
    }
    const out: string[] = [];
    if (flags.metric === 'bleu') {
      const opts: BleuOptions = { lowercase: flags.lowercase === true };
      opts.tokenize = flags.tokenize;
      opts.smoothMethod = flags.smooth;
      if (flags.smoothValue !== undefined) opts.smoothValue = flags.smoothValue;
      if (flags.sentence) {
        for (const r of sentenceBleuScores(hyps, streams, opts)) out.push(flags.json ? bleuJson(r) : formatBleu(r, r.signature));
      } else {
        const r = corpusBleu(hyps, streams, opts);
        out.push(flags.json ? bleuJson(r) : formatBleu(r, r.signature));
      }
    } else {
      const opts: ChrfOptions = { lowercase: flags.lowercase === true, wordOrder: flags.wordOrder };
      if (flags.sentence) {
        for (const r of sentenceChrfScores(hyps, streams, opts)) out.push(flags.json ? chrfJson(r) : formatChrf(r, r.signature));
      } else {
        const r = corpusChrf(hyps, streams, opts);
        out.push(flags.json ? chrfJson(r) : formatChrf(r, r.signature));
      }
    }
    // A reader that stops early (`| head`) closes the pipe: that is not an error (sacreBLEU exits quietly too).
    io.stdout.on('error', (e: Error) => {
      if (!('code' in e && e.code === 'EPIPE')) io.stderr.write(`error: stdout: ${e.message}\n`);
    });
    io.stdout.write(out.join('\n') + '\n');
    return 0;
  } catch (err) {
    if (err instanceof InputError) return fail(err.message);
    throw err;
  }
}

/**
 * The `score` sub-command. `io` defaults to the process streams; `onExit` receives the exit code
 * (default: sets `process.exitCode` when non-zero).
 */
export function scoreCommand(
  io: ScoreIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
  onExit: (code: number) => void = (code) => {
    if (code !== 0) process.exitCode = code;
  },
): Command {
  const cmd = new Command('score')
    .description('score hypotheses (stdin, one per line) against references with sacreBLEU-compatible BLEU or chrF')
    .argument('<ref-files...>', 'reference files, line-aligned with the hypotheses (several files = several references)')
    .addOption(new Option('--metric <name>', 'metric').choices(['bleu', 'chrf']).default('bleu'))
    .option('--lowercase', 'lowercase hypotheses and references (case:lc)')
    .addOption(new Option('--tokenize <name>', 'BLEU tokenizer').choices(TOKENIZER_NAMES).default('13a'))
    .addOption(new Option('--smooth <method>', 'BLEU smoothing').choices(SMOOTH_METHODS).default('exp'))
    .option('--smooth-value <x>', 'BLEU smoothing value for floor (default 0.1) and add-k (default 1)', nonNegativeNumber)
    .option('--word-order <n>', 'chrF word n-gram order (2 gives chrF++)', nonNegativeInt, 0)
    .option('--tsv', 'the reference file is source<TAB>target with repeated sources (one hypothesis per unique source)')
    .option('--json', 'print JSON instead of the sacreBLEU text line')
    .option('--sentence', 'one score per hypothesis')
    .action(async (refFiles: string[], flags: unknown, self: Command) => {
      onExit(await execute(refFiles, flags, self, io));
    });
  cmd.configureOutput({
    writeOut: (s) => io.stdout.write(s),
    writeErr: (s) => io.stderr.write(s),
  });
  return cmd;
}

/**
 * Runs `attnmt score` with `argv` = the arguments after `score` (e.g. `['--metric', 'chrf', 'ref.fr']`).
 * Resolves to the exit code: 0 ok, 1 bad input or usage.
 */
export async function runScore(argv: string[], io: ScoreIO): Promise<number> {
  let code = 0;
  const cmd = scoreCommand(io, (c) => {
    code = c;
  }).exitOverride();
  try {
    await cmd.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1;
    throw err;
  }
  return code;
}
