/**
 * The study the seed corpus is about (Bahdanau et al. 2015, Figure 2), one step further: the fixed-context
 * baseline, the RNN attention model and a Transformer, of about the same size (parameter counts within
 * 10% of each other), trained on the same data with the same time budget, scored by source sentence
 * length. (Tatoeba: the baseline and the RNN attention model.)
 *
 *   node dist/bench/study.js --corpus seed    [--minutes 4]  [--out runs/study-seed]
 *   node dist/bench/study.js --corpus tatoeba [--minutes 22] [--out runs/study-tatoeba]
 *   node dist/bench/study.js --corpus multi30k [--minutes 28] [--out runs/study-multi30k]
 *
 * Options: --sequential (train one model after the other; default: both at once, one thread each),
 * --reuse (skip a training whose checkpoint is already in the output directory), --beam K (default 1),
 * --limit N (score only the first N test sources), --data DIR (multi30k: the corpus directory, default data/multi30k).
 *
 * seed: the demo's corpus and model settings (src/train/demo-config.ts: sentences of up to 50 words,
 * so the long buckets exist), and the Transformer of studyTransformerConfig (sized like the RNN models);
 * scored on the held-out test part; also the alignment error rate of the attention models against the
 * gold word alignments (the Transformer's for each layer's head-mean too). tatoeba: configs/study-tatoeba.yaml
 * (the baseline is the same with model.attention=none), scored on every unique source of dev.tsv with
 * all its references. tatoeba needs data/tatoeba-eng-fra (`attnmt data get tatoeba-eng-fra`).
 * multi30k: English -> German, trained on train.{en,de}, scored on every unique source of val.{en,de} (the
 * test set stays held out), joint BPE and case-sensitive detokenized BLEU as configs/multi30k-en-de*.yaml;
 * the RNN attention model is configs/multi30k-en-de.yaml's, the baseline's hidden size and the Transformer's
 * width are fitted to its parameter count (multi30kSetup: the study stops before training when the counts are
 * more than 10% apart); length buckets suited to captions (MULTI30K_BUCKETS); no AER (no gold alignments).
 * multi30k needs data/multi30k (`attnmt data get multi30k`).
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
import { countParameters } from '../src/model/model.js';
import { configWithDefaults, type ConfigInput } from '../src/train/config.js';
import { preparePairs, readCorpus } from '../src/train/data.js';
import { modelConfigFrom } from '../src/train/loop.js';
import { InputError } from '../src/util/errors.js';
import { lengthBuckets, STUDY_BUCKETS, type LengthBuckets } from '../src/viz/chart-svg.js';
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
  /** The chart's title. */
  title: string;
  /** Source-length buckets of the table and the chart. */
  buckets: LengthBuckets;
  /** Parameters of each role's model, known before training (multi30k: fitted to within 10%). */
  parameters?: Partial<Record<Role, number>>;
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
    title: 'seed corpus',
    buckets: STUDY_BUCKETS,
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
    title: 'Tatoeba eng→fra dev',
    buckets: STUDY_BUCKETS,
  };
}

/** Where `attnmt data get multi30k` writes Multi30k (configs/multi30k-en-de*.yaml read it there too). */
export const MULTI30K_DIR = path.join(ROOT, 'data', 'multi30k');
/** What the Multi30k study reads: train for training, val for scoring (the test set stays held out). */
export const MULTI30K_FILES = ['train.en', 'train.de', 'val.en', 'val.de'] as const;
/**
 * Source-length buckets (words) of the Multi30k study: captions of 4 to 30 words, most of 9 to 16; on
 * val.en these hold 85, 193, 228, 192, 134, 113 and 69 sentences.
 */
export const MULTI30K_BUCKETS = lengthBuckets([8, 10, 12, 14, 16, 19]);
/**
 * Default minutes of training per model on Multi30k, so that a run fits in about 35 minutes of wall clock on 2
 * cores: the rest is the setup (26 s), each training's data preparation and last validation (about 35 s) and
 * greedy scoring of val (32 s for the three models of a 3-minute run; up to 100 s for untrained ones, whose
 * outputs run to the length limit), measured at load average 7.
 */
