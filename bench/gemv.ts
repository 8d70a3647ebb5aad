/**
 * The products of one batch-1 decoder step of bench:model's reference RNN, one by one: few-row products
 * (M = 1, 2, 4) with the weights resident in the engine's memory (as a model's parameters), with and without a
 * bias row, the output layer's product with greedy decoding's pick on its logits, and the same with int8
 * weights. Times per call (median of samples, microseconds: wall, and the process's CPU time, which with
 * --threads 1 is the call's own work), from the build at `--dist DIR` (default this one),
 * so two builds can be run in turn on the same work; `--force pool|alone` fixes the pool-or-alone choice.
 *
 *   node dist/bench/gemv.js [--dist /work/other/dist] [--threads 2] [--force pool|alone] [--m 1]
 *   {"dist":..,"m":1,"us":{"1x256x768 b":..,...},"checksum":..}
 */
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { importFrom, median } from './dist-modules.js';

async function load(dist: string) {
  return {
    engine: await importFrom<typeof import('../src/engine/engine.js')>(dist, 'src/engine/engine.js'),
    gemm: await importFrom<typeof import('../src/engine/gemm.js')>(dist, 'src/engine/gemm.js'),
    choice: await importFrom<typeof import('../src/engine/pool-choice.js')>(dist, 'src/engine/pool-choice.js'),
    int8: await importFrom<typeof import('../src/engine/int8.js')>(dist, 'src/engine/int8.js'),
    pick: await importFrom<typeof import('../src/engine/ops/pick.js')>(dist, 'src/engine/ops/pick.js'),
    tensor: await importFrom<typeof import('../src/engine/tensor.js')>(dist, 'src/engine/tensor.js'),
  };
}

/** Deterministic values in [-0.1, 0.1). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 0.2;
  }
  return out;
}

async function main(): Promise<void> {
  const { values: o } = parseArgs({ options: { dist: { type: 'string' }, threads: { type: 'string' }, force: { type: 'string' }, m: { type: 'string' }, samples: { type: 'string' } } });
  const dist = resolve(o.dist ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const mods = await load(dist);
  await mods.engine.initEngine(o.threads === undefined ? {} : { threads: Number(o.threads) });
  if (o.force === 'pool' || o.force === 'alone') mods.choice.forcePoolChoice(o.force);
  const m = Number(o.m ?? 1);
  const samples = Number(o.samples ?? 15);
  let checksum = 0;
  const us: Record<string, number> = {};
  const cpu: Record<string, number> = {};
  const { gemm, withResidentParameters } = mods.gemm;
  const time = (name: string, op: () => number): void => {
    for (let i = 0; i < 20; i++) op();
    const t: number[] = [];
    const c: number[] = [];
    for (let s = 0; s < samples; s++) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      let x = 0;
      for (let r = 0; r < 50; r++) x += op();
      t.push(((performance.now() - t0) * 1000) / 50);
      const dc = process.cpuUsage(c0);
      c.push((dc.user + dc.system) / 50);
      checksum = (checksum * 31 + x) % 1e9;
    }
    us[name] = Math.round(median(t) * 10) / 10;
    cpu[name] = Math.round(median(c) * 10) / 10;
  };
  withResidentParameters(() => {
    for (const [k, n] of [[256, 768], [512, 256], [256, 256], [256, 5000]] as const) {
      const a = values(m * k, 1);
      const b = values(k * n, 2 + n);
      const bias = values(n, 3);
      const c = new Float32Array(m * n);
      time(`${m}x${k}x${n}`, () => {
        gemm({ m, n, k, a, b, c, bResident: true });
        return c[n - 1] as number;
      });
      time(`${m}x${k}x${n} b`, () => {
        gemm({ m, n, k, a, b, c, bResident: true, beta: 1, bias });
        return c[0] as number;
      });
    }
    const { Tensor } = mods.tensor;
    const k = 256;
    const v = 5000;
    const x = new Tensor(values(m * k, 5), [m, k]);
    const w = new Tensor(values(k * v, 6), [k, v], { requiresGrad: true });
    const bias = new Tensor(values(v, 7), [v], { requiresGrad: true });
    time(`pick ${m}x${k}x${v}`, () => mods.pick.greedyPick(x, w, bias, [0, 1]).words[0] as number);
    const wq = new Tensor(Float32Array.from(w.data), [k, v], { requiresGrad: true });
    const q = mods.int8.quantizeMatrix(wq.data, [k, v], 1);
    wq.data.set(mods.int8.dequantizeMatrix(q));
    mods.int8.registerInt8(wq.data, q);
    time(`int8 pick ${m}x${k}x${v}`, () => mods.pick.greedyPick(x, wq, bias, [0, 1]).words[0] as number);
    for (const [kk, n] of [[256, 768], [512, 256]] as const) {
      const bq = values(kk * n, 8 + n);
      const qq = mods.int8.quantizeMatrix(bq, [kk, n], 1);
      bq.set(mods.int8.dequantizeMatrix(qq));
      mods.int8.registerInt8(bq, qq);
      const a = values(m * kk, 9);
      const bb = values(n, 10);
      const c = new Float32Array(m * n);
      time(`int8 ${m}x${kk}x${n} b`, () => {
        gemm({ m, n, k: kk, a, b: bq, c, bResident: true, beta: 1, bias: bb });
        return c[0] as number;
      });
    }
  });
  await mods.engine.shutdownEngine();
  process.stdout.write(`${JSON.stringify({ dist, m, force: o.force ?? null, us, cpu_us: cpu, checksum })}\n`);
}

await main();
