/**
 * The study the seed corpus is about (Bahdanau et al. 2015, Figure 2), one step further: the fixed-context
 * baseline, the RNN attention model and a Transformer, of about the same size (parameter counts within
 * 10% of each other), trained on the same data with the same time budget, scored by source sentence
 * length. (Tatoeba: the baseline and the RNN attention model.)
 *
 *   node dist/bench/study.js --corpus seed    [--minutes 4]  [--out runs/study-seed]
 *   node dist/bench/study.js --corpus tatoeba [--minutes 22] [--out runs/study-tatoeba]
 *
 * Options: --sequential (train one model after the other; default: both at once, one thread each),
 * --reuse (skip a training whose checkpoint is already in the output directory), --beam K (default 1),
 * --limit N (score only the first N test sources).
 *
 * seed: the demo's corpus and model settings (src/train/demo-config.ts: sentences of up to 50 words,
 * so the long buckets exist), and the Transformer of studyTransformerConfig (sized like the RNN models);
 * scored on the held-out test part; also the alignment error rate of the attention models against the
 * gold word alignments (the Transformer's for each layer's head-mean too). tatoeba: configs/study-tatoeba.yaml
 * (the baseline is the same with model.attention=none), scored on every unique source of dev.tsv with
 * all its references. tatoeba needs data/tatoeba-eng-fra (`attnmt data get tatoeba-eng-fra`).
 *
 * Writes OUT/study.json, OUT/bleu-by-length.svg and OUT/study.md (a Markdown snippet), prints the table.
 * Each training runs as `attnmt train` in a child process (logs in OUT/<role>.log, checkpoints and
 * valid.jsonl in OUT/<role>/).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { SeedPair } from '../src/data/seed-corpus.js';
import { writeSeedSplit } from '../src/data/seed-files.js';
import { initEngine, shutdownEngine } from '../src/engine/engine.js';
import { alignmentByLayer, byLengthChart, evaluateModel, goldOf, scoreAlignments, type AlignmentScore, type LayerAlignmentScore, type ModelEval } from '../src/eval/evaluate.js';
import { readGroupedTsv } from '../src/eval/references.js';
import { formatComparisonTable, markdownComparisonTable, sourceWordCount } from '../src/eval/scores.js';
import { DEMO_CORPUS, demoConfig, studyTransformerConfig } from '../src/train/demo-config.js';
import { openTranslator } from '../src/translate/open.js';
import type { Translator } from '../src/translate/translator.js';
import { writeFileAtomic } from '../src/util/fs.js';
import { readValidLog } from '../src/train/valid-log.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = path.join(ROOT, 'dist', 'src', 'cli', 'main.js');
/** Where configs/study-tatoeba.yaml reads Tatoeba (`attnmt data get tatoeba-eng-fra`, or a link to ../shared/data/tatoeba-eng-fra). */
export const TATOEBA_DIR = path.join(ROOT, 'data', 'tatoeba-eng-fra');

export type Role = 'attention' | 'baseline' | 'transformer';
/** Every role, in the order the tables show them. */
export const ROLES: readonly Role[] = ['attention', 'baseline', 'transformer'];

/** One validation line of valid.jsonl (the learning curve). */
export interface CurvePoint {
  step: number;
  seconds: number;
  bleu: number;
  loss: number;
}

export interface TrainedModel {
  role: Role;
  checkpoint: string;
  steps: number;
  /** Training seconds (from the last validation, the run's clock). */
  seconds: number;
  curve: CurvePoint[];
}

/** The learning curve of a run (empty when it has not validated yet; a line torn by a crash is left out). */
export function readCurve(dir: string): CurvePoint[] {
  return readValidLog(path.join(dir, 'valid.jsonl')).map((v) => ({ step: v.step, seconds: Number(v['seconds']), bleu: Number(v['bleu']), loss: Number(v['loss']) }));
}

/** The checkpoint to evaluate in a run directory: best, else last, else null. */
export function checkpointIn(dir: string): string | null {
  for (const name of ['best.safetensors', 'last.safetensors']) {
    const f = path.join(dir, name);
    if (fs.existsSync(f)) return f;
  }
  return null;
}

/** Run `attnmt train ARGS` in a child process with cwd = project root, output to logFile. */
export function trainChild(args: readonly string[], logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const log = fs.openSync(logFile, 'w');
    const child = spawn(process.execPath, [MAIN, 'train', ...args], { cwd: ROOT, stdio: ['ignore', log, log] });
    child.on('error', reject);
    child.on('exit', (code) => {
      fs.closeSync(log);
      if (code === 0) resolve();
      else reject(new Error(`attnmt train ${args.join(' ')} exited with code ${code}; see ${logFile}`));
    });
  });
}

export interface StudySetup {
  /** The models this study trains. */
  roles: Role[];
  /** Arguments of `attnmt train` for each role (output directory included). */
  trainArgs: Partial<Record<Role, string[]>>;
  sources: string[];
  references: string[][];
  /** Pairs with gold alignments (seed corpus only). */
  gold?: SeedPair[];
  corpus: string;
}

