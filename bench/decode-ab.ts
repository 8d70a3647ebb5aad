/**
 * Greedy decoding of bench:model's reference RNN (bench/model.ts: referenceModel('rnn'), forced length 15)
 * from float32 and from int8 weights, at batch 64 and batch 1, with another build's code (`--dist DIR`, a
 * dist/ directory with the same layout), so two builds are compared on the same work: run it alternately
 * for both builds and compare the medians. The checksum of the chosen words and their scores must be
 * equal when both builds compute the same thing.
 *
 *   node dist/bench/decode-ab.js [--dist /work/other/dist] [--reps 8] [--b1 32] [--threads 2]
 *   node dist/bench/decode-ab.js --ab /work/other/dist ...   both builds in one process (other's line first, then
 *     this one's, then {"speedup":{"b64":..,..},"same":{"float":..,"int8":..}}: other's median / this one's), their
 *     decodes alternating: on a busy machine both see the same load
 *   {"dist":..,"b64_ms":..,"b1_ms":..,"q64_ms":..,"q1_ms":..,"b64_sent_s":..,"b1_sent_s":..,"q64_sent_s":..,"q1_sent_s":..,
 *    "cpu_ms":{"b64":..,"b1":..,"q64":..,"q1":..},"checksum":..,"qchecksum":..}
 * (medians of wall time per decode, and of the process's CPU time per decode: with --threads 1 the latter
 * is the decode's own work, much less moved by other load on the machine)
 */
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { importFrom, median } from './dist-modules.js';

/** The modules of the build at `dist` (a dist/ directory) that the run uses. */
async function load(dist: string) {
  return {
    batch: await importFrom<typeof import('../src/data/batch.js')>(dist, 'src/data/batch.js'),
    engine: await importFrom<typeof import('../src/engine/engine.js')>(dist, 'src/engine/engine.js'),
    int8: await importFrom<typeof import('../src/engine/int8.js')>(dist, 'src/engine/int8.js'),
    greedy: await importFrom<typeof import('../src/decode/greedy.js')>(dist, 'src/decode/greedy.js'),
    quantize: await importFrom<typeof import('../src/model/quantize.js')>(dist, 'src/model/quantize.js'),
    bench: await importFrom<typeof import('./model.js')>(dist, 'bench/model.js'),
  };
}

/** One build's engine and the float32 and int8 reference models on it, and a timed greedy decode. */
async function setup(dist: string, threads: string | undefined) {
  const m = await load(dist);
  await m.engine.initEngine(threads === undefined ? {} : { threads: Number(threads) });
  const float = m.bench.referenceModel('rnn');
  const int8 = m.bench.referenceModel('rnn');
  const quantized = m.quantize.quantizeParameters(float.parameters());
  for (const [n, p] of int8.parameters()) {
    const q = quantized.get(n);
    p.data.set(q === undefined ? (float.parameters().get(n) as { data: Float32Array }).data : m.int8.dequantizeMatrix(q));
    if (q !== undefined) m.int8.registerInt8(p.data, q);
  }
  for (const model of [float, int8]) {
    const bias = model.parameters().get('decoder.output.bias');
    if (bias !== undefined) bias.data[2] = -1e9; // EOS: forced length
  }
  const srcs = m.bench.sentences(64, 1);
  const sums = { f: 0, q: 0 };
  let lastCpu = 0;
  type Batch = ReturnType<typeof m.batch.makeSourceBatch>;
  /** Decodes `batch` with the float32 ('f') or int8 ('q') model: wall ms (CPU ms in lastCpu()); the words and scores go into the checksum. */
  const run = (batch: Batch, key: 'f' | 'q'): number => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const hyps = m.greedy.greedy(key === 'f' ? float : int8, batch, { maxLen: 15 });
    const t = performance.now() - t0;
    const c = process.cpuUsage(c0);
    lastCpu = (c.user + c.system) / 1000;
    for (const h of hyps) {
      if (h.tokens.length !== 15) throw new Error('forced-length decoding did not run 15 steps');
      sums[key] = (sums[key] * 31 + h.tokens.reduce((a, w, i) => a + w * (i + 1), 0) + h.score) % 1e9;
    }
    return t;
  };
  return {
    dist, m, run, sums, lastCpu: () => lastCpu,
    b64: m.batch.makeSourceBatch(srcs),
    one: (i: number): Batch => m.batch.makeSourceBatch([srcs[i % srcs.length] as number[]]),
  };
}

