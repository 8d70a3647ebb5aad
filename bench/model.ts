/**
 * Model benchmark: two reference models, batch 64, source and target length 15:
 *   rnn          vocabularies 5000/5000, embedding 256, bidirectional GRU encoder 2 x 128 = 256, GRU
 *                decoder 256, additive attention 256, input feeding, linear bridge, no dropout;
 *   transformer  vocabularies 5000/5000, dModel 256, 4 heads, ffn 1024, 3 encoder + 3 decoder layers,
 *                pre-norm, ReLU, sinusoidal positions, target embedding tied to the output layer, no dropout;
 * the RNN on three engines, the Transformer on the first two:
 *   attnmt     this project (WebAssembly SIMD GEMM, fused GRU and attention kernels)
 *   pytorch    the same model in PyTorch (bench/model_pytorch.py, bench/transformer_pytorch.py,
 *              /usr/bin/python3, 2 cores: run with torch ops on 1 thread + OpenBLAS on 2, and with 2 + 1;
 *              each number is the better of the two)
 *   tfjs-wasm  the same model written with TensorFlow.js ops on its wasm backend
 * Measured: one training step (forward, backward, Adam; median), greedy decoding in sentences/s at
 * batch 64 and batch 1 (15 steps, forced length: EOS is never chosen), and the peak resident memory
 * of the process. Each engine runs in its own process so its peak memory is its own.
 *
 *   npm run bench:model             readable table with ratios
 *   npm run bench:model -- --json   one JSON object per engine and model per line:
 *     {"engine":"attnmt","model":"rnn"|"transformer","precision":"float32","threads":2,
 *      "train_step_ms":..,"train_step_spread_ms":[min,max],"greedy_b64_sent_s":..,"greedy_b64_spread_sent_s":[min,max],
 *      "greedy_b1_sent_s":..,"greedy_b1_spread_sent_s":[min,max],"peak_rss_mb":..,
 *      "ceiling_gflop_s":..,"train_gflop":..,"train_ceiling_share":..,"greedy_b64_ceiling_share":..,"greedy_b1_ceiling_share":..}
 *   Medians are the mean of the two middle samples for an even count (as Python's statistics.median);
 *   spreads are the fastest and slowest sample. The ceiling shares (attnmt rows) are the GEMM FLOPs the
 *   engine counted for the work, divided by (time x threads x the one-core 8-chain FMA ceiling of
 *   bench:engine, measured at the start of the run): how close the run comes to what the cores can do.
 *   npm run bench:model -- --model transformer   one model only (rnn or transformer)
 *   int8 row (rnn): {"engine":"attnmt","model":"rnn","precision":"int8","greedy_b64_sent_s":..,"greedy_b1_sent_s":..,
 *     "float32_greedy_b64_sent_s":..,"float32_greedy_b1_sent_s":..,"speedup_b64":..,"speedup_b1":..,
 *     "int8_backend":..,"int8_threads":..}: the same
 *     model decoded from int8 weights (attnmt quantize) and from float32, interleaved in one process
 *     or {"engine":"...","error":"why"} (with the numbers that could still be measured, if any:
 *     TensorFlow.js' wasm backend cannot train this model, see the error, but it can decode)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { makeBatch, makeSourceBatch, type Batch } from '../src/data/batch.js';
import { EOS } from '../src/data/vocab.js';
import type { StepDecoder } from '../src/decode/common.js';
import { greedy } from '../src/decode/greedy.js';
import { initEngine } from '../src/engine/engine.js';
import { dequantizeMatrix, int8Info, registerInt8 } from '../src/engine/int8.js';
import { gemmFlops } from '../src/engine/gemm.js';
import { Adam } from '../src/engine/optim.js';
import { Rng } from '../src/engine/random.js';
import { Tape } from '../src/engine/tensor.js';
import { parseRnnConfig, parseTransformerConfig } from '../src/model/config.js';
import type { TrainableModel } from '../src/model/model.js';
import { Seq2Seq } from '../src/model/seq2seq.js';
import { Transformer } from '../src/model/transformer/model.js';
import { fmaCeiling } from './ceiling.js';
import { quantizeParameters } from '../src/model/quantize.js';
import { accumulateGradients } from '../src/train/loop.js';

export interface BenchSizes {
  vocab: number;
  embedding: number;
  hidden: number;
  batch: number;
  length: number;
}

export const SIZES: BenchSizes = { vocab: 5000, embedding: 256, hidden: 256, batch: 64, length: 15 };
/** The reference Transformer's sizes besides SIZES' vocabulary, batch and length. */
export const TRANSFORMER = { dModel: 256, heads: 4, ffn: 1024, layers: 3 };

