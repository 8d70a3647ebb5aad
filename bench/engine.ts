/**
 * GEMM benchmark: attnmt's WebAssembly SIMD GEMM (1 and 2 threads) against TensorFlow.js' wasm
 * backend, on the shapes of the reference model (batch 64, hidden/embedding 256-768, vocabulary 5000)
 * and batch-1 decoding, in the modes NN (A·B), NT (A·Bᵀ) and TN (Aᵀ·B).
 *
 *   npm run bench:engine            readable table with ratios
 *   npm run bench:engine -- --json  one JSON object per line:
 *     {"impl":"attnmt"|"tfjs-wasm","shape":"MxKxN","mode":"NN"|"NT"|"TN","threads":1|2,"gflops":41.2}
 *   (rows with "b":"resident": the 64-row shapes again with B kept in the engine's memory, as a model's weights)
 *   npm run bench:engine -- --attnmt-only   without TensorFlow.js (for A/B runs of two builds)
 *   (rows with "forced":true: the resident shapes on 2 threads with the pool-or-alone choice forced each way,
 *   samples interleaved: the second thread's gain without the choice and with load falling on both alike)
 *
 * attnmt times include copying the operands from the JS heap into wasm memory and C back (that is
 * what a caller pays); the "copy %" column estimates that share from plain Float32Array copies of
 * the same sizes. With 2 threads the engine uses its worker pool only for shapes where it measured
 * the pool faster (see WasmGemm); "pool jobs/call" shows how often it did. TensorFlow.js gets its inputs already uploaded and is timed for matMul + dataSync;
 * its threads are off in Node, so it runs on one thread only. Each number is the median of 7 samples.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { gemm, withResidentParameters } from '../src/engine/gemm.js';
import { enginePoolJobs, initEngine, shutdownEngine } from '../src/engine/engine.js';
import { forcePoolChoice } from '../src/engine/pool-choice.js';
import { Rng } from '../src/engine/random.js';
import { fmaCeiling } from './ceiling.js';

type Mode = 'NN' | 'NT' | 'TN';
type Impl = 'attnmt' | 'tfjs-wasm';

interface Result {
  impl: Impl;
  shape: string;
  mode: Mode;
  threads: 1 | 2;
  gflops: number;
  /** 'resident': B is a parameter the engine keeps in its memory (a model's weights), not copied per call. */
  b?: 'resident';
}

/** M x K x N. */
const SHAPES: Array<[number, number, number]> = [
  [64, 512, 768],
  [64, 256, 5000],
  [960, 256, 256],
  [1, 512, 768],
];
const MODES: Mode[] = ['NN', 'NT', 'TN'];
const SAMPLES = 7;
/** Each sample runs the operation for at least this long. */
const SAMPLE_MS = 25;

const json = process.argv.includes('--json');
/** `--attnmt-only`: skip TensorFlow.js (A/B runs of two builds). */
const attnmtOnly = process.argv.includes('--attnmt-only');

function random(n: number, seed: number): Float32Array {
  return new Rng(seed).uniformArray(n);
}

let calls = 0;

/** Median milliseconds per call of `op` (counts the calls in `calls`). */
function time(op: () => void): number {
  op();
  const t0 = performance.now();
  op();
  const once = Math.max(performance.now() - t0, 1e-3);
  const reps = Math.max(1, Math.ceil(SAMPLE_MS / once));
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const start = performance.now();
    for (let r = 0; r < reps; r++) op();
    calls += reps;
    samples.push((performance.now() - start) / reps);
  }
  samples.sort((x, y) => x - y);
  return samples[Math.floor(SAMPLES / 2)];
}

function operands(m: number, k: number, n: number, mode: Mode): { a: Float32Array; b: Float32Array; c: Float32Array; transA: boolean; transB: boolean } {
  return { a: random(m * k, 1), b: random(k * n, 2), c: new Float32Array(m * n), transA: mode === 'TN', transB: mode === 'NT' };
}

function gflops(m: number, k: number, n: number, ms: number): number {
  return Math.round(((2 * m * k * n) / (ms * 1e6)) * 10) / 10;
}

function emit(r: Result, out: Result[]): void {
  out.push(r);
  if (json) console.log(JSON.stringify(r));
}

/** Milliseconds to copy A and B into another Float32Array and C back: what the wasm path copies. */
function copyMs(m: number, k: number, n: number): number {
  const a = random(m * k, 3);
  const b = random(k * n, 4);
  const c = random(m * n, 5);
  const heap = new Float32Array(m * k + k * n + m * n);
  return time(() => {
    heap.set(a, 0);
    heap.set(b, m * k);
    c.set(heap.subarray(m * k + k * n));
  });
}

/** Pool jobs per timed call on two threads, by shape and mode (0: the engine kept the shape on one thread). */
const poolUse = new Map<string, number>();

