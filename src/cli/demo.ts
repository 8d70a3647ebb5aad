/**
 * `attnmt demo [--out DIR] [--time SECONDS]`: the whole story in about three minutes on two cores.
 *
 *  1. generate the built-in English -> French seed corpus; hold out a dev and a test part;
 *  2. train an attention model and the fixed-context baseline (same size, `attention: none`) at the
 *     same time, one worker thread each, within the time budget;
 *  3. translate "the black cat ate the mouse" and longer showcase sentences with both, draw the
 *     attention matrix in the terminal and to DIR/attention.svg, and check that "chat" attends
 *     most to "cat" and "noir" to "black";
 *  4. print exact match and BLEU of both models per source length on the held-out test part;
 *  5. print the alignment error rate of the attention model's teacher-forced attention against the
 *     seed corpus's gold word alignments of the held-out test part (t2s and grow-diag).
 *
 * Writes DIR/attention.safetensors, DIR/baseline.safetensors, DIR/attention.svg, DIR/report.json
 * and the corpora (DIR/train.tsv, dev.tsv, test.tsv, test.align: the test part's gold alignments).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import cliProgress from 'cli-progress';
import { seedExamples } from '../data/seed-corpus.js';
import { writeSeedSplit } from '../data/seed-files.js';
import { z } from 'zod';
import { goldOf, scoreAlignments, type AlignmentScore } from '../eval/evaluate.js';
import { formatBucketTable, scoreByLength, scoreSet, sourceWordCount, type BucketScore, type SetScore } from '../eval/scores.js';
import type { ConfigInput } from '../train/config.js';
import { checkDemoSentence, DEMO_CORPUS, DEMO_SENTENCE, demoConfig, type AlignmentCheck, type DemoArch, type DemoRole } from '../train/demo-config.js';

export { checkDemoSentence, DEMO_EXPECTED, DEMO_SENTENCE, type AlignmentCheck } from '../train/demo-config.js';
import { BudgetClock, formatSeconds } from '../train/progress.js';
import { openTranslator } from '../translate/open.js';
import type { Translation } from '../translate/translate.js';
import type { Translator } from '../translate/translator.js';
import { heatmapSvg } from '../viz/heatmap-svg.js';
import { attentionText } from './attention.js';
import { startEngine, stopEngine, writeFileAtomic } from './common.js';
import type { DemoWorkerInput, DemoWorkerMessage } from './demo-worker.js';
import { opt, parseOptions } from './options.js';



type Progress = Extract<DemoWorkerMessage, { kind: 'progress' }>;

/**
 * On a terminal, one bar per training: elapsed / budget, steps, loss, ETA (the log lines go above the
 * bars). Elsewhere the trainings' own log lines show the same every logEvery steps.
 */