function seedSetup(out: string, seconds: number): StudySetup {
  const sizes = DEMO_CORPUS;
  const corpus = writeSeedSplit(out, 1, sizes);
  const trainArgs: Partial<Record<Role, string[]>> = {};
  for (const role of ROLES) {
    const file = path.join(out, `${role}.config.json`);
    const config = role === 'transformer' ? studyTransformerConfig(out, seconds, 1) : demoConfig(role, out, seconds, 1);
    writeFileAtomic(file, `${JSON.stringify(config, null, 2)}\n`);
    trainArgs[role] = [file, '--max-time', String(seconds), '--out', path.join(out, role), '--overwrite'];
  }
  return {
    roles: [...ROLES],
    trainArgs,
    sources: corpus.test.map((p) => p.src),
    references: corpus.test.map((p) => [p.tgt]),
    gold: corpus.test,
    corpus: `seed corpus (${sizes.size} pairs, up to ${sizes.maxWords} words; ${corpus.train.length} train, ${corpus.test.length} held-out test)`,
  };
}

function tatoebaSetup(out: string, seconds: number): StudySetup {
  const dev = path.join(TATOEBA_DIR, 'dev.tsv');
  if (!fs.existsSync(dev)) throw new Error(`tatoeba: ${dev} is absent (run attnmt data get tatoeba-eng-fra, or link ../shared/data/tatoeba-eng-fra there)`);
  const config = path.join(ROOT, 'configs', 'study-tatoeba.yaml');
  const grouped = readGroupedTsv(dev);
  return {
    roles: ['attention', 'baseline'],
    trainArgs: {
      attention: [config, '--max-time', String(seconds), '--out', path.join(out, 'attention'), '--overwrite'],
      baseline: [config, '--max-time', String(seconds), '--set', 'model.attention=none', '--out', path.join(out, 'baseline'), '--overwrite'],
    },
    sources: grouped.sources,
    references: grouped.references,
    corpus: `Tatoeba eng->fra (configs/study-tatoeba.yaml; dev.tsv, ${grouped.sources.length} unique sources, all references)`,
  };
}

export interface StudyResult {
  corpus: string;
  minutesPerModel: number;
  machine: string;
  beam: number;
  models: Array<Omit<ModelEval, 'hypotheses'> & { steps: number; trainSeconds: number; curve: CurvePoint[] }>;
  alignment?: AlignmentScore[];
  /** The Transformer's AER (t2s) of each decoder layer's head-mean cross-attention, and of their mean. */
  transformerAlignment?: AlignmentScore[];
  transformerLayers?: LayerAlignmentScore[];
}