async function benchAttnmt(threads: 1 | 2, out: Result[], copies: Map<string, number>): Promise<void> {
  const info = await initEngine({ threads });
  if (info.threads !== threads) throw new Error(`bench: asked for ${threads} threads, engine has ${info.threads}`);
  for (const [m, k, n] of SHAPES) {
    for (const mode of MODES) {
      const ops = operands(m, k, n, mode);
      const jobs0 = enginePoolJobs();
      calls = 0;
      const ms = time(() => gemm({ m, n, k, ...ops }));
      const shape = `${m}x${k}x${n}`;
      if (threads === 2) poolUse.set(`${shape} ${mode}`, (enginePoolJobs() - jobs0) / calls);
      if (threads === 1 && mode === 'NN') copies.set(shape, copyMs(m, k, n) / ms);
      emit({ impl: 'attnmt', shape, mode, threads, gflops: gflops(m, k, n, ms) }, out);
    }
  }
  // The 64-row shapes as a model calls them: B is a weight the engine keeps in its memory between calls
  // (linear's bResident inside withResidentParameters), so only A and C move.
  for (const [m, k, n] of RESIDENT_SHAPES) {
    for (const mode of ['NN', 'NT'] as const) {
      const ops = operands(m, k, n, mode);
      const jobs0 = enginePoolJobs();
      calls = 0;
      const ms = withResidentParameters(() => time(() => gemm({ m, n, k, ...ops, bResident: true })));
      const shape = `${m}x${k}x${n}`;
      if (threads === 2) poolUse.set(`${shape} ${mode} resident`, (enginePoolJobs() - jobs0) / calls);
      emit({ impl: 'attnmt', shape, mode, threads, gflops: gflops(m, k, n, ms), b: 'resident' }, out);
    }
  }
  if (threads === 2) {
    // The same resident calls with the choice forced, pool and alone interleaved sample by sample in this
    // engine: what the second thread gives when it runs, other load on the machine falling on both modes.
    for (const [m, k, n] of RESIDENT_SHAPES) {
      for (const mode of ['NN', 'NT'] as const) {
        const ops = operands(m, k, n, mode);
        const { pool, alone } = withResidentParameters(() => interleaved(() => gemm({ m, n, k, ...ops, bResident: true })));
        const shape = `${m}x${k}x${n}`;
        forced.set(`${shape} ${mode}`, { pool: gflops(m, k, n, pool), alone: gflops(m, k, n, alone) });
        if (json) console.log(JSON.stringify({ impl: 'attnmt', shape, mode, b: 'resident', forced: true, pool: gflops(m, k, n, pool), alone: gflops(m, k, n, alone) }));
      }
    }
  }
  await shutdownEngine();
}

/** GFLOP/s of the resident 64-row shapes with 2 threads, forced on the pool and alone (interleaved). */
const forced = new Map<string, { pool: number; alone: number }>();

/** Median ms per call of `op` forced on the pool and forced alone, their samples interleaved (15 each). */
function interleaved(op: () => void): { pool: number; alone: number } {
  const modes = ['pool', 'alone'] as const;
  const reps: Record<string, number> = {};
  const samples: Record<string, number[]> = { pool: [], alone: [] };
  try {
    for (const mode of modes) {
      forcePoolChoice(mode);
      op();
      const t0 = performance.now();
      op();
      reps[mode] = Math.max(1, Math.ceil(SAMPLE_MS / 2 / Math.max(performance.now() - t0, 1e-3)));
    }
    for (let s = 0; s < 15; s++) {
      for (const mode of modes) {
        forcePoolChoice(mode);
        const r = reps[mode] as number;
        const start = performance.now();
        for (let i = 0; i < r; i++) op();
        samples[mode]?.push((performance.now() - start) / r);
      }
    }
  } finally {
    forcePoolChoice(null);
  }
  const median = (x: number[]): number => x.sort((a, b) => a - b)[x.length >> 1] as number;
  return { pool: median(samples.pool as number[]), alone: median(samples.alone as number[]) };
}

/** The 64-row shapes timed again with B resident (a model's weights). */
const RESIDENT_SHAPES = SHAPES.filter(([m]) => m === 64);

async function benchTfjs(out: Result[]): Promise<void> {
  const require = createRequire(import.meta.url);
  setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  await tf.setBackend('wasm');
  await tf.ready();
  for (const [m, k, n] of SHAPES) {
    for (const mode of MODES) {
      const ops = operands(m, k, n, mode);
      const a = tf.tensor2d(ops.a, ops.transA ? [k, m] : [m, k]);
      const b = tf.tensor2d(ops.b, ops.transB ? [n, k] : [k, n]);
      const ms = time(() => {
        const c = tf.matMul(a, b, ops.transA, ops.transB);
        c.dataSync();
        c.dispose();
      });
      a.dispose();
      b.dispose();
      emit({ impl: 'tfjs-wasm', shape: `${m}x${k}x${n}`, mode, threads: 1, gflops: gflops(m, k, n, ms) }, out);
    }
  }
}