export const MULTI30K_MINUTES = 28;
/** The most the largest parameter count of a study may exceed the smallest by. */
export const MAX_PARAMETER_SPREAD = 0.1;

/** Refuse a Multi30k directory without one of MULTI30K_FILES (one line naming the file and the command that fetches it). */
export function checkMulti30k(dir: string): void {
  for (const name of MULTI30K_FILES) {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) throw new InputError(`multi30k: ${file} is missing (fetch the corpus with: attnmt data get multi30k${dir === MULTI30K_DIR ? '' : ` --out ${dir}`})`);
  }
}

/**
 * The data section of every Multi30k study model, as configs/multi30k-en-de*.yaml: joint BPE (8,000 merges),
 * case kept (case-sensitive BLEU), sentences up to 60 subwords; validation BLEU on the first 300 val sentences.
 */
function multi30kData(dir: string): NonNullable<ConfigInput['data']> {
  return {
    train: path.join(dir, 'train'), dev: path.join(dir, 'val'), format: 'pair', langs: ['en', 'de'],
    tokenizer: 'bpe', bpeMerges: 8000, joint: true, lowercase: false, maxLen: 60, skipBad: true, devLimit: 300,
  };
}

/** What the three Multi30k models share in training: one thread, the budget, validation every 250 steps, batches of 64 sentences. */
function multi30kTraining(out: string, role: Role, seconds: number): NonNullable<ConfigInput['training']> {
  return {
    batchSize: 64, labelSmoothing: 0.1, maxEpochs: 0, maxSteps: 0, maxTime: seconds, validEvery: 250, validMetric: 'bleu',
    earlyStopping: { patience: 0 }, logEvery: 100, seed: 1, threads: 1, outDir: path.join(out, role),
  };
}

/**
 * The RNN models of the Multi30k study: configs/multi30k-en-de.yaml's (GRU, bidirectional, embedding 256,
 * additive attention; separate source and target vocabularies), `hidden` wide; the baseline without attention.
 */
function multi30kRnn(dir: string, out: string, role: 'attention' | 'baseline', seconds: number, hidden: number): ConfigInput {
  return {
    data: multi30kData(dir),
    model: { rnn: 'gru', layers: 1, bidirectional: true, embedding: 256, hidden, attention: role === 'attention' ? 'additive' : 'none', attentionHidden: 256 },
    training: { ...multi30kTraining(out, role, seconds), lr: 0.002, lrDecay: { factor: 0.5, patience: 1 }, dropout: 0.2 },
    decoding: { beam: 1 },
  };
}

/**
 * The Transformer of the Multi30k study: configs/multi30k-en-de-transformer.yaml's (pre-norm, 3 + 3 layers,
 * 4 heads, one joint vocabulary shared by source, target and output embeddings, Adam betas (0.9, 0.98), warmup
 * then linear decay over the time budget), `dModel` wide with a feed-forward of `ffn`. The warmup is 100 steps,
 * not the config's 600: at one thread on a shared machine a study run gets a few hundred steps.
 */
function multi30kTransformer(dir: string, out: string, seconds: number, dModel: number, ffn: number): ConfigInput {
  return {
    data: { ...multi30kData(dir), jointVocab: true },
    model: { arch: 'transformer', encoderLayers: 3, decoderLayers: 3, dModel, heads: 4, ffn, norm: 'pre', attentionDropout: 0, tieAllEmbeddings: true },
    training: { ...multi30kTraining(out, 'transformer', seconds), lr: 0.001, lrSchedule: 'linear', warmup: 100, minLr: 1e-5, adamBetas: [0.9, 0.98], dropout: 0.1 },
    decoding: { beam: 1 },
  };
}

/**
 * The candidate whose parameter count is closest to `target` (the smaller of two equally close), by binary
 * search: `candidates` ascending in their count (wider layers, more parameters).
 */
