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
import { splitTrainDev } from '../data/readers.js';
import { generateSeedCorpus, seedAlignments, seedExamples, seedTsv, type SeedPair } from '../data/seed-corpus.js';
import type { ConfigInput } from '../train/config.js';
import { formatBucketTable, scoreByLength, scoreSet, sourceWordCount, type BucketScore, type SetScore } from '../train/scores.js';
import { translateTexts, type Translation } from '../train/translator.js';
import { heatmapSvg } from '../viz/heatmap-svg.js';
import { scoreAlignments, type AlignmentScore } from './align.js';
import { attentionText } from './attention.js';
import { loadTranslator, numberOption, startEngine, stopEngine, stringOption, writeFileAtomic, type LoadedModel } from './common.js';
import type { DemoWorkerInput, DemoWorkerMessage } from './demo-worker.js';
import { UserError } from './errors.js';

export const DEMO_SENTENCE = 'the black cat ate the mouse';
export const DEMO_EXPECTED = 'le chat noir a mangé la souris';

/** Corpus sizes: enough variety to generalize, small enough to see it several times in the budget. */
export const DEMO_CORPUS = { size: 12000, maxWords: 24, dev: 150, test: 600 };

export type DemoRole = 'attention' | 'baseline';

/** The training config of one demo model (both roles share everything but the attention). */
export function demoConfig(role: DemoRole, dir: string, seconds: number, seed: number): ConfigInput {
  return {
    data: { train: path.join(dir, 'train.tsv'), dev: path.join(dir, 'dev.tsv'), lowercase: true, maxLen: 60 },
    model: { rnn: 'gru', layers: 1, bidirectional: true, embedding: 64, hidden: 128, attention: role === 'attention' ? 'additive' : 'none', attentionHidden: 64 },
    training: {
      batchSize: 32,
      lr: 3e-3,
      lrDecay: { factor: 0.5, patience: 1 },
      minLr: 1e-4,
      clipNorm: 5,
      dropout: 0.1,
      labelSmoothing: 0.1,
      maxSteps: 0,
      maxEpochs: 0,
      maxTime: seconds,
      validEvery: 150,
      validMetric: 'bleu',
      earlyStopping: { patience: 0 },
      logEvery: 50,
      seed,
      threads: 1,
      outDir: path.join(dir, `${role}-run`),
    },
    decoding: { beam: 1 },
  };
}

/** Generate the seed corpus and write train/dev/test TSV files into dir; returns the test pairs. */
export function writeDemoCorpus(dir: string, seed: number, sizes = DEMO_CORPUS): { train: SeedPair[]; dev: SeedPair[]; test: SeedPair[] } {
  const all = generateSeedCorpus({ size: sizes.size, seed, maxWords: sizes.maxWords });
  // The first pair is the demo sentence: it stays in training.
  const [first, ...rest] = all as [SeedPair, ...SeedPair[]];
  const { train: trainRest, dev: heldOut } = splitTrainDev(rest, { devSize: sizes.dev + sizes.test, seed: seed + 7 });
  const dev = heldOut.slice(0, sizes.dev);
  const test = heldOut.slice(sizes.dev);
  const train = [first, ...trainRest];
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomic(path.join(dir, 'train.tsv'), seedTsv(train));
  writeFileAtomic(path.join(dir, 'dev.tsv'), seedTsv(dev));
  writeFileAtomic(path.join(dir, 'test.tsv'), seedTsv(test));
  writeFileAtomic(path.join(dir, 'test.align'), seedAlignments(test));
  return { train, dev, test };
}

