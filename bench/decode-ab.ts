/**
 * Greedy decoding of bench:model's reference RNN (bench/model.ts: referenceModel('rnn'), forced length 15)
 * from float32 and from int8 weights, at batch 64 and batch 1, with another build's code (`--dist DIR`, a
 * dist/ directory with the same layout), so two builds are compared on the same work: run it alternately
 * for both builds and compare the medians. The checksum of the chosen words and their scores must be
 * equal when both builds compute the same thing.
 *
 *   node dist/bench/decode-ab.js [--dist /work/other/dist] [--reps 8] [--b1 32] [--threads 2]
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

async function main(): Promise<void> {
  const { values: o } = parseArgs({
    options: { dist: { type: 'string' }, reps: { type: 'string' }, b1: { type: 'string' }, threads: { type: 'string' }, only: { type: 'string' } },
  });
  const dist = resolve(o.dist ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const reps = Number(o.reps ?? 8);
  const b1n = Number(o.b1 ?? 32);
  const threads = o.threads;
  const only = o.only; // f64, f1, q64, q1: time only that part (for profiles)
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
  const b64 = m.batch.makeSourceBatch(srcs);
  const sums = { f: 0, q: 0 };
  // CPU time of the process per decode (all its threads: with --threads 1, the decode's own work, which
  // other processes on the machine move much less than the wall time).
  const cpu = { f64: [] as number[], q64: [] as number[], f1: [] as number[], q1: [] as number[] };
  let lastCpu = 0;
  const run = (model: typeof float, batch: ReturnType<typeof m.batch.makeSourceBatch>, key: 'f' | 'q'): number => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const hyps = m.greedy.greedy(model, batch, { maxLen: 15 });
    const t = performance.now() - t0;
    const c = process.cpuUsage(c0);
    lastCpu = (c.user + c.system) / 1000;
    for (const h of hyps) {
      if (h.tokens.length !== 15) throw new Error('forced-length decoding did not run 15 steps');
      sums[key] = (sums[key] * 31 + h.tokens.reduce((a, w, i) => a + w * (i + 1), 0) + h.score) % 1e9;
    }
    return t;
  };
  const t = { f64: [] as number[], q64: [] as number[], f1: [] as number[], q1: [] as number[] };
  /** float32 then int8 on one batch (each unless --only names another part); kept when `keep`. */
  const pair = (batch: ReturnType<typeof m.batch.makeSourceBatch>, fk: 'f64' | 'f1', qk: 'q64' | 'q1', keep: boolean): void => {
    const f = only === undefined || only === fk ? run(float, batch, 'f') : 0;
    const fc = lastCpu;
    const q = only === undefined || only === qk ? run(int8, batch, 'q') : 0;
    if (!keep) return;
    t[fk].push(f);
    t[qk].push(q);
    cpu[fk].push(fc);
    cpu[qk].push(lastCpu);
  };
  for (let r = 0; r < reps + 1; r++) {
    pair(b64, 'f64', 'q64', r > 0);
  }
  for (let i = 0; i < b1n + 1; i++) {
    const one = m.batch.makeSourceBatch([srcs[i % srcs.length] as number[]]);
    pair(one, 'f1', 'q1', i > 0);
  }
  await m.engine.shutdownEngine();
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  const out = {
    dist,
    b64_ms: r2(median(t.f64)),
    b1_ms: r2(median(t.f1)),
    q64_ms: r2(median(t.q64)),
    q1_ms: r2(median(t.q1)),
    b64_sent_s: Math.round(64000 / median(t.f64)),
    b1_sent_s: Math.round(1000 / median(t.f1)),
    q64_sent_s: Math.round(64000 / median(t.q64)),
    q1_sent_s: Math.round(1000 / median(t.q1)),
    cpu_ms: { b64: r2(median(cpu.f64)), b1: r2(median(cpu.f1)), q64: r2(median(cpu.q64)), q1: r2(median(cpu.q1)) },
    checksum: sums.f,
    qchecksum: sums.q,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

await main();
