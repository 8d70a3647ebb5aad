/**
 * NaN and Inf go through every GEMM the same way, as IEEE arithmetic says: 0 x NaN and 0 x Inf are NaN, so a
 * zero in A does not hide a NaN or Inf in B (the reference once skipped a == 0 terms: 0 there, NaN in
 * WebAssembly). Checked on the TypeScript reference and on the WebAssembly engine (plain and relaxed SIMD,
 * one and two threads) against the class (NaN, +Inf, -Inf, finite) of a double-precision triple loop.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gemm, gemmReference, type GemmArgs } from '../../src/engine/gemm.js';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { Rng } from '../../src/engine/random.js';

type Kind = 'nan' | '+inf' | '-inf' | 'finite';
const kind = (v: number): Kind => (Number.isNaN(v) ? 'nan' : v === Infinity ? '+inf' : v === -Infinity ? '-inf' : 'finite');

/** A (m x k) and B (k x n) with zeros, NaN and +-Inf placed so every combination meets a zero or a finite value. */
function operands(m: number, k: number, n: number, seed: number): { a: Float32Array; b: Float32Array } {
  const rng = new Rng(seed);
  const a = rng.uniformArray(m * k);
  const b = rng.uniformArray(k * n);
  for (let i = 0; i < m; i++) a[i * k + (i % k)] = 0; // a zero in every row of A
  a.fill(0, 0, k); // row 0 of A all zero: meets B's NaN/Inf only through zeros
  b[0 * n + 1] = NaN; // 0 x NaN in row 0
  b[1 * n + 2] = Infinity; // 0 x Inf in row 0
  b[2 * n + 3] = -Infinity;
  b[2 * n + 2] = -Infinity; // column 2: +Inf + -Inf = NaN in the rows where both terms are nonzero
  a[1 * k + 3] = NaN; // NaN in A meeting zeros of B below
  b.fill(0, 3 * n, 4 * n);
  a[2 * k + 4] = Infinity;
  b.fill(0, 4 * n, 5 * n); // Inf x 0 = NaN in row 2
  return { a, b };
}

function expected(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Kind[] {
  const out: Kind[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (a[i * k + p] as number) * (b[p * n + j] as number);
      out.push(kind(s));
    }
  }
  return out;
}

const SHAPES = [
  { m: 5, k: 7, n: 9 },
  { m: 33, k: 70, n: 65 }, // past the kernels' tile sizes, so the blocked paths run
];

function run(impl: (args: GemmArgs) => void, m: number, k: number, n: number, seed: number, transB: boolean): { got: Kind[]; want: Kind[] } {
  const { a, b } = operands(m, k, n, seed);
  const want = expected(a, b, m, k, n);
  let bArg = b;
  if (transB) {
    bArg = new Float32Array(k * n);
    for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) bArg[j * k + p] = b[p * n + j] as number;
  }
  const c = new Float32Array(m * n).fill(NaN); // beta = 0 must ignore what C held
  impl({ m, n, k, a, b: bArg, c, transB });
  return { got: Array.from(c, kind), want };
}

function checkAll(impl: (args: GemmArgs) => void): void {
  SHAPES.forEach(({ m, k, n }, i) => {
    for (const transB of [false, true]) {
      const { got, want } = run(impl, m, k, n, 50 + i, transB);
      assert.ok(want.includes('nan') && want.includes('+inf') && want.includes('-inf') && want.includes('finite'), 'the operands cover every class');
      const bad = got.findIndex((g, j) => g !== want[j]);
      assert.equal(bad, -1, `${m}x${k}x${n} transB=${transB}: C[${bad}] is ${got[bad]}, IEEE gives ${want[bad]}`);
    }
  });
}

describe('GEMM with NaN and Inf in A and B', () => {
  after(() => shutdownEngine());

  it('the TypeScript reference propagates them (0 x NaN = NaN)', () => checkAll(gemmReference));

  for (const cfg of [
    { threads: 1, relaxed: false, backend: 'wasm-simd' },
    { threads: 2, relaxed: false, backend: 'wasm-simd' },
    { threads: 1, relaxed: true, backend: 'wasm-relaxed-simd' },
    { threads: 2, relaxed: true, backend: 'wasm-relaxed-simd' },
  ] as const) {
    it(`WebAssembly ${cfg.backend}, ${cfg.threads} thread(s), agrees`, async () => {
      await shutdownEngine();
      const info = await initEngine({ threads: cfg.threads, relaxed: cfg.relaxed });
      assert.equal(info.backend, cfg.backend); // a failed load fails here, it never falls back silently
      checkAll(gemm);
    });
  }
});
