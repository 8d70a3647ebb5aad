import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { batchItem, gemmBatched, gemmBatchedReference, type BatchedGemmArgs } from '../../src/engine/batched.js';
import { engineInfo, initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { Rng } from '../../src/engine/random.js';

interface Case {
  outer: number;
  inner: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  alpha?: number;
  beta?: number;
  /** How the items lie: 'heads' interleaves them along the rows of one (outer, rows, inner·cols) tensor (attention);
   * 'packed' puts item after item; 'gaps' leaves unused room between outer items (a cache with spare capacity)
   * and between rows (large strides: copied item by item); 'cache' interleaves heads like 'heads' with spare
   * rows after each outer item (a key/value cache: copied one outer item at a time). */
  layout: 'heads' | 'packed' | 'cache' | 'gaps';
}

/** Row strides, offsets and item strides of one operand stored rows x cols per item. */
function place(rows: number, cols: number, c: Case, off: number): { ld: number; stride: [number, number]; size: number; off: number } {
  if (c.layout === 'heads') {
    const ld = cols * c.inner;
    return { ld, stride: [rows * ld, cols], size: off + c.outer * rows * ld, off };
  }
  if (c.layout === 'cache') {
    const ld = cols * c.inner;
    return { ld, stride: [(rows + 8) * ld, cols], size: off + c.outer * (rows + 8) * ld, off };
  }
  if (c.layout === 'packed') return { ld: cols, stride: [c.inner * rows * cols, rows * cols], size: off + c.outer * c.inner * rows * cols, off };
  const ld = cols + 40;
  const item = rows * ld + 7;
  const outerStride = c.inner * item + 3 * item;
  return { ld, stride: [outerStride, item], size: off + c.outer * outerStride, off };
}

function build(c: Case, seed: number): BatchedGemmArgs {
  const rng = new Rng(seed);
  const a = place(c.transA ? c.k : c.m, c.transA ? c.m : c.k, c, 3);
  const b = place(c.transB ? c.n : c.k, c.transB ? c.k : c.n, c, 5);
  const cc = place(c.m, c.n, c, 2);
  const fill = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
  const cBuf = fill(cc.size);
  if ((c.beta ?? 0) === 0) cBuf.fill(NaN); // beta = 0 must ignore C (NaN included)... and leave its gaps alone
  return {
    outer: c.outer, inner: c.inner, m: c.m, n: c.n, k: c.k, transA: c.transA, transB: c.transB, alpha: c.alpha, beta: c.beta,
    a: fill(a.size), lda: a.ld, aOffset: a.off, aStride: a.stride,
    b: fill(b.size), ldb: b.ld, bOffset: b.off, bStride: b.stride,
    c: cBuf, ldc: cc.ld, cOffset: cc.off, cStride: cc.stride,
  };
}

/** Float64 expected values of every element of C (gaps keep their old values). */
function expected(args: BatchedGemmArgs): Float64Array {
  const want = Float64Array.from(args.c);
  for (let o = 0; o < args.outer; o++) {
    for (let h = 0; h < args.inner; h++) {
      const g = batchItem(args, o, h);
      const lda = g.lda as number;
      const ldb = g.ldb as number;
      const ldc = g.ldc as number;
      for (let i = 0; i < g.m; i++) {
        for (let j = 0; j < g.n; j++) {
          let s = 0;
          for (let p = 0; p < g.k; p++) {
            const av = g.transA ? args.a[(g.aOffset as number) + p * lda + i] : args.a[(g.aOffset as number) + i * lda + p];
            const bv = g.transB ? args.b[(g.bOffset as number) + j * ldb + p] : args.b[(g.bOffset as number) + p * ldb + j];
            s += (av as number) * (bv as number);
          }
          const at = (g.cOffset as number) + i * ldc + j;
          const old = (g.beta ?? 0) === 0 ? 0 : (args.c[at] as number);
          want[at] = (g.alpha ?? 1) * s + (g.beta ?? 0) * old;
        }
      }
    }
  }
  return want;
}

function check(c: Case, seed: number): Float32Array {
  const args = build(c, seed);
  const want = expected(args);
  gemmBatched(args);
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as number;
    const got = args.c[i] as number;
    if (Number.isNaN(w)) assert.ok(Number.isNaN(got), `element ${i} outside every item changed (${JSON.stringify(c)})`);
    else assert.ok(Math.abs(got - w) <= 2e-5 * (c.k + 1), `C[${i}] = ${got}, want ${w} (${JSON.stringify(c)})`);
  }
  return args.c;
}