function demoBars(budget: number): { update(p: Progress): void; log(line: string): void; stop(): void } | null {
  if (process.stderr.isTTY !== true) return null;
  const multi = new cliProgress.MultiBar(
    { format: '{role} [{bar}] {percentage}% | {elapsed} | step {step} | loss {loss} | ETA {eta}', barsize: 24, hideCursor: true, fps: 5, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  const clock = new BudgetClock({ plannedSteps: 0, maxTime: budget });
  const clocks = new Map<string, BudgetClock>();
  return {
    update(p) {
      const c = clocks.get(p.role) ?? new BudgetClock(clock.budget);
      clocks.set(p.role, c);
      const { fraction, eta } = c.at(p.step, p.seconds);
      const payload = { role: p.role.padEnd(9), elapsed: c.elapsed(p.seconds), step: p.step, loss: p.loss.toFixed(3), eta: eta === null ? '-' : formatSeconds(eta) };
      const bar = bars.get(p.role);
      if (bar === undefined) bars.set(p.role, multi.create(1000, Math.round(fraction * 1000), payload));
      else bar.update(Math.round(fraction * 1000), payload);
    },
    log(line) {
      multi.log(`${line}\n`);
    },
    stop() {
      multi.stop();
    },
  };
}

/** Run both trainings in worker threads at the same time. */
function trainInWorkers(configs: Record<DemoRole, ConfigInput>, budget: number, baseLog: (line: string) => void, showBars: boolean): Promise<Record<DemoRole, Extract<DemoWorkerMessage, { kind: 'done' }>>> {
  const bars = showBars ? demoBars(budget) : null;
  const log = bars === null ? baseLog : (line: string) => bars.log(line);
  const one = (role: DemoRole): Promise<Extract<DemoWorkerMessage, { kind: 'done' }>> =>
    new Promise((resolve, reject) => {
      const input: DemoWorkerInput = { role, config: configs[role] };
      const worker = new Worker(new URL('./demo-worker.js', import.meta.url), { workerData: input });
      let settled = false;
      worker.on('message', (m: DemoWorkerMessage) => {
        if (m.kind === 'log') {
          // With bars on screen, the step lines would only repeat them.
          if (bars === null || !/^step \d/.test(m.line)) log(`[${role}] ${m.line}`);
        } else if (m.kind === 'progress') bars?.update(m);
        else if (m.kind === 'done') {
          settled = true;
          resolve(m);
        } else {
          settled = true;
          reject(new Error(`${role} training failed: ${m.message}`));
        }
      });
      worker.on('error', (err) => {
        settled = true;
        reject(err);
      });
      worker.on('exit', (code) => {
        if (!settled) reject(new Error(`${role} training worker exited with code ${code}`));
      });
    });
  return Promise.all([one('attention'), one('baseline')]).then(
    ([attention, baseline]) => {
      bars?.stop();
      return { attention, baseline };
    },
    (err: unknown) => {
      bars?.stop();
      throw err;
    },
  );
}

export interface DemoReport {
  dir: string;
  seconds: number;
  steps: Record<DemoRole, number>;
  check: AlignmentCheck;
  examples: Array<{ id: string; source: string; reference: string; attention: string; baseline: string }>;
  test: Record<DemoRole, SetScore>;
  byLength: Record<DemoRole, BucketScore[]>;
  /** AER of the attention model's teacher-forced attention on the test part's gold alignments. */
  alignment: AlignmentScore[];
}

export interface DemoOptions {
  dir: string;
  /** Training budget in seconds for both models together (they train at the same time). */
  seconds: number;
  seed: number;
  log: (line: string) => void;
  sizes?: typeof DEMO_CORPUS;
  /** Progress bars on stderr while training (a terminal only). */
  bars?: boolean;
  /** The attention model's family (default rnn); the baseline is the RNN fixed-context model either way. */
  arch?: DemoArch;
}

/** The demo without printing the final report (tests call this with a smaller budget). */
export async function runDemo(opts: DemoOptions): Promise<{ report: DemoReport; demo: Translation; models: Record<DemoRole, Translator> }> {
  const t0 = performance.now();
  const { dir, seed, log } = opts;
  const corpus = writeSeedSplit(dir, seed, opts.sizes ?? DEMO_CORPUS);
  log(`demo: seed corpus ${corpus.train.length} training pairs, ${corpus.dev.length} dev, ${corpus.test.length} held-out test (in ${dir})`);
  // Both models train at the same time; keep a few seconds of the budget for loading and scoring.
  const trainSeconds = Math.max(5, opts.seconds - 8);
  const arch = opts.arch ?? 'rnn';
  const configs = { attention: demoConfig('attention', dir, trainSeconds, seed, arch), baseline: demoConfig('baseline', dir, trainSeconds, seed) };
  const done = await trainInWorkers(configs, trainSeconds, log, opts.bars === true);

  const models = {} as Record<DemoRole, Translator>;
  for (const role of ['attention', 'baseline'] as const) {
    const src = done[role].bestCheckpoint ?? done[role].lastCheckpoint;
    if (src === null) throw new Error(`demo: the ${role} training wrote no checkpoint`);
    writeFileAtomic(path.join(dir, `${role}.safetensors`), fs.readFileSync(src));
    // Each model decodes with the settings its checkpoint stores (the demo config's decoding: greedy).
    models[role] = openTranslator(path.join(dir, `${role}.safetensors`));
  }

  await startEngine(0);
  try {
    const examples = seedExamples();
    const texts = examples.map((e) => e.src);
    const attn = models.attention.translate(texts);
    const base = models.baseline.translate(texts);
    const check = checkDemoSentence(attn[0] as Translation);
    const demo = attn[0] as Translation;
    const best = demo.hypotheses[0];
    if (best !== undefined && best.weights.length > 0) {
      writeFileAtomic(path.join(dir, 'attention.svg'), heatmapSvg(best.weights, demo.sourceTokens, best.targetTokens, { title: `${demo.source} → ${best.text}` }));
    }
    const testSrc = corpus.test.map((p) => p.src);
    const refs = corpus.test.map((p) => [p.tgt]);
    const lengths = testSrc.map(sourceWordCount);
    const hyps = {
      attention: models.attention.translate(testSrc, { batchSize: 64 }).map((t) => t.hypotheses[0]?.text ?? ''),
      baseline: models.baseline.translate(testSrc, { batchSize: 64 }).map((t) => t.hypotheses[0]?.text ?? ''),
    };
    const report: DemoReport = {
      dir,
      seconds: (performance.now() - t0) / 1000,
      steps: { attention: done.attention.steps, baseline: done.baseline.steps },
      check,
      examples: examples.map((e, i) => ({ id: e.id, source: e.src, reference: e.tgt, attention: attn[i]?.hypotheses[0]?.text ?? '', baseline: base[i]?.hypotheses[0]?.text ?? '' })),
      test: { attention: scoreSet(hyps.attention, refs, { lowercase: true }), baseline: scoreSet(hyps.baseline, refs, { lowercase: true }) },
      byLength: {
        attention: scoreByLength(hyps.attention, refs, lengths, { lowercase: true }),
        baseline: scoreByLength(hyps.baseline, refs, lengths, { lowercase: true }),
      },
      alignment: scoreAlignments(models.attention, corpus.test, goldOf(corpus.test)),
    };
    writeFileAtomic(path.join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    return { report, demo, models };
  } finally {
    await stopEngine();
  }
}

/** The report as the terminal shows it. */
export function formatDemoReport(report: DemoReport, demo: Translation | undefined): string {
  const lines: string[] = [];
  lines.push('', `Trained in ${report.seconds.toFixed(0)} s: attention ${report.steps.attention} steps, baseline ${report.steps.baseline} steps.`, '');
  for (const e of report.examples) {
    lines.push(`[${e.id}] ${e.source}`, `  reference : ${e.reference}`, `  attention : ${e.attention}`, `  baseline  : ${e.baseline}`, '');
  }
  if (demo !== undefined) lines.push('Attention of the attention model (rows: French words, columns: English words):', attentionText(demo), '');
  const c = report.check;
  lines.push(
    c.holds
      ? `CHECK PASSED: "${DEMO_SENTENCE}" -> "${c.translation}"; "chat" attends most to "${c.chatLooksAt}", "noir" to "${c.noirLooksAt}".`
      : `CHECK FAILED: "${DEMO_SENTENCE}" -> "${c.translation}": ${c.problems.join('; ')}. (Train longer with --time, or on a less busy machine.)`,
    '',
  );
  lines.push(`Held-out test (${report.test.attention.sentences} sentences):`);
  for (const role of ['attention', 'baseline'] as const) {
    const s = report.test[role];
    lines.push(`  ${role.padEnd(9)}: BLEU ${s.bleu.toFixed(1)}, exact match ${(s.exact * 100).toFixed(1)}%`);
  }
  lines.push(`Alignment error rate of the attention model (teacher-forced on the ${report.test.attention.sentences} test pairs, gold word alignments):`);
  for (const a of report.alignment) lines.push(`  ${a.method.padEnd(9)}: AER ${(a.aer * 100).toFixed(1)}%`);
  lines.push('', 'By source length, attention model:', formatBucketTable(report.byLength.attention, 'words'), '', 'By source length, fixed-context baseline:', formatBucketTable(report.byLength.baseline, 'words'), '');
  lines.push(`Wrote ${path.join(report.dir, 'attention.safetensors')}, ${path.join(report.dir, 'baseline.safetensors')}, ${path.join(report.dir, 'attention.svg')}, ${path.join(report.dir, 'report.json')}.`);
  return lines.join('\n');
}

export const DemoOptionsSchema = z.object({
  out: opt.file.default('runs/demo'),
  time: opt.number.min(10, 'the demo needs at least 10 seconds').default(170),
  seed: z.number().int().nonnegative().default(1),
  arch: z.enum(['rnn', 'transformer']).default('rnn'),
  quiet: opt.flag,
});

/** Exit code of a demo whose self-check failed (the translation or its attention is not what it should be). */
export const DEMO_CHECK_FAILED = 3;

export async function demoCommand(raw: unknown): Promise<void> {
  const o = parseOptions(DemoOptionsSchema, raw);
  const log = o.quiet === true ? () => {} : (line: string) => process.stderr.write(`${line}\n`);
  const { report, demo } = await runDemo({ dir: o.out, seconds: o.time, seed: o.seed, log, bars: o.quiet !== true, arch: o.arch });
  process.stdout.write(`${formatDemoReport(report, demo)}\n`);
  if (!report.check.holds) process.exitCode = DEMO_CHECK_FAILED;
}
