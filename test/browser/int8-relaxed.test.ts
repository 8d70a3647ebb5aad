/**
 * The relaxed-SIMD int8 kernels in Chromium (V8 11.4+), checked against the plain build and the TypeScript
 * reference, bit for bit (test/engine/int8.test.ts does the same on Node's V8).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { dequantizeMatrix, int8Reference, quantizeMatrix, weightIndex } from '../../src/engine/int8.js';
import { Rng } from '../../src/engine/random.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = fs.existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (apt-get install chromium; CI installs it)`;
const wasm = (name: string): number[] => Array.from(fs.readFileSync(new URL(`../../../build/${name}.wasm`, import.meta.url)));

interface Problem {
  m: number;
  n: number;
  np: number;
  kp: number;
  /** Rows of A, zero padded to kp. */
  x: number[];
  /** Weight rows (output units), zero padded to np x kp, in the kernels' layout (int8.ts weightIndex). */
  w: number[];
  ws: number[];
  wsum: number[];
}

/** Runs quantizeRows + gemmInt8 of both builds in the page; C of each (m x np). */
async function runInPage(browser: Browser, p: Problem): Promise<{ simd: number[]; relaxed: number[]; relaxedValid: boolean }> {
  const page = await browser.newPage();
  try {
    return await page.evaluate(
      async ({ simd, relaxed, p }) => {
        const relaxedValid = WebAssembly.validate(new Uint8Array(relaxed));
        const run = async (bytes: number[]): Promise<number[]> => {
          const memory = new WebAssembly.Memory({ initial: 256 });
          const { instance } = await WebAssembly.instantiate(new Uint8Array(bytes), { env: { memory } });
          const e = instance.exports as Record<string, (...a: number[]) => number>;
          const al = (v: number): number => Math.ceil(v / 64) * 64;
          const px = al((e['heapBase'] as () => number)());
          const pq = al(px + p.m * p.kp * 4);
          const ps = al(pq + p.m * p.kp);
          const pz = al(ps + p.m * 4);
          const pw = al(pz + p.m * 4);
          const pws = al(pw + p.np * p.kp);
          const psum = al(pws + p.np * 4);
          const pc = al(psum + p.np * 4);
          new Float32Array(memory.buffer, px, p.m * p.kp).set(p.x);
          new Int8Array(memory.buffer, pw, p.np * p.kp).set(p.w);
          new Float32Array(memory.buffer, pws, p.np).set(p.ws);
          new Int32Array(memory.buffer, psum, p.np).set(p.wsum);
          (e['quantizeRows'] as (...a: number[]) => void)(px, p.m, p.kp, pq, ps, pz);
          (e['gemmInt8'] as (...a: number[]) => void)(pq, ps, pz, p.m, p.kp, pw, pws, psum, p.np, pc, 0);
          return Array.from(new Float32Array(memory.buffer, pc, p.m * p.np));
        };
        return { simd: await run(simd), relaxed: relaxedValid ? await run(relaxed) : [], relaxedValid };
      },
      { simd: wasm('int8-simd'), relaxed: wasm('int8-relaxed'), p },
    );
  } finally {
    await page.close();
  }
}

describe('int8 kernels in Chromium (standard relaxed SIMD)', { skip }, () => {
  let browser: Browser;
  before(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
  });
  after(async () => {
    await browser?.close();
  });

  for (const [m, n, k] of [[1, 301, 256], [5, 64, 300], [64, 40, 512]] as const) {
    it(`${m}x${n}x${k}: the relaxed build gives bit for bit the plain build's and the reference's results`, async () => {
      const rng = new Rng(m * 1000 + n);
      const float = rng.uniformArray(n * k).map((v) => v * 0.4);
      for (let p = 0; p < k; p++) float[p] = p % 2 === 0 ? 1 : -1; // a unit whose weights are all ±127
      const q = quantizeMatrix(float, [n, k], 0);
      const a = rng.uniformArray(m * k).map((v) => v * 3);
      const kp = Math.ceil(k / 16) * 16;
      const np = Math.ceil(n / 4) * 4;
      const x = new Array<number>(m * kp).fill(0);
      for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) x[i * kp + p] = a[i * k + p] as number;
      const w = new Array<number>(np * kp).fill(0);
      const wsum = new Array<number>(np).fill(0);
      for (let j = 0; j < n; j++) {
        for (let p = 0; p < k; p++) {
          w[weightIndex(j, p, kp)] = q.values[j * k + p] as number;
          wsum[j] = (wsum[j] as number) + (q.values[j * k + p] as number);
        }
      }
      const ws = [...Array.from(q.scales), ...new Array<number>(np - n).fill(0)];
      const got = await runInPage(browser, { m, n, np, kp, x, w, ws, wsum });
      assert.ok(got.relaxedValid, 'this Chromium rejects relaxed SIMD');
      const want = new Float32Array(m * n);
      int8Reference({ m, n, k, a, b: dequantizeMatrix(q), c: want, transB: true }, q);
      const cols = (c: number[]): Float32Array => Float32Array.from({ length: m * n }, (_, i) => c[Math.floor(i / n) * np + (i % n)] as number);
      const bits = (f: Float32Array): number[] => Array.from(new Uint32Array(f.buffer));
      assert.deepEqual(bits(cols(got.simd)), bits(want), 'plain build vs reference');
      assert.deepEqual(bits(cols(got.relaxed)), bits(want), 'relaxed build vs reference');
    });
  }
});