const MODES: Array<[boolean, boolean]> = [[false, false], [false, true], [true, false], [true, true]];
const SHAPES: Array<[number, number, number, number, number]> = [
  // outer, inner, m, n, k
  [1, 1, 1, 1, 1],
  [2, 3, 5, 7, 4],
  [3, 4, 15, 15, 16], // scores of 4 heads of dHead 16
  [2, 4, 15, 16, 15], // contexts
  [2, 2, 1, 9, 8], // one decoder step against 9 cached keys
  [1, 2, 33, 20, 37],
];

function suite(): void {
  it('matches a float64 reference for every transposition and layout', () => {
    let seed = 1;
    for (const layout of ['heads', 'packed', 'cache', 'gaps'] as const) {
      for (const [outer, inner, m, n, k] of SHAPES) {
        for (const [transA, transB] of MODES) check({ outer, inner, m, n, k, transA, transB, layout }, seed++);
      }
    }
  });

  it('applies alpha and beta (beta = 0 ignores NaN in C; gaps between items stay untouched)', () => {
    let seed = 500;
    for (const layout of ['heads', 'packed', 'cache', 'gaps'] as const) {
      for (const [transA, transB] of MODES) {
        check({ outer: 3, inner: 2, m: 6, n: 10, k: 9, transA, transB, alpha: -0.5, beta: 0.75, layout }, seed++);
        check({ outer: 3, inner: 2, m: 6, n: 10, k: 9, transA, transB, alpha: 2, beta: 0, layout }, seed++);
      }
    }
  });

  it('gives the reference results exactly where both sum in the same order (k = 1)', () => {
    const args = build({ outer: 4, inner: 3, m: 7, n: 5, k: 1, transA: false, transB: false, layout: 'heads' }, 9);
    const ref = { ...args, c: args.c.slice() };
    gemmBatched(args);
    gemmBatchedReference(ref);
    assert.deepEqual(Array.from(args.c), Array.from(ref.c));
  });

  it('rejects operands too short for their items, naming the operand', () => {
    const args = build({ outer: 2, inner: 2, m: 3, n: 3, k: 3, transA: false, transB: false, layout: 'packed' }, 3);
    assert.throws(() => gemmBatched({ ...args, b: args.b.subarray(0, args.b.length - 1) }), /gemmBatched: B needs \d+ elements/);
    assert.throws(() => gemmBatched({ ...args, outer: -1 }), /whole numbers/);
  });
}

describe('gemmBatched: TypeScript reference', () => {
  it('is the path before initEngine', () => assert.equal(engineInfo().backend, 'js'));
  suite();
});

describe('gemmBatched: WebAssembly, one thread', () => {
  before(async () => {
    await initEngine({ threads: 1 });
  });
  after(() => shutdownEngine());
  suite();
});

for (const threads of [2, 4]) {
  describe(`gemmBatched: WebAssembly, ${threads} threads (pool and one-thread runs give the same bits)`, () => {
    before(async () => {
      await initEngine({ threads });
    });
    after(() => shutdownEngine());
    suite();
    it('gives the same results on every call whichever thread count the engine picks', () => {
      // Large enough for the pool (the engine times both ways on the first calls of a shape).
      const c: Case = { outer: 64, inner: 4, m: 15, n: 15, k: 64, transA: false, transB: true, layout: 'heads' };
      const first = check(c, 77);
      for (let r = 0; r < 8; r++) assert.deepEqual(Array.from(check(c, 77)), Array.from(first));
    });
  });
}