export function closestCount<T>(candidates: readonly T[], count: (c: T) => number, target: number): { value: T; parameters: number } {
  if (candidates.length === 0) throw new Error('closestCount: no candidates');
  let lo = 0;
  let hi = candidates.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (count(candidates[mid] as T) < target) lo = mid + 1;
    else hi = mid;
  }
  // lo: the first candidate at or above the target (or the last one); the one before is the closest below.
  const above = { value: candidates[lo] as T, parameters: count(candidates[lo] as T) };
  if (lo === 0) return above;
  const below = { value: candidates[lo - 1] as T, parameters: count(candidates[lo - 1] as T) };
  return Math.abs(below.parameters - target) <= Math.abs(above.parameters - target) ? below : above;
}

/** Largest parameter count over the smallest, minus one (0.1 = 10% apart). */
export function parameterSpread(counts: readonly number[]): number {
  return Math.max(...counts) / Math.min(...counts) - 1;
}

/** The parameter counts of a study, one per role, for printing: "Transformer 6,301,234". */
function formatCounts(counts: Partial<Record<Role, number>>): string {
  return ROLES.filter((r) => counts[r] !== undefined).map((r) => `${ROLE_NAMES[r]} ${(counts[r] as number).toLocaleString('en-US')}`).join(', ');
}

/**
 * The Multi30k study from the files in `dir` (default data/multi30k): the vocabularies learned here as the
 * trainings will learn them, the RNN attention model's parameter count the target, the baseline's hidden size
 * (multiples of 8) and the Transformer's width (dModel 128 to 320 and ffn dModel to 8 dModel, steps of 32: within
 * 2% of it, ffn nearest 4 dModel) fitted to it. Throws when the counts end up more than MAX_PARAMETER_SPREAD
 * apart, before anything trains.
 */
