import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gemm, type GemmArgs } from '../../src/engine/gemm.js';
import { engineInfo, enginePoolJobs, initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { Rng } from '../../src/engine/random.js';
import { PARALLEL_MIN_FLOPS, PARALLEL_MIN_SMALL_B } from '../../src/engine/wasm.js';
import { NODE_FLAGS } from '../helpers/node.js';

/** Seeded values in [-1, 1), so failures reproduce. */
function values(n: number, seed: number): Float32Array {
  return new Rng(seed).uniformArray(n);
}

interface Case {
  m: number;
  k: number;
  n: number;
  transA: boolean;
  transB: boolean;
  alpha: number;
  beta: number;
  /** Extra row stride over the packed width, and element offsets. */
  pad?: { a: number; b: number; c: number };
  off?: { a: number; b: number; c: number };
}

/** Builds the operands of a case (C gets NaN where beta = 0 must ignore it, sentinels in stride gaps). */
function build(cs: Case, seed: number): GemmArgs & { lda: number; ldb: number; ldc: number } {
  const pad = cs.pad ?? { a: 0, b: 0, c: 0 };
  const off = cs.off ?? { a: 0, b: 0, c: 0 };
  const rowsA = cs.transA ? cs.k : cs.m;
  const colsA = cs.transA ? cs.m : cs.k;
  const rowsB = cs.transB ? cs.n : cs.k;
  const colsB = cs.transB ? cs.k : cs.n;
  const lda = colsA + pad.a;
  const ldb = colsB + pad.b;
  const ldc = cs.n + pad.c;
  const a = values(off.a + rowsA * lda, seed);
  const b = values(off.b + rowsB * ldb, seed + 1);
  const c = values(off.c + cs.m * ldc, seed + 2);
  if (cs.beta === 0) {
    for (let i = 0; i < cs.m; i++) for (let j = 0; j < cs.n; j++) c[off.c + i * ldc + j] = NaN;
  }
  return {
    m: cs.m, n: cs.n, k: cs.k, transA: cs.transA, transB: cs.transB, alpha: cs.alpha, beta: cs.beta,
    a, b, c, lda, ldb, ldc, aOffset: off.a, bOffset: off.b, cOffset: off.c,
  };
}

/** Float64 naive reference and a rounding bound per element of C. */
function reference(g: ReturnType<typeof build>): { want: Float64Array; tol: Float64Array } {
  const { m, n, k, a, b, c, lda, ldb, ldc } = g;
  const alpha = g.alpha ?? 1;
  const beta = g.beta ?? 0;
  const ao = g.aOffset ?? 0;
  const bo = g.bOffset ?? 0;
  const co = g.cOffset ?? 0;
  const want = new Float64Array(m * n);
  const tol = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      let abs = 0;
      for (let p = 0; p < k; p++) {
        const av = g.transA ? a[ao + p * lda + i] : a[ao + i * lda + p];
        const bv = g.transB ? b[bo + j * ldb + p] : b[bo + p * ldb + j];
        s += av * bv;
        abs += Math.abs(av * bv);
      }
      const old = beta === 0 ? 0 : c[co + i * ldc + j];
      want[i * n + j] = alpha * s + beta * old;
      tol[i * n + j] = (k + 4) * 1.2e-7 * (Math.abs(alpha) * abs + Math.abs(beta * old)) + 1e-30;
    }
  }
  return { want, tol };
}

function check(cs: Case, seed: number): Float32Array {
  const g = build(cs, seed);
  const before = g.c.slice();
  const { want, tol } = reference(g);
  gemm(g);
  const co = g.cOffset ?? 0;
  for (let idx = 0; idx < g.c.length; idx++) {
    const r = Math.floor((idx - co) / g.ldc);
    const col = idx - co - r * g.ldc;
    const inside = idx >= co && r < g.m && col < g.n;
    if (!inside) {
      assert.ok(Object.is(g.c[idx], before[idx]), `element ${idx} outside C changed (${JSON.stringify(cs)})`);
      continue;
    }
    const w = want[r * g.n + col];
    const err = Math.abs(g.c[idx] - w);
    assert.ok(err <= tol[r * g.n + col], `C[${r}][${col}] = ${g.c[idx]}, want ${w} (${JSON.stringify(cs)})`);
  }
  return g.c;
}

const MODES: Array<[boolean, boolean]> = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];