function table(results: Result[], copies: Map<string, number>): void {
  const find = (impl: Impl, shape: string, mode: Mode, threads: 1 | 2, b?: 'resident'): number =>
    results.find((r) => r.impl === impl && r.shape === shape && r.mode === mode && r.threads === threads && r.b === b)?.gflops ?? NaN;
  const header = ['shape MxKxN', 'mode', 'attnmt 1t', 'attnmt 2t', 'tfjs-wasm', 'vs tfjs', '2t/1t', 'copy %', 'pool jobs/call'];
  const rows = [header];
  for (const [m, k, n] of SHAPES) {
    const shape = `${m}x${k}x${n}`;
    for (const mode of MODES) {
      const one = find('attnmt', shape, mode, 1);
      const two = find('attnmt', shape, mode, 2);
      const tfw = find('tfjs-wasm', shape, mode, 1);
      const copy = mode === 'NN' ? `${((copies.get(shape) ?? NaN) * 100).toFixed(0)}` : '';
      const pool = (poolUse.get(`${shape} ${mode}`) ?? 0).toFixed(2);
      rows.push([shape, mode, one.toFixed(1), two.toFixed(1), tfw.toFixed(1), `${(one / tfw).toFixed(1)}x`, `${(two / one).toFixed(2)}x`, copy, pool]);
    }
  }
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log('GEMM GFLOP/s (median of 7; C = A·B with A MxK, B KxN; copy % = share of the 1-thread time spent copying;');
  console.log('pool jobs/call: with 2 threads the engine times each shape both ways and keeps the faster, 0 = one thread)');
  for (const r of rows) console.log(r.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '));
  console.log('');
  console.log('The 64-row shapes with B resident (a model\'s weights stay in the engine\'s memory; only A and C are copied):');
  const resident = [['shape MxKxN', 'mode', 'attnmt 1t', 'attnmt 2t', '2t/1t', 'pool jobs/call']];
  for (const [m, k, n] of RESIDENT_SHAPES) {
    for (const mode of ['NN', 'NT'] as const) {
      const shape = `${m}x${k}x${n}`;
      const one = find('attnmt', shape, mode, 1, 'resident');
      const two = find('attnmt', shape, mode, 2, 'resident');
      const pool = (poolUse.get(`${shape} ${mode} resident`) ?? 0).toFixed(2);
      resident.push([shape, mode, one.toFixed(1), two.toFixed(1), `${(two / one).toFixed(2)}x`, pool]);
    }
  }
  const rw = resident[0].map((_, i) => Math.max(...resident.map((r) => r[i].length)));
  for (const r of resident) console.log(r.map((cell, i) => (i < 2 ? cell.padEnd(rw[i]) : cell.padStart(rw[i]))).join('  '));
  console.log('');
  console.log('The same with 2 threads, the pool-or-alone choice forced, pool and alone samples interleaved (median of 15):');
  const fr = [['shape MxKxN', 'mode', 'alone', 'pool', 'pool/alone']];
  for (const [key, g] of forced) fr.push([...key.split(' '), g.alone.toFixed(1), g.pool.toFixed(1), `${(g.pool / g.alone).toFixed(2)}x`]);
  const fw = fr[0].map((_, i) => Math.max(...fr.map((r) => r[i].length)));
  for (const r of fr) console.log(r.map((cell, i) => (i < 2 ? cell.padEnd(fw[i]) : cell.padStart(fw[i]))).join('  '));
}

async function main(): Promise<void> {
  const results: Result[] = [];
  const copies = new Map<string, number>();
  await benchAttnmt(1, results, copies);
  await benchAttnmt(2, results, copies);
  if (!attnmtOnly) await benchTfjs(results);
  if (json) return;
  table(results, copies);
  const ceiling = await fmaCeiling();
  if (ceiling === null) return;
  const best = Math.max(...results.filter((r) => r.impl === 'attnmt' && r.threads === 1 && !r.shape.startsWith('1x')).map((r) => r.gflops));
  console.log('');
  console.log(`128-bit FMA ceiling on one core (register-only WebAssembly loops, no memory traffic): ${ceiling.chains8.toFixed(1)} GFLOP/s`);
  console.log(`with 8 independent accumulator chains, ${ceiling.chains12.toFixed(1)} with 12. The GEMM's 2x16 register tile holds 8`);
  console.log(`accumulators (V8 gives wasm 15 xmm registers and schedules a k step's loads ahead of its FMAs, so bigger tiles`);
  console.log(`spill); its best 1-thread shape here, ${best.toFixed(1)} GFLOP/s, is ${((100 * best) / ceiling.chains8).toFixed(0)}% of the 8-chain ceiling.`);
}

await main();