type Build = Awaited<ReturnType<typeof setup>>;
type Part = 'f64' | 'q64' | 'f1' | 'q1';

/** Wall and CPU times of one build's decodes, per part. */
function timings() {
  return { t: { f64: [] as number[], q64: [] as number[], f1: [] as number[], q1: [] as number[] }, cpu: { f64: [] as number[], q64: [] as number[], f1: [] as number[], q1: [] as number[] } };
}

/** Decodes the parts of one round (batch 64 when `i` < 0, else sentence i at batch 1) with build `b`, kept when `keep`. */
function round(b: Build, i: number, keep: boolean, only: string | undefined, into: ReturnType<typeof timings>): void {
  const batch = i < 0 ? b.b64 : b.one(i);
  const [fk, qk]: [Part, Part] = i < 0 ? ['f64', 'q64'] : ['f1', 'q1'];
  const f = only === undefined || only === fk ? b.run(batch, 'f') : 0;
  const fc = b.lastCpu();
  const q = only === undefined || only === qk ? b.run(batch, 'q') : 0;
  if (!keep) return;
  into.t[fk].push(f);
  into.t[qk].push(q);
  into.cpu[fk].push(fc);
  into.cpu[qk].push(b.lastCpu());
}

function summary(b: Build, r: ReturnType<typeof timings>) {
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  const { t, cpu } = r;
  return {
    dist: b.dist,
    b64_ms: r2(median(t.f64)),
    b1_ms: r2(median(t.f1)),
    q64_ms: r2(median(t.q64)),
    q1_ms: r2(median(t.q1)),
    b64_sent_s: Math.round(64000 / median(t.f64)),
    b1_sent_s: Math.round(1000 / median(t.f1)),
    q64_sent_s: Math.round(64000 / median(t.q64)),
    q1_sent_s: Math.round(1000 / median(t.q1)),
    cpu_ms: { b64: r2(median(cpu.f64)), b1: r2(median(cpu.f1)), q64: r2(median(cpu.q64)), q1: r2(median(cpu.q1)) },
    checksum: b.sums.f,
    qchecksum: b.sums.q,
  };
}

async function main(): Promise<void> {
  const { values: o } = parseArgs({
    options: {
      dist: { type: 'string' }, ab: { type: 'string' }, reps: { type: 'string' }, b1: { type: 'string' }, threads: { type: 'string' }, only: { type: 'string' },
    },
  });
  const dist = resolve(o.dist ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const reps = Number(o.reps ?? 8);
  const b1n = Number(o.b1 ?? 32);
  const only = o.only; // f64, f1, q64, q1: time only that part (for profiles)
  // --ab OTHER: both builds in this process, their decodes alternating (the order swapped every round).
  const builds = [await setup(dist, o.threads)];
  if (o.ab !== undefined) builds.unshift(await setup(resolve(o.ab), o.threads));
  const times = builds.map(() => timings());
  const each = (i: number, keep: boolean, r: number): void => {
    const order = r % 2 === 0 ? builds.map((_, x) => x) : builds.map((_, x) => builds.length - 1 - x);
    for (const x of order) round(builds[x] as Build, i, keep, only, times[x] as ReturnType<typeof timings>);
  };
  for (let r = 0; r < reps + 1; r++) each(-1, r > 0, r);
  for (let i = 0; i < b1n + 1; i++) each(i, i > 0, i);
  for (const b of builds) await b.m.engine.shutdownEngine();
  const out = builds.map((b, x) => summary(b, times[x] as ReturnType<typeof timings>));
  for (const line of out) process.stdout.write(`${JSON.stringify(line)}\n`);
  if (out.length === 2) {
    const [a, b] = out as [ReturnType<typeof summary>, ReturnType<typeof summary>];
    const ratio = (x: number, y: number): number => Math.round((x / y) * 1000) / 1000;
    process.stdout.write(`${JSON.stringify({
      speedup: { b64: ratio(a.b64_ms, b.b64_ms), b1: ratio(a.b1_ms, b.b1_ms), q64: ratio(a.q64_ms, b.q64_ms), q1: ratio(a.q1_ms, b.q1_ms) },
      same: { float: a.checksum === b.checksum, int8: a.qchecksum === b.qchecksum },
    })}\n`);
  }
}

await main();