const SHAPES: Array<[number, number, number]> = [
  [1, 1, 1],
  [1, 37, 50],
  [1, 512, 33],
  [3, 8, 1],
  [5, 1, 9],
  [4, 70, 19],
  [7, 13, 29],
  [33, 65, 17],
  [130, 257, 61],
  [16, 300, 48],
];

function suite(): void {
  it('matches a float64 reference on awkward shapes in every transposition mode', () => {
    let seed = 1;
    for (const [m, k, n] of SHAPES) {
      for (const [transA, transB] of MODES) check({ m, k, n, transA, transB, alpha: 1, beta: 0 }, seed++);
    }
  });

  it('applies alpha and beta (beta = 0 ignores NaN in C)', () => {
    let seed = 100;
    for (const [m, k, n] of [[1, 40, 21], [6, 33, 35], [37, 70, 45]] as Array<[number, number, number]>) {
      for (const [transA, transB] of MODES) {
        check({ m, k, n, transA, transB, alpha: -0.75, beta: 0.5 }, seed++);
        check({ m, k, n, transA, transB, alpha: 2, beta: 0 }, seed++);
        check({ m, k, n, transA, transB, alpha: 1, beta: 1 }, seed++);
      }
    }
  });

  it('honours row strides and offsets, leaving the gaps untouched', () => {
    let seed = 200;
    const shapes: Array<[number, number, number]> = [[1, 30, 20], [3, 17, 40], [40, 50, 35]];
    for (const [m, k, n] of shapes) {
      for (const [transA, transB] of MODES) {
        // Small gaps (copied in one span) and large ones (copied row by row).
        check({ m, k, n, transA, transB, alpha: 1.5, beta: 0.25, pad: { a: 3, b: 2, c: 5 }, off: { a: 7, b: 3, c: 11 } }, seed++);
        check({ m, k, n, transA, transB, alpha: 1, beta: 0, pad: { a: 90, b: 80, c: 60 }, off: { a: 1, b: 2, c: 3 } }, seed++);
      }
    }
  });

  it('handles K = 0 (C = beta * C) and empty outputs', () => {
    const c = new Float32Array([NaN, 2, 3, 4]);
    gemm({ m: 2, n: 2, k: 0, a: new Float32Array(0), b: new Float32Array(0), c, beta: 0 });
    assert.deepEqual(Array.from(c), [0, 0, 0, 0]);
    const d = new Float32Array([1, 2]);
    gemm({ m: 1, n: 2, k: 0, a: new Float32Array(0), b: new Float32Array(0), c: d, beta: 3 });
    assert.deepEqual(Array.from(d), [3, 6]);
    const e = new Float32Array([5]);
    gemm({ m: 0, n: 1, k: 3, a: new Float32Array(0), b: new Float32Array(3), c: e });
    assert.deepEqual(Array.from(e), [5]);
  });

  it('starts C from a bias row when given one: bit for bit what C filled with the bias rows gives, C never read', () => {
    let seed = 300;
    const shapes: Array<[number, number, number]> = [[1, 30, 20], [5, 64, 48], [8, 17, 33], [9, 40, 35], [70, 33, 130], [3, 0, 7]];
    for (const [m, k, n] of shapes) {
      for (const [transA, transB] of MODES) {
        for (const [alpha, beta, padC, offC] of [[1, 1, 0, 0], [-0.5, 0.75, 3, 5], [1, 0, 0, 2]] as const) {
          const rowsA = transA ? k : m;
          const a = values(rowsA * (transA ? m : k), seed++);
          const b = values((transB ? n : k) * (transB ? k : n), seed++);
          const bias = values(n + 2, seed++);
          bias[0] = -0;
          const ldc = n + padC;
          const filled = values(offC + m * ldc, seed++);
          const viaBias = filled.slice();
          for (let i = 0; i < m; i++) {
            filled.set(bias.subarray(0, n), offC + i * ldc);
            viaBias.fill(NaN, offC + i * ldc, offC + i * ldc + n);
          }
          const args = { m, n, k, a, b, transA, transB, alpha, beta, ldc, cOffset: offC };
          gemm({ ...args, c: filled });
          gemm({ ...args, c: viaBias, bias });
          for (let i = 0; i < filled.length; i++) {
            assert.ok(Object.is(viaBias[i], filled[i]), `C element ${i}: ${viaBias[i]} vs ${filled[i]} (m ${m} k ${k} n ${n} trans ${transA} ${transB} beta ${beta})`);
          }
        }
      }
    }
    assert.throws(() => gemm({ m: 1, n: 4, k: 1, a: new Float32Array(1), b: new Float32Array(4), c: new Float32Array(4), bias: new Float32Array(3) }), /gemm: bias has 3/);
  });

  it('rejects operands too short for their strides', () => {
    assert.throws(
      () => gemm({ m: 2, n: 2, k: 2, a: new Float32Array(3), b: new Float32Array(4), c: new Float32Array(4) }),
      /gemm: A needs 4 elements/,
    );
  });
}