export function multi30kSetup(out: string, seconds: number, dir = MULTI30K_DIR): StudySetup {
  checkMulti30k(dir);
  const inputs = (hidden: number, dModel: number, ffn: number): Record<Role, ConfigInput> => ({
    attention: multi30kRnn(dir, out, 'attention', seconds, 256),
    baseline: multi30kRnn(dir, out, 'baseline', seconds, hidden),
    transformer: multi30kTransformer(dir, out, seconds, dModel, ffn),
  });
  // The vocabularies: separate for the RNN models, one joint for the Transformer (the same BPE subwords).
  const probe = inputs(256, 256, 1024);
  const rnnCfg = configWithDefaults(probe.attention);
  const train = readCorpus(rnnCfg.data, rnnCfg.data.train, 0).pairs;
  const rnnVocab = preparePairs(rnnCfg.data, train, undefined, undefined, () => {}, rnnCfg.data.train);
  const tfCfg0 = configWithDefaults(probe.transformer);
  const tfVocab = preparePairs(tfCfg0.data, train, undefined, undefined, () => {}, tfCfg0.data.train);
  const count = (input: ConfigInput, vocab: typeof rnnVocab): number => countParameters(modelConfigFrom(configWithDefaults(input), vocab));

  const target = count(probe.attention, rnnVocab);
  const hiddens = Array.from({ length: 128 }, (_, i) => 8 * (i + 8)); // 64 .. 1080
  const baseline = closestCount(hiddens, (h) => count(inputs(h, 256, 1024).baseline, rnnVocab), target);
  // The Transformer: for each width, the feed-forward size closest to the target; of the widths within 2% of it,
  // the one whose ffn / dModel is nearest the usual 4 (Vaswani et al. 2017); else the closest of all.
  const fits = [128, 160, 192, 224, 256, 288, 320].map((dModel) => {
    const ffns = Array.from({ length: (7 * dModel) / 32 + 1 }, (_, i) => dModel + 32 * i); // dModel .. 8 dModel
    return closestCount(ffns.map((f): [number, number] => [dModel, f]), ([d, f]) => count(inputs(256, d, f).transformer, tfVocab), target);
  });
  const off = (f: { parameters: number }): number => Math.abs(f.parameters - target) / target;
  const shape = (f: { value: [number, number] }): number => Math.abs(Math.log(f.value[1] / f.value[0] / 4));
  const near = fits.filter((f) => off(f) <= 0.02);
  const transformer = near.length > 0 ? near.reduce((a, f) => (shape(f) < shape(a) ? f : a)) : fits.reduce((a, f) => (off(f) < off(a) ? f : a));
  const [dModel, ffn] = transformer.value;
  const chosen = inputs(baseline.value, dModel, ffn);
  const parameters: Record<Role, number> = { attention: target, baseline: baseline.parameters, transformer: transformer.parameters };
  const spread = parameterSpread(Object.values(parameters));
  if (spread > MAX_PARAMETER_SPREAD) {
    throw new Error(`multi30k: the parameter counts are ${(spread * 100).toFixed(1)}% apart, more than ${MAX_PARAMETER_SPREAD * 100}% (${formatCounts(parameters)}; vocabularies ${rnnVocab.srcVocab.size}/${rnnVocab.tgtVocab.size}, joint ${tfVocab.srcVocab.size})`);
  }

  const trainArgs: Partial<Record<Role, string[]>> = {};
  for (const role of ROLES) {
    const file = path.join(out, `${role}.config.json`);
    writeFileAtomic(file, `${JSON.stringify(chosen[role], null, 2)}\n`);
    trainArgs[role] = [file, '--max-time', String(seconds), '--out', path.join(out, role), '--overwrite'];
  }
  const devCfg = configWithDefaults(chosen.attention);
  const val = groupBySource(readCorpus(devCfg.data, devCfg.data.dev as string, 0).pairs);
  return {
    roles: [...ROLES],
    trainArgs,
    sources: val.sources,
    references: val.references,
    corpus: `Multi30k en->de (train ${train.length.toLocaleString('en-US')} pairs, joint BPE 8,000 merges; scored on val, ${val.sources.length} unique sources; ` +
      `baseline hidden ${baseline.value}, Transformer dModel ${dModel} ffn ${ffn})`,
    title: 'Multi30k en→de val',
    buckets: MULTI30K_BUCKETS,
    parameters,
  };
}

