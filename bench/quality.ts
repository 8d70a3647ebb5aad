/**
 * Real-data quality: train a model from a config (or reuse the checkpoint a finished run left in its output
 * directory), then translate every unique source of the config's dev set and report multi-reference BLEU
 * and chrF (sacreBLEU semantics; case-sensitive unless the config lowercases), the training wall time,
 * the model size and the learning curve (valid.jsonl). Prints a summary; writes OUT/quality.json.
 *
 *   node dist/bench/quality.js --config configs/tatoeba-quality.yaml [--minutes N] [--out DIR] [--reuse] [--checkpoint F] [--beam K] [--limit N]
 *   node dist/bench/quality.js --config configs/multi30k-en-de.yaml
 *
 * --minutes overrides training.maxTime; --out overrides training.outDir; --reuse skips training when OUT
 * already holds a checkpoint; --checkpoint scores that file (e.g. an `attnmt average` of the run's last
 * checkpoints) instead of OUT/best.safetensors, and implies --reuse; --beam (default: the config's decoding.beam); --limit scores the first N
 * dev sources only. Needs the config's data (`attnmt data get tatoeba-eng-fra` / `multi30k`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { initEngine, shutdownEngine } from '../src/engine/engine.js';
import { evaluateModel } from '../src/eval/evaluate.js';
import { formatBucketTable, sourceWordCount } from '../src/eval/scores.js';
import { loadConfig, parseOverride } from '../src/train/config.js';
import { readCorpus } from '../src/train/data.js';
import { openTranslator } from '../src/translate/open.js';
import { writeFileAtomic } from '../src/util/fs.js';
import { checkpointIn, groupBySource, readCurve, ROOT, trainChild, type CurvePoint } from './study.js';

export interface QualityResult {
  config: string;
  command: string;
  checkpoint: string;
  machine: string;
  parameters: number;
  checkpointBytes: number;
  steps: number;
  trainSeconds: number;
  dev: string;
  sentences: number;
  beam: number;
  lowercase: boolean;
  bleu: number;
  chrf: number;
  exact: number;
  decodeSeconds: number;
  curve: CurvePoint[];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      minutes: { type: 'string' },
      out: { type: 'string' },
      beam: { type: 'string' },
      limit: { type: 'string' },
      reuse: { type: 'boolean', default: false },
      checkpoint: { type: 'string' },
    },
  });
  if (values.config === undefined) throw new Error('--config FILE is required (e.g. configs/tatoeba-quality.yaml)');
  const configFile = path.resolve(values.config);
  const overrides = [
    ...(values.out === undefined ? [] : [parseOverride(`training.outDir=${values.out}`)]),
    ...(values.minutes === undefined ? [] : [parseOverride(`training.maxTime=${Number(values.minutes) * 60}`)]),
  ];
  const chosen = values.checkpoint === undefined ? null : path.resolve(values.checkpoint);
  // Data paths in configs are relative to the config file; outDir is relative to the project root.
  process.chdir(ROOT);
  const cfg = loadConfig(configFile, overrides);
  if (cfg.data.dev === undefined) throw new Error(`${configFile}: data.dev is needed to score the model`);
  const outDir = path.resolve(cfg.training.outDir);

  if (chosen !== null && !fs.existsSync(chosen)) throw new Error(`${values.checkpoint}: no such checkpoint`);
  if (chosen === null && !(values.reuse && checkpointIn(outDir) !== null)) {
    const args = [configFile, '--out', outDir, '--overwrite', ...(values.minutes === undefined ? [] : ['--max-time', String(Number(values.minutes) * 60)])];
    console.log(`training: attnmt train ${args.join(' ')}  (log ${outDir}.log)`);
    fs.mkdirSync(path.dirname(outDir), { recursive: true });
    await trainChild(args, `${outDir}.log`);
  }
  const checkpoint = chosen ?? checkpointIn(outDir);
  if (checkpoint === null) throw new Error(`no checkpoint in ${outDir}`);
  const curve = readCurve(outDir);
  const last = curve[curve.length - 1];

  const read = readCorpus(cfg.data, cfg.data.dev, 0);
  const grouped = groupBySource(read.pairs);
  const limit = values.limit === undefined ? grouped.sources.length : Number(values.limit);
  const sources = grouped.sources.slice(0, limit);
  const references = grouped.references.slice(0, limit);
  const loaded = openTranslator(checkpoint);
  const beam = values.beam === undefined ? cfg.decoding.beam : Number(values.beam);
  const dec = { beam, alpha: cfg.decoding.alpha, maxLenRatio: cfg.decoding.maxLenRatio, batchSize: cfg.decoding.batchSize, replaceUnknowns: cfg.decoding.replaceUnknowns };
  await initEngine(cfg.training.threads > 0 ? { threads: cfg.training.threads } : {});
  let e;
  try {
    e = evaluateModel(path.basename(outDir), loaded, sources, references, sources.map(sourceWordCount), dec);
  } finally {
    await shutdownEngine();
  }
  const result: QualityResult = {
    config: path.relative(ROOT, configFile),
    command: `node dist/bench/quality.js ${process.argv.slice(2).join(' ')}`,
    checkpoint: path.relative(ROOT, checkpoint),
    machine: `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}, training.threads ${cfg.training.threads}`,
    parameters: e.parameters,
    checkpointBytes: fs.statSync(checkpoint).size,
    steps: last?.step ?? 0,
    trainSeconds: last?.seconds ?? 0,
    dev: cfg.data.dev,
    sentences: e.total.sentences,
    beam,
    lowercase: loaded.codec.lowercase,
    bleu: e.total.bleu,
    chrf: e.total.chrf,
    exact: e.total.exact,
    decodeSeconds: e.seconds,
    curve,
  };
  writeFileAtomic(path.join(outDir, 'quality.json'), `${JSON.stringify(result, null, 2)}\n`);
  const lines = [
    `${result.config}: ${result.checkpoint}`,
    `  model: ${(result.parameters / 1e6).toFixed(2)}M parameters, checkpoint ${(result.checkpointBytes / 1e6).toFixed(1)} MB${(loaded.checkpoints[0]?.contents.extraTensors?.size ?? 0) > 0 ? ' (with optimizer moments)' : ''}`,
    `  training: ${result.steps} steps, ${(result.trainSeconds / 60).toFixed(1)} min on ${result.machine}`,
    `  dev ${result.dev}: ${result.sentences} unique sources, beam ${beam}${result.lowercase ? ', lowercased' : ', case-sensitive'}, decoded in ${result.decodeSeconds.toFixed(0)} s`,
    `  BLEU ${result.bleu.toFixed(2)}  chrF ${result.chrf.toFixed(2)}  exact match ${(result.exact * 100).toFixed(1)}%`,
    '',
    'learning curve (validation on the config\'s devLimit sources, greedy):',
    '   step    min   BLEU   loss',
    ...curve.map((c) => `${String(c.step).padStart(7)} ${(c.seconds / 60).toFixed(1).padStart(6)} ${c.bleu.toFixed(2).padStart(6)} ${c.loss.toFixed(3).padStart(6)}`),
    '',
    formatBucketTable(e.byLength, 'src len'),
    '',
    `Wrote ${path.join(outDir, 'quality.json')}.`,
  ];
  console.log(lines.join('\n'));
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  });
}