/**
 * The relaxed build needs --experimental-wasm-relaxed-simd on Node 20, so this file re-runs itself
 * in a child process with the flag and ATTNMT_GEMM_RELAXED=1, where only the relaxed suite runs.
 */
function relaxedSuites(): void {
  describe('gemm: relaxed SIMD (FMA) build, child process', () => {
    after(() => shutdownEngine());
    it('loads', async () => {
      assert.deepEqual(await initEngine({ threads: 1, relaxed: true }), { backend: 'wasm-relaxed-simd', threads: 1 });
    });
    suite();
  });
}

function mainSuites(): void {
  describe('gemm: relaxed SIMD (FMA) build', () => {
    it('passes the suite in a child process with relaxed SIMD enabled', (t) => {
      const env: NodeJS.ProcessEnv = { ...process.env, ATTNMT_GEMM_RELAXED: '1' };
      delete env.NODE_TEST_CONTEXT;
      const self = fileURLToPath(import.meta.url);
      const run = spawnSync(process.execPath, [...NODE_FLAGS, '--experimental-wasm-relaxed-simd', self], { encoding: 'utf8', env, timeout: 120_000 });
      if (run.status !== 0 && /bad option|not allowed in NODE_OPTIONS|unknown option/i.test(run.stderr)) {
        t.skip(`this runtime has no --experimental-wasm-relaxed-simd: ${run.stderr.trim()}`);
        return;
      }
      assert.equal(run.status, 0, `relaxed suite failed:\n${run.stdout}\n${run.stderr}`);
      assert.match(run.stdout, /# pass [1-9]/);
      assert.match(run.stdout, /# fail 0/);
    });
  });

  describe('gemm: TypeScript reference', () => {
    it('is the backend before initEngine', () => assert.equal(engineInfo().backend, 'js'));
    suite();
  });

  describe('gemm: WebAssembly SIMD, one thread', () => {
    it('loads', async () => {
      const info = await initEngine({ threads: 1, relaxed: false });
      assert.deepEqual(info, { backend: 'wasm-simd', threads: 1 });
    });
    suite();
  });

  /**
   * Above PARALLEL_MIN_FLOPS, so they use the pool: packed path (M > 8) and small-M path, every mode;
   * the last one below it but with a B of PARALLEL_MIN_SMALL_B floats (a batch-1 feed-forward product).
   */
  const PARALLEL_CASES: Case[] = MODES.flatMap(([transA, transB]) => [
    { m: 130, k: 257, n: 61, transA, transB, alpha: 0.5, beta: 0.5 },
    { m: 70, k: 64, n: 333, transA, transB, alpha: 1, beta: 0 },
    { m: 3, k: 600, n: 700, transA, transB, alpha: 1, beta: 0.5 },
    { m: 1, k: 1024, n: 1100, transA, transB, alpha: 1, beta: 0 },
    { m: 1, k: 256, n: 1024, transA, transB, alpha: 1, beta: 1 },
  ]);

  describe('initEngine with module bytes from the caller (the browser path)', () => {
    after(() => shutdownEngine());
    it('runs unshared-memory bytes on one thread even when two are asked for', async () => {
      const simd = readFileSync(new URL('../../../build/gemm-simd.wasm', import.meta.url));
      assert.deepEqual(await initEngine({ threads: 2, wasm: { simd } }), { backend: 'wasm-simd', threads: 1 });
      check({ m: 20, k: 30, n: 40, transA: true, transB: false, alpha: 1, beta: 0.5 }, 500);
    });
    it('keeps the TypeScript reference when the bytes do not validate', async () => {
      const bad = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1]);
      assert.deepEqual(await initEngine({ threads: 1, wasm: { simd: bad } }), { backend: 'js', threads: 1 });
      check({ m: 3, k: 4, n: 5, transA: false, transB: false, alpha: 1, beta: 0 }, 501);
    });
    it('picks the relaxed-SIMD (FMA) build by default in Node, without a command-line flag', async () => {
      assert.ok(!process.execArgv.some((a) => a.includes('relaxed-simd')), 'this test must run without the flag');
      assert.deepEqual(await initEngine({ threads: 1 }), { backend: 'wasm-relaxed-simd', threads: 1 });
      check({ m: 33, k: 65, n: 47, transA: false, transB: true, alpha: 1, beta: 0.5 }, 502);
    });
    it('refuses relaxed: true when relaxed SIMD is unavailable', async () => {
      const simd = readFileSync(new URL('../../../build/gemm-simd.wasm', import.meta.url));
      await assert.rejects(initEngine({ threads: 1, relaxed: true, wasm: { simd } }), /relaxed SIMD was required/);
    });
  });

  describe('gemm: WebAssembly SIMD, two and four threads', () => {
    const single: Float32Array[] = [];
    after(() => shutdownEngine());

    it('computes one-thread results first', async () => {
      await initEngine({ threads: 1, relaxed: false });
      PARALLEL_CASES.forEach((cs, i) => single.push(check(cs, 300 + i)));
    });

    for (const threads of [2, 4]) {
      // 4: more workers than this machine may have cores (the pool must still finish every job).
      it(`gives bitwise the same results on ${threads} threads`, async () => {
        const info = await initEngine({ threads, relaxed: false });
        assert.deepEqual(info, { backend: 'wasm-simd', threads });
        PARALLEL_CASES.forEach((cs, i) => {
          const c = check(cs, 300 + i);
          assert.ok(c.every((v, j) => Object.is(v, single[i][j])), `${threads} threads differ from one on ${JSON.stringify(cs)}`);
        });
        assert.ok(enginePoolJobs() > 0, 'no job went through the worker pool');
      });
    }

    it('times a few-row product on the pool when its B is large (PARALLEL_MIN_SMALL_B), not when it is small', async () => {
      await initEngine({ threads: 2, relaxed: false });
      assert.ok(2 * 1 * 1024 * 256 < PARALLEL_MIN_FLOPS && 1024 * 256 >= PARALLEL_MIN_SMALL_B);
      const run = (n: number, k: number, seed: number): number => {
        const jobs0 = enginePoolJobs();
        // a new shape's first call goes to the pool (to time it) when the shape is timed at all
        check({ m: 1, k, n, transA: false, transB: seed % 2 === 1, alpha: 1, beta: 0 }, seed);
        return enginePoolJobs() - jobs0;
      };
      assert.ok(run(1024, 256, 700) > 0, 'a 1 x 256 x 1024 product did not go through the pool');
      assert.ok(run(1024, 256, 701) > 0, 'a transposed 1 x 256 x 1024 product did not go through the pool');
      assert.equal(run(768, 256, 702), 0, 'a 1 x 256 x 768 product (B below PARALLEL_MIN_SMALL_B) went through the pool');
      assert.equal(run(1000, 64, 703), 0, 'a 1 x 64 x 1000 product went through the pool');
    });

    suite();

    it('stays correct over hundreds of back-to-back pool jobs of different chunk counts', () => {
      // Many short jobs with changing chunk counts: the hand-off between jobs is where a late worker
      // could take a chunk of the next job (that race once hung a training run). Every shape has a timing
      // key of its own (M and K up to 64 are keyed exactly, N past 64 only by quarter-octave), and the
      // engine runs the first calls of a shape on the pool (to time it), so each call below goes through
      // the pool whatever the machine's load.
      const jobs0 = enginePoolJobs();
      const calls = 600;
      for (let i = 0; i < calls; i++) {
        const cs: Case = { m: 33 + (i % 32), k: 33 + (Math.floor(i / 32) % 32), n: 1024 + (i % 97), transA: false, transB: i % 2 === 1, alpha: 1, beta: 0 };
        if (i % 50 === 0) check(cs, 600 + i);
        else gemm({ m: cs.m, n: cs.n, k: cs.k, a: new Float32Array(cs.m * cs.k).fill(0.5), b: new Float32Array(cs.k * cs.n).fill(0.25), c: new Float32Array(cs.m * cs.n), transB: cs.transB });
      }
      assert.ok(enginePoolJobs() - jobs0 >= calls, `only ${enginePoolJobs() - jobs0} jobs went through the pool for ${calls} calls`);
    });

    it('falls back to the reference after shutdownEngine', async () => {
      await shutdownEngine();
      assert.deepEqual(engineInfo(), { backend: 'js', threads: 1 });
      check({ m: 9, k: 10, n: 11, transA: false, transB: true, alpha: 1, beta: 0 }, 400);
    });
  });
}

if (process.env.ATTNMT_GEMM_RELAXED === '1') relaxedSuites();
else mainSuites();