/** The names the table and the chart give the roles. */
export const ROLE_NAMES: Record<Role, string> = { baseline: 'fixed-context baseline', attention: 'RNN attention', transformer: 'Transformer' };

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      corpus: { type: 'string', default: 'seed' },
      minutes: { type: 'string' },
      out: { type: 'string' },
      beam: { type: 'string', default: '1' },
      limit: { type: 'string' },
      reuse: { type: 'boolean', default: false },
      sequential: { type: 'boolean', default: false },
    },
  });
  const corpusName = values.corpus;
  if (corpusName !== 'seed' && corpusName !== 'tatoeba') throw new Error(`--corpus: seed or tatoeba, got "${corpusName}"`);
  const minutes = Number(values.minutes ?? (corpusName === 'seed' ? 4 : 22));
  if (!(minutes > 0)) throw new Error(`--minutes: a positive number, got "${values.minutes}"`);
  const beam = Number(values.beam);
  const out = path.resolve(values.out ?? path.join(ROOT, 'runs', `study-${corpusName}`));
  fs.mkdirSync(out, { recursive: true });
  const seconds = Math.round(minutes * 60);
  const setup = corpusName === 'seed' ? seedSetup(out, seconds) : tatoebaSetup(out, seconds);

  // Training: both at once (one thread each, the configs say threads: 1) or one after the other.
  const dirOf = (role: Role): string => path.join(out, role);
  const roles = setup.roles;
  const todo = roles.filter((role) => !(values.reuse && checkpointIn(dirOf(role)) !== null));
  for (const role of roles) if (!todo.includes(role)) console.log(`${role}: reusing ${checkpointIn(dirOf(role))}`);
  const t0 = performance.now();
  const run = (role: Role): Promise<void> => {
    const args = setup.trainArgs[role] ?? [];
    console.log(`${role}: attnmt train ${args.join(' ')}  (log ${path.join(out, `${role}.log`)})`);
    return trainChild(args, path.join(out, `${role}.log`));
  };
  if (values.sequential) for (const role of todo) await run(role);
  else await Promise.all(todo.map(run));
  if (todo.length > 0) console.log(`trained in ${((performance.now() - t0) / 1000).toFixed(0)} s wall time`);

  // Scoring: the same sentences, bucketed by the attention model's source tokens.
  const limit = values.limit === undefined ? setup.sources.length : Number(values.limit);
  const sources = setup.sources.slice(0, limit);
  const references = setup.references.slice(0, limit);
  const loaded: Partial<Record<Role, Translator>> = {};
  const trained: Partial<Record<Role, TrainedModel>> = {};
  for (const role of roles) {
    const checkpoint = checkpointIn(dirOf(role));
    if (checkpoint === null) throw new Error(`${role}: no checkpoint in ${dirOf(role)}`);
    const curve = readCurve(dirOf(role));
    const last = curve[curve.length - 1];
    trained[role] = { role, checkpoint, steps: last?.step ?? 0, seconds: last?.seconds ?? 0, curve };
    loaded[role] = openTranslator(checkpoint);
  }
  const lengths = sources.map(sourceWordCount);
  const dec = { beam, alpha: 0.6, maxLenRatio: 2, batchSize: 64, replaceUnknowns: true };
  await initEngine({ threads: 1 });
  const evals: ModelEval[] = [];
  let alignment: AlignmentScore[] | undefined;
  let transformerAlignment: AlignmentScore[] | undefined;
  let transformerLayers: LayerAlignmentScore[] | undefined;
  try {
    for (const role of roles) evals.push(evaluateModel(role, loaded[role] as Translator, sources, references, lengths, dec));
    if (setup.gold !== undefined) {
      const gold = setup.gold.slice(0, limit);
      alignment = scoreAlignments(loaded.attention as Translator, gold, goldOf(gold));
      if (loaded.transformer !== undefined) {
        transformerAlignment = scoreAlignments(loaded.transformer, gold, goldOf(gold));
        transformerLayers = alignmentByLayer(loaded.transformer, gold, goldOf(gold));
      }
    }
  } finally {
    await shutdownEngine();
  }

  const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`;
  const result: StudyResult = {
    corpus: setup.corpus,
    minutesPerModel: minutes,
    machine,
    beam,
    models: evals.map(({ hypotheses: _h, ...e }) => {
      const t = trained[e.name as Role] as TrainedModel;
      return { ...e, steps: t.steps, trainSeconds: t.seconds, curve: t.curve };
    }),
    ...(alignment === undefined ? {} : { alignment }),
    ...(transformerAlignment === undefined ? {} : { transformerAlignment, transformerLayers }),
  };
  const named = evals.map((e) => ({ name: ROLE_NAMES[e.name as Role], rows: e.byLength }));
  const chartFile = path.join(out, 'bleu-by-length.svg');
  const shown = evals.map((e) => ({ ...e, name: ROLE_NAMES[e.name as Role] }));
  writeFileAtomic(chartFile, byLengthChart(shown, `BLEU by source length: ${corpusName === 'seed' ? 'seed corpus' : 'Tatoeba eng→fra dev'}`));
  const counts = evals.map((e) => e.parameters);
  const spread = Math.max(...counts) / Math.min(...counts);
  writeFileAtomic(path.join(out, 'study.json'), `${JSON.stringify(result, null, 2)}\n`);
  const summary = result.models.map((m) =>
    `- ${ROLE_NAMES[m.name as Role]}: ${m.parameters.toLocaleString('en-US')} parameters, ${m.steps} steps in ${m.trainSeconds.toFixed(0)} s; BLEU ${m.total.bleu.toFixed(1)}, chrF ${m.total.chrf.toFixed(1)}, exact match ${(m.total.exact * 100).toFixed(1)}%`);
  summary.push(`- parameter counts: the largest is ${((spread - 1) * 100).toFixed(1)}% above the smallest`);
  const aer = (list: AlignmentScore[]): string => list.map((a) => `${a.method} ${(a.aer * 100).toFixed(1)}%`).join(', ');
  const aerLines = alignment === undefined ? [] : ['', `Alignment error rate of the RNN attention model (teacher-forced, gold word alignments): ${aer(alignment)}.`];
  if (transformerAlignment !== undefined && transformerLayers !== undefined) {
    aerLines.push(`Alignment error rate of the Transformer (its alignment layer): ${aer(transformerAlignment)}; t2s by layer (head-mean cross-attention): ${transformerLayers.map((l) => `${l.layer === 'mean' ? 'mean of all' : `layer ${l.layer}`} ${(l.aer * 100).toFixed(1)}%`).join(', ')}.`);
  }
  const md = [
    `**${setup.corpus}**, ${minutes} min of training per model (${machine}), beam ${beam}:`,
    '',
    ...summary,
    '',
    markdownComparisonTable(named),
    ...aerLines,
    '',
  ].join('\n');
  writeFileAtomic(path.join(out, 'study.md'), md);
  console.log(['', setup.corpus, ...summary, '', formatComparisonTable(named), ...aerLines, '', `Wrote ${chartFile}, ${path.join(out, 'study.json')}, ${path.join(out, 'study.md')}.`].join('\n'));
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