export type ModelKind = 'rnn' | 'transformer';
/** Timed training steps (after 2 warm-up steps) and decoding repetitions. */
export const TRAIN_STEPS = 8;
export const DECODE_REPS = 5;
export const DECODE_B1_SENTENCES = 16;

export interface EngineResult {
  engine: 'attnmt' | 'pytorch' | 'tfjs-wasm';
  model?: ModelKind;
  /** Weights the numbers were measured with (attnmt rows). */
  precision?: 'float32' | 'int8';
  /** attnmt: threads of its engine. */
  threads?: number;
  /** PyTorch: the thread split of each number (bench/model_pytorch.py --split). */
  split?: string;
  train_step_ms?: number;
  /** Fastest and slowest timed training step. */
  train_step_spread_ms?: [number, number];
  greedy_b64_sent_s?: number;
  /** Slowest and fastest decoding run, in sentences/s. */
  greedy_b64_spread_sent_s?: [number, number];
  greedy_b1_sent_s?: number;
  greedy_b1_spread_sent_s?: [number, number];
  peak_rss_mb?: number;
  /** attnmt: the one-core 8-chain FMA ceiling (GFLOP/s) and each metric's share of threads x ceiling. */
  ceiling_gflop_s?: number;
  train_gflop?: number;
  train_ceiling_share?: number;
  greedy_b64_ceiling_share?: number;
  greedy_b1_ceiling_share?: number;
  error?: string;
}

/** Milliseconds per training step, per batch-64 decode, per batch-1 decode (one per sample). */
export interface Timings {
  train: number[];
  b64: number[];
  b1: number[];
  /** Set when a part could not run (its numbers are then missing). */
  error?: string;
  /** attnmt: GEMM FLOPs of one training step, one batch-64 decode and one batch-1 decode; threads; ceiling. */
  flops?: { train: number; b64: number; b1: number; threads: number; ceiling: number };
}

function summarize(engine: EngineResult['engine'], t: Timings): EngineResult {
  const rate = (n: number, ms: number): number => round((n * 1000) / ms);
  const f = t.flops;
  // Share of the ceiling: FLOPs / (seconds x threads x GFLOP/s x 1e9), in percent with one decimal.
  const share = (flops: number, ms: number): number => (f === undefined ? NaN : Math.round((1000 * flops) / ((ms / 1000) * f.threads * f.ceiling * 1e9)) / 10);
  return {
    engine,
    precision: 'float32',
    ...(f === undefined ? {} : { threads: f.threads }),
    ...(t.error === undefined ? {} : { error: t.error }),
    ...(t.train.length === 0 ? {} : { train_step_ms: round(median(t.train)), train_step_spread_ms: [round(Math.min(...t.train)), round(Math.max(...t.train))] }),
    greedy_b64_sent_s: rate(SIZES.batch, median(t.b64)),
    greedy_b64_spread_sent_s: [rate(SIZES.batch, Math.max(...t.b64)), rate(SIZES.batch, Math.min(...t.b64))],
    greedy_b1_sent_s: rate(1, median(t.b1)),
    greedy_b1_spread_sent_s: [rate(1, Math.max(...t.b1)), rate(1, Math.min(...t.b1))],
    peak_rss_mb: round(process.resourceUsage().maxRSS / 1024),
    ...(f === undefined || f.ceiling <= 0
      ? {}
      : {
          ceiling_gflop_s: round(f.ceiling),
          train_gflop: Math.round(f.train / 1e7) / 100,
          ...(t.train.length === 0 ? {} : { train_ceiling_share: share(f.train, median(t.train)) }),
          greedy_b64_ceiling_share: share(f.b64, median(t.b64)),
          greedy_b1_ceiling_share: share(f.b1, median(t.b1)),
        }),
  };
}

/** The median; for an even count the mean of the two middle values (as Python's statistics.median). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** Deterministic random sentences of ids in [4, vocab). */
export function sentences(n: number, seed: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: SIZES.length - 1 }, () => 4 + rng.int(SIZES.vocab - 4)));
}