/** Run both trainings in worker threads at the same time. */
function trainInWorkers(configs: Record<DemoRole, ConfigInput>, log: (line: string) => void): Promise<Record<DemoRole, Extract<DemoWorkerMessage, { kind: 'done' }>>> {
  const one = (role: DemoRole): Promise<Extract<DemoWorkerMessage, { kind: 'done' }>> =>
    new Promise((resolve, reject) => {
      const input: DemoWorkerInput = { role, config: configs[role] };
      const worker = new Worker(new URL('./demo-worker.js', import.meta.url), { workerData: input });
      let settled = false;
      worker.on('message', (m: DemoWorkerMessage) => {
        if (m.kind === 'log') log(`[${role}] ${m.line}`);
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
  return Promise.all([one('attention'), one('baseline')]).then(([attention, baseline]) => ({ attention, baseline }));
}

export interface AlignmentCheck {
  translation: string;
  correct: boolean;
  /** Source token each checked target word attends to most. */
  chatLooksAt: string | null;
  noirLooksAt: string | null;
  holds: boolean;
}

/** Does the attention model translate the demo sentence right, looking at the right words? */
export function checkDemoSentence(t: Translation): AlignmentCheck {
  const best = t.hypotheses[0];
  const looksAt = (word: string): string | null => {
    if (best === undefined) return null;
    const row = best.targetTokens.indexOf(word);
    const weights = best.weights[row];
    if (row < 0 || weights === undefined || weights.length === 0) return null;
    let arg = 0;
    for (let s = 1; s < weights.length; s++) if ((weights[s] as number) > (weights[arg] as number)) arg = s;
    return t.sourceTokens[arg] ?? null;
  };
  const translation = best?.text ?? '';
  const correct = translation === DEMO_EXPECTED;
  const chatLooksAt = looksAt('chat');
  const noirLooksAt = looksAt('noir');
  return { translation, correct, chatLooksAt, noirLooksAt, holds: correct && chatLooksAt === 'cat' && noirLooksAt === 'black' };
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
}

/** The demo without printing the final report (tests call this with a smaller budget). */
export async function runDemo(opts: DemoOptions): Promise<{ report: DemoReport; demo: Translation; models: Record<DemoRole, LoadedModel> }> {
  const t0 = performance.now();
  const { dir, seed, log } = opts;
  const corpus = writeDemoCorpus(dir, seed, opts.sizes);
  log(`demo: seed corpus ${corpus.train.length} training pairs, ${corpus.dev.length} dev, ${corpus.test.length} held-out test (in ${dir})`);
  // Both models train at the same time; keep a few seconds of the budget for loading and scoring.
  const trainSeconds = Math.max(5, opts.seconds - 8);
  const configs = { attention: demoConfig('attention', dir, trainSeconds, seed), baseline: demoConfig('baseline', dir, trainSeconds, seed) };
  const done = await trainInWorkers(configs, log);

  const models = {} as Record<DemoRole, LoadedModel>;
  for (const role of ['attention', 'baseline'] as const) {
    const src = done[role].bestCheckpoint ?? done[role].lastCheckpoint;
    if (src === null) throw new Error(`demo: the ${role} training wrote no checkpoint`);
    writeFileAtomic(path.join(dir, `${role}.safetensors`), fs.readFileSync(src));
    models[role] = loadTranslator(path.join(dir, `${role}.safetensors`));
  }

  await startEngine(0);
  try {
    const examples = seedExamples();
    const texts = examples.map((e) => e.src);
    const attn = translateTexts(models.attention, texts, { beam: 1 });
    const base = translateTexts(models.baseline, texts, { beam: 1 });
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
      attention: translateTexts(models.attention, testSrc, { beam: 1, batchSize: 64 }).map((t) => t.hypotheses[0]?.text ?? ''),
      baseline: translateTexts(models.baseline, testSrc, { beam: 1, batchSize: 64 }).map((t) => t.hypotheses[0]?.text ?? ''),
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
      alignment: scoreAlignments(models.attention, corpus.test, corpus.test.map((p) => {
        const sure = p.alignment.map(([source, target]) => ({ source, target }));
        return { sure, possible: sure };
      })),
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
      : `CHECK FAILED: "${DEMO_SENTENCE}" -> "${c.translation}" (expected "${DEMO_EXPECTED}"); "chat" attends most to ${JSON.stringify(c.chatLooksAt)}, "noir" to ${JSON.stringify(c.noirLooksAt)}.`,
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

export async function demoCommand(opts: Record<string, unknown>): Promise<void> {
  const dir = stringOption(opts, 'out') ?? 'runs/demo';
  const seconds = numberOption(opts, 'time') ?? 170;
  if (seconds < 10) throw new UserError(`--time: the demo needs at least 10 seconds, got ${seconds}`);
  const quiet = opts['quiet'] === true;
  const log = quiet ? () => {} : (line: string) => process.stderr.write(`${line}\n`);
  const { report, demo } = await runDemo({ dir, seconds, seed: numberOption(opts, 'seed') ?? 1, log });
  process.stdout.write(`${formatDemoReport(report, demo)}\n`);
}