/** Dev pairs grouped by unique source (first-seen order), every reference kept. */
export function groupBySource(pairs: ReadonlyArray<{ src: string; tgt: string }>): { sources: string[]; references: string[][] } {
  const index = new Map<string, number>();
  const sources: string[] = [];
  const references: string[][] = [];
  for (const p of pairs) {
    let i = index.get(p.src);
    if (i === undefined) {
      i = sources.length;
      index.set(p.src, i);
      sources.push(p.src);
      references.push([]);
    }
    (references[i] as string[]).push(p.tgt);
  }
  return { sources, references };
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
      data: { type: 'string' },
      beam: { type: 'string', default: '1' },
      limit: { type: 'string' },
      reuse: { type: 'boolean', default: false },
      sequential: { type: 'boolean', default: false },
    },
  });
  const corpusName = values.corpus;
  if (corpusName !== 'seed' && corpusName !== 'tatoeba' && corpusName !== 'multi30k') throw new Error(`--corpus: seed, tatoeba or multi30k, got "${corpusName}"`);
  if (values.data !== undefined && corpusName !== 'multi30k') throw new Error(`--data: only with --corpus multi30k (the ${corpusName} study reads its own data)`);
  const minutes = Number(values.minutes ?? { seed: 4, tatoeba: 22, multi30k: MULTI30K_MINUTES }[corpusName]);
  if (!(minutes > 0)) throw new Error(`--minutes: a positive number, got "${values.minutes}"`);
  const beam = Number(values.beam);
  const out = path.resolve(values.out ?? path.join(ROOT, 'runs', `study-${corpusName}`));
  fs.mkdirSync(out, { recursive: true });
  const seconds = Math.round(minutes * 60);
  const setup = corpusName === 'seed' ? seedSetup(out, seconds) : corpusName === 'tatoeba' ? tatoebaSetup(out, seconds) : multi30kSetup(out, seconds, path.resolve(values.data ?? MULTI30K_DIR));
  if (setup.parameters !== undefined) {
    console.log(`parameters: ${formatCounts(setup.parameters)} (${(parameterSpread(Object.values(setup.parameters)) * 100).toFixed(1)}% apart; at most ${MAX_PARAMETER_SPREAD * 100}%)`);
  }

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
    const translator = openTranslator(checkpoint);
    const expected = setup.parameters?.[role];
    const actual = translator.model.parameterCount();
    if (expected !== undefined && actual !== expected) {
      throw new Error(`${role}: ${checkpoint} has ${actual.toLocaleString('en-US')} parameters, this study's ${role} model ${expected.toLocaleString('en-US')} (trained with other settings? run without --reuse)`);
    }
    loaded[role] = translator;
  }
  const lengths = sources.map(sourceWordCount);
  const dec = { beam, alpha: 0.6, maxLenRatio: 2, batchSize: 64, replaceUnknowns: true };
  await initEngine({ threads: 1 });
  const evals: ModelEval[] = [];
  let alignment: AlignmentScore[] | undefined;
  let transformerAlignment: AlignmentScore[] | undefined;
  let transformerLayers: LayerAlignmentScore[] | undefined;
  try {
    for (const role of roles) evals.push(evaluateModel(role, loaded[role] as Translator, sources, references, lengths, dec, setup.buckets));
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
  const labels = setup.buckets.labels;
  writeFileAtomic(chartFile, byLengthChart(shown, `BLEU by source length: ${setup.title}`, labels));
  const counts = evals.map((e) => e.parameters);
  const spread = Math.max(...counts) / Math.min(...counts);
  writeFileAtomic(path.join(out, 'study.json'), `${JSON.stringify(result, null, 2)}\n`);
  const summary = result.models.map((m) =>
    `- ${ROLE_NAMES[m.name as Role]}: ${m.parameters.toLocaleString('en-US')} parameters, ${m.steps} steps in ${m.trainSeconds.toFixed(0)} s; BLEU ${m.total.bleu.toFixed(1)}, chrF ${m.total.chrf.toFixed(1)}, exact match ${(m.total.exact * 100).toFixed(1)}%`);
  summary.push(`- parameter counts: the largest is ${((spread - 1) * 100).toFixed(1)}% above the smallest`);
  const aer = (list: AlignmentScore[]): string => list.map((a) => `${a.method} ${(a.aer * 100).toFixed(1)}%`).join(', ');
  const aerLines = alignment === undefined
    ? ['', 'Alignment error rate: not measured (this corpus has no gold word alignments).']
    : ['', `Alignment error rate of the RNN attention model (teacher-forced, gold word alignments): ${aer(alignment)}.`];
  if (transformerAlignment !== undefined && transformerLayers !== undefined) {
    aerLines.push(`Alignment error rate of the Transformer (its alignment layer): ${aer(transformerAlignment)}; t2s by layer (head-mean cross-attention): ${transformerLayers.map((l) => `${l.layer === 'mean' ? 'mean of all' : `layer ${l.layer}`} ${(l.aer * 100).toFixed(1)}%`).join(', ')}.`);
  }
  const md = [
    `**${setup.corpus}**, ${minutes} min of training per model (${machine}), beam ${beam}:`,
    '',
    ...summary,
    '',
    markdownComparisonTable(named, 'source length', labels),
    ...aerLines,
    '',
  ].join('\n');
  writeFileAtomic(path.join(out, 'study.md'), md);
  console.log(['', setup.corpus, ...summary, '', formatComparisonTable(named, 'src len', labels), ...aerLines, '', `Wrote ${chartFile}, ${path.join(out, 'study.json')}, ${path.join(out, 'study.md')}.`].join('\n'));
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