/** The reference model of a family, no dropout, seeded. */
export function referenceModel(kind: ModelKind): TrainableModel {
  const sizes = { srcVocabSize: SIZES.vocab, tgtVocabSize: SIZES.vocab, dropout: 0 };
  if (kind === 'transformer') {
    const { dModel, heads, ffn, layers } = TRANSFORMER;
    return new Transformer(parseTransformerConfig({ arch: 'transformer', encoderLayers: layers, decoderLayers: layers, dModel, heads, ffn, attentionDropout: 0, ...sizes }), 1);
  }
  const config = parseRnnConfig({
    ...{ rnn: 'gru', layers: 1, bidirectional: true, attention: 'additive', inputFeeding: true, bridge: 'linear' },
    embedding: SIZES.embedding,
    hidden: SIZES.hidden,
    attentionHidden: SIZES.hidden,
    ...sizes,
  });
  return new Seq2Seq(config, 1);
}

async function runAttnmt(kind: ModelKind): Promise<Timings> {
  const ceiling = await fmaCeiling(5, 10_000_000);
  const { threads } = await initEngine();
  const model = referenceModel(kind);
  const opt = new Adam(model.parameters(), { lr: 1e-4 });
  const srcs = sentences(SIZES.batch, 1);
  const tgts = sentences(SIZES.batch, 2);
  // Sources of 14 words + EOS = 15; targets of 14 words -> 15 decoder steps.
  const batch: Batch = makeBatch(srcs.map((src, i) => ({ src, tgt: tgts[i] as number[] })), srcs.map((_, i) => i));
  const tape = new Tape();
  model.setTraining(true);
  const times: number[] = [];
  let trainFlops = 0;
  for (let s = 0; s < TRAIN_STEPS + 2; s++) {
    const f0 = gemmFlops();
    const t0 = performance.now();
    // As the trainer steps (src/train/loop.ts): gradients of the batch's mean token loss, then Adam.
    accumulateGradients(model, tape, 1, () => batch, 0);
    opt.step();
    if (s >= 2) times.push(performance.now() - t0);
    trainFlops = gemmFlops() - f0;
  }
  model.setTraining(false);
  // Forced length: EOS can never win, so greedy runs exactly maxLen = 15 steps.
  const eosBias = model.parameters().get('decoder.output.bias');
  if (eosBias !== undefined) eosBias.data[EOS] = -1e9;
  const decoder: StepDecoder<unknown, unknown> = model;
  const b64 = makeSourceBatch(srcs);
  const decodeTimes: number[] = [];
  let b64Flops = 0;
  for (let r = 0; r < DECODE_REPS + 1; r++) {
    const f0 = gemmFlops();
    const t0 = performance.now();
    const hyps = greedy(decoder, b64, { maxLen: SIZES.length });
    if (hyps[0]?.tokens.length !== SIZES.length) throw new Error('forced-length decoding did not run 15 steps');
    if (r > 0) decodeTimes.push(performance.now() - t0);
    b64Flops = gemmFlops() - f0;
  }
  const oneTimes: number[] = [];
  let b1Flops = 0;
  for (let i = 0; i < DECODE_B1_SENTENCES + 1; i++) {
    const one = makeSourceBatch([srcs[i % srcs.length] as number[]]);
    const f0 = gemmFlops();
    const t0 = performance.now();
    greedy(decoder, one, { maxLen: SIZES.length });
    if (i > 0) oneTimes.push(performance.now() - t0);
    if (i > 0) b1Flops += (gemmFlops() - f0) / DECODE_B1_SENTENCES;
  }
  const flops = { train: trainFlops, b64: b64Flops, b1: b1Flops, threads, ceiling: ceiling?.chains8 ?? 0 };
  return { train: times, b64: decodeTimes, b1: oneTimes, flops };
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

/** PyTorch's thread splits between its own ops and OpenBLAS (bench/model_pytorch.py --split). */
const PYTORCH_SPLITS = ['torch1-blas2', 'torch2-blas1'];

/** PyTorch with each thread split; every number is the better of the runs (its split is named). */
function pytorch(model: ModelKind): EngineResult {
  const runs = PYTORCH_SPLITS.map((split) => child('pytorch', model, ['--split', split]));
  const ok = runs.filter((r) => r.error === undefined);
  if (ok.length === 0) return runs[0] as EngineResult;
  const best = (key: 'train_step_ms' | 'greedy_b64_sent_s' | 'greedy_b1_sent_s', lower: boolean): EngineResult =>
    ok.reduce((a, b) => ((lower ? (b[key] ?? Infinity) < (a[key] ?? Infinity) : (b[key] ?? 0) > (a[key] ?? 0)) ? b : a));
  const train = best('train_step_ms', true);
  const b64 = best('greedy_b64_sent_s', false);
  const b1 = best('greedy_b1_sent_s', false);
  return {
    engine: 'pytorch',
    model,
    precision: 'float32',
    split: `train ${train.split}, b64 ${b64.split}, b1 ${b1.split}`,
    train_step_ms: train.train_step_ms,
    ...(train.train_step_spread_ms === undefined ? {} : { train_step_spread_ms: train.train_step_spread_ms }),
    greedy_b64_sent_s: b64.greedy_b64_sent_s,
    ...(b64.greedy_b64_spread_sent_s === undefined ? {} : { greedy_b64_spread_sent_s: b64.greedy_b64_spread_sent_s }),
    greedy_b1_sent_s: b1.greedy_b1_sent_s,
    ...(b1.greedy_b1_spread_sent_s === undefined ? {} : { greedy_b1_spread_sent_s: b1.greedy_b1_spread_sent_s }),
    peak_rss_mb: Math.min(...ok.map((r) => r.peak_rss_mb ?? Infinity)),
  };
}

/** Run one engine on one model in a child process (its own peak memory) and parse its JSON line. */
function child(engine: EngineResult['engine'], model: ModelKind, extra: string[] = []): EngineResult {
  const here = dirname(fileURLToPath(import.meta.url)); // dist/bench
  const script = model === 'transformer' ? 'transformer_pytorch.py' : 'model_pytorch.py';
  const cmd =
    engine === 'pytorch'
      ? { file: '/usr/bin/python3', args: [join(here, '..', '..', 'bench', script), ...extra] }
      : { file: process.execPath, args: [fileURLToPath(import.meta.url), '--child', engine, '--model', model] };
  const r = spawnSync(cmd.file, cmd.args, { encoding: 'utf8', timeout: 600_000, maxBuffer: 1 << 20 });
  if (r.error !== undefined) return { engine, model, error: `${cmd.file}: ${r.error.message}` };
  const lines = r.stdout.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  try {
    const parsed = JSON.parse(last) as EngineResult;
    // engine and model first on the line, as the attnmt rows print them
    if (parsed.engine === engine) return Object.assign({ engine, model }, parsed);
  } catch {
    // fall through to the error below
  }
  const why = (r.stderr.trim().split('\n').slice(-3).join(' | ') || `exit code ${r.status}`).slice(0, 400);
  return { engine, model, error: r.signal !== null ? `killed by ${r.signal} (timeout 600 s)` : why };
}

const DESCRIPTIONS: Record<ModelKind, string> = {
  rnn: `vocab ${SIZES.vocab}/${SIZES.vocab}, E ${SIZES.embedding}, bi-GRU encoder + GRU decoder H ${SIZES.hidden}, additive attention`,
  transformer: `vocab ${SIZES.vocab}/${SIZES.vocab}, dModel ${TRANSFORMER.dModel}, ${TRANSFORMER.heads} heads, ffn ${TRANSFORMER.ffn}, ${TRANSFORMER.layers}+${TRANSFORMER.layers} layers, pre-norm, tied target embeddings`,
};

function table(model: ModelKind, results: EngineResult[]): string {
  const base = results.find((r) => r.engine === 'attnmt');
  const lines = [
    `reference ${model}: ${DESCRIPTIONS[model]}, batch ${SIZES.batch}, length ${SIZES.length}, float32`,
    'medians (min-max of the samples); share = GEMM FLOPs / (time x threads x 8-chain FMA ceiling)',
    '',
    `${'engine'.padEnd(10)}  ${'train step ms'.padStart(26)}   ${'greedy b64 sent/s'.padStart(26)}   ${'greedy b1 sent/s'.padStart(24)}   peak RSS MB`,
  ];
  const cell = (x: number | undefined, spread: [number, number] | undefined, w: number): string =>
    `${x ?? '-'}${spread === undefined ? '' : ` (${spread[0]}-${spread[1]})`}`.padStart(w);
  for (const r of results) {
    lines.push(
      `${r.engine.padEnd(10)}  ${cell(r.train_step_ms, r.train_step_spread_ms, 26)}   ${cell(r.greedy_b64_sent_s, r.greedy_b64_spread_sent_s, 26)}   ` +
        `${cell(r.greedy_b1_sent_s, r.greedy_b1_spread_sent_s, 24)}   ${String(r.peak_rss_mb ?? '-').padStart(11)}`,
    );
  }
  for (const r of results) if (r.error !== undefined) lines.push(`${r.engine}: error: ${r.error}`);
  for (const r of results) if (r.split !== undefined) lines.push(`${r.engine} thread split (best of ${PYTORCH_SPLITS.join(', ')}): ${r.split}`);
  if (base?.ceiling_gflop_s !== undefined) {
    const pct = (x?: number): string => (x === undefined ? '-' : `${x}%`);
    lines.push(
      `attnmt on ${base.threads} thread(s), ceiling ${base.ceiling_gflop_s} GFLOP/s per core, training step ${base.train_gflop} GFLOP: ` +
        `share of the ceiling: training ${pct(base.train_ceiling_share)}, greedy b64 ${pct(base.greedy_b64_ceiling_share)}, greedy b1 ${pct(base.greedy_b1_ceiling_share)}`,
    );
  }
  if (base !== undefined && base.train_step_ms !== undefined) {
    lines.push('', 'ratios (attnmt relative to the other engine; > 1 means attnmt is better):');
    for (const r of results) {
      if (r === base || r.greedy_b64_sent_s === undefined) continue;
      const ratio = (a?: number, b?: number): string => (a && b ? `${(a / b).toFixed(2)}x` : 'n/a');
      lines.push(
        `  vs ${r.engine}: train speed ${ratio(r.train_step_ms, base.train_step_ms)}, greedy b64 ${ratio(base.greedy_b64_sent_s, r.greedy_b64_sent_s)}, ` +
          `greedy b1 ${ratio(base.greedy_b1_sent_s, r.greedy_b1_sent_s)}, memory ${ratio(r.peak_rss_mb, base.peak_rss_mb)}`,
      );
    }
  }
  return lines.join('\n');
}

async function runChild(engine: string, model: ModelKind): Promise<EngineResult> {
  try {
    if (engine === 'tfjs-wasm') {
      const { runTfjs } = await import('./model_tfjs.js');
      const setup = { sizes: SIZES, trainSteps: TRAIN_STEPS, decodeReps: DECODE_REPS, b1Sentences: DECODE_B1_SENTENCES, sentences };
      const { engine: name, ...rest } = summarize('tfjs-wasm', await runTfjs(setup));
      return { engine: name, model, ...rest };
    }
    if (engine === 'attnmt-int8') return await runInt8Decoding();
    const { engine: name, ...rest } = summarize('attnmt', await runAttnmt(model));
    return { engine: name, model, ...rest };
  } catch (e) {
    return { engine: engine === 'tfjs-wasm' ? 'tfjs-wasm' : 'attnmt', model, error: e instanceof Error ? e.message : String(e) };
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const modelAt = args.indexOf('--model');
  const asked = modelAt >= 0 ? args[modelAt + 1] : undefined;
  if (asked !== undefined && asked !== 'rnn' && asked !== 'transformer') throw new Error(`bench:model: --model must be rnn or transformer, got ${asked}`);
  const only: ModelKind | undefined = asked;
  const childAt = args.indexOf('--child');
  if (childAt >= 0) {
    process.stdout.write(`${JSON.stringify(await runChild(args[childAt + 1] ?? 'attnmt', only ?? 'rnn'))}\n`);
    process.exit(0);
  }
  const engines: Record<ModelKind, ReadonlyArray<EngineResult['engine']>> = { rnn: ['attnmt', 'pytorch', 'tfjs-wasm'], transformer: ['attnmt', 'pytorch'] };
  const tables: string[] = [];
  for (const model of only === undefined ? (['rnn', 'transformer'] as const) : [only]) {
    const results: EngineResult[] = [];
    for (const engine of engines[model]) {
      const r = engine === 'pytorch' ? pytorch(model) : child(engine, model);
      results.push(r);
      if (args.includes('--json')) process.stdout.write(`${JSON.stringify(r)}\n`);
    }
    tables.push(table(model, results));
    if (model === 'rnn') {
      const r = int8Row();
      if (args.includes('--json')) process.stdout.write(`${JSON.stringify(r)}\n`);
      tables.push(int8Table(r));
    }
  }
  if (!args.includes('--json')) process.stdout.write(`${tables.join('\n\n')}\n`);
}

// ---- int8 decoding (attnmt quantize): the RNN decoded from int8 and from float32 weights ----------------

interface Int8Result extends EngineResult {
  float32_greedy_b64_sent_s?: number;
  float32_greedy_b1_sent_s?: number;
  speedup_b64?: number;
  speedup_b1?: number;
  int8_backend?: string;
  /** Threads the int8 products may run on (the worker pool's; 1 without one). */
  int8_threads?: number;
}

/** The int8 row, measured in its own child process (its numbers next to float32's from the same process). */
function int8Row(): Int8Result {
  const r = child('attnmt-int8' as EngineResult['engine'], 'rnn') as Int8Result;
  return { ...r, engine: 'attnmt', model: 'rnn', precision: 'int8' };
}

/**
 * Greedy decoding of the reference RNN from float32 weights and from their int8 version (every matrix
 * quantized as `attnmt quantize` does, the int8 GEMM behind it), alternating float32 and int8 in each
 * repetition so that both see the same machine load.
 */
async function runInt8Decoding(): Promise<Int8Result> {
  await initEngine();
  const float = referenceModel('rnn');
  const int8 = referenceModel('rnn');
  const quantized = quantizeParameters(float.parameters());
  for (const [n, p] of int8.parameters()) {
    const q = quantized.get(n);
    p.data.set(q === undefined ? (float.parameters().get(n) as { data: Float32Array }).data : dequantizeMatrix(q));
    if (q !== undefined) registerInt8(p.data, q);
  }
  for (const m of [float, int8]) {
    const bias = m.parameters().get('decoder.output.bias');
    if (bias !== undefined) bias.data[EOS] = -1e9; // forced length, as in runAttnmt
  }
  const srcs = sentences(SIZES.batch, 1);
  const b64 = makeSourceBatch(srcs);
  const times = { f64: [] as number[], q64: [] as number[], f1: [] as number[], q1: [] as number[] };
  const run = (m: StepDecoder<unknown, unknown>, batch: Batch): number => {
    const t0 = performance.now();
    const hyps = greedy(m, batch, { maxLen: SIZES.length });
    if (hyps[0]?.tokens.length !== SIZES.length) throw new Error('forced-length decoding did not run 15 steps');
    return performance.now() - t0;
  };
  for (let r = 0; r < DECODE_REPS + 1; r++) {
    const f = run(float, b64);
    const q = run(int8, b64);
    if (r > 0) {
      times.f64.push(f);
      times.q64.push(q);
    }
  }
  for (let i = 0; i < 2 * DECODE_B1_SENTENCES + 1; i++) {
    const one = makeSourceBatch([srcs[i % srcs.length] as number[]]);
    const f = run(float, one);
    const q = run(int8, one);
    if (i > 0) {
      times.f1.push(f);
      times.q1.push(q);
    }
  }
  const sent64 = (ms: number[]): number => round((SIZES.batch * 1000) / median(ms));
  const sent1 = (ms: number[]): number => round(1000 / median(ms));
  return {
    // The child's name for this row (child() matches it); int8Row() reports it as engine attnmt.
    engine: 'attnmt-int8' as EngineResult['engine'],
    model: 'rnn',
    precision: 'int8',
    greedy_b64_sent_s: sent64(times.q64),
    greedy_b1_sent_s: sent1(times.q1),
    float32_greedy_b64_sent_s: sent64(times.f64),
    float32_greedy_b1_sent_s: sent1(times.f1),
    speedup_b64: Math.round((median(times.f64) / median(times.q64)) * 100) / 100,
    speedup_b1: Math.round((median(times.f1) / median(times.q1)) * 100) / 100,
    int8_backend: int8Info().backend,
    int8_threads: int8Info().threads ?? 1,
    peak_rss_mb: round(process.resourceUsage().maxRSS / 1024),
  };
}

function int8Table(r: Int8Result): string {
  if (r.error !== undefined) return `int8 decoding (rnn): error: ${r.error}`;
  return [
    `int8 decoding (rnn, the same model from int8 weights, ${r.int8_backend ?? '?'} kernels on ${r.int8_threads ?? '?'} thread(s); float32 measured alternately in the same process):`,
    `  greedy b64: ${r.greedy_b64_sent_s} sent/s vs float32 ${r.float32_greedy_b64_sent_s} (${r.speedup_b64}x)`,
    `  greedy b1:  ${r.greedy_b1_sent_s} sent/s vs float32 ${r.float32_greedy_b1_sent_s} (${r.speedup_b1}x)`,
  ].join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await main();
}
