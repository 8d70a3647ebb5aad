// Few-row products (M <= 8, op(B) = B) with a resident B read from its copy in the panel layout
// (asm/small.ts smallPanels): the same bits as the row-major small-M path (B not resident), on one
// thread and over the pool, plain and relaxed SIMD, for many shapes with odd sizes; close to the reference.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gemm, gemmReference, parametersChanged, withResidentParameters, type GemmArgs } from '../../src/engine/gemm.js';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { forcePoolChoice } from '../../src/engine/pool-choice.js';
import { Rng } from '../../src/engine/random.js';

function random(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

/** gemm on a copy of `c0` (or a fresh C), returned. */
function run(args: Omit<GemmArgs, 'c'>, c0: Float32Array | null, fn: (a: GemmArgs) => void = gemm): Float32Array {
  const c = c0 === null ? new Float32Array(args.m * args.n).fill(Number.NaN) : Float32Array.from(c0);
  fn({ ...args, c });
  return c;
}

function assertSameBits(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, what);
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  for (let i = 0; i < g.length; i++) {
    if (g[i] !== w[i]) assert.fail(`${what}: element ${i} is ${got[i]}, the row-major path gives ${want[i]}`);
  }
}

function assertClose(got: Float32Array, want: Float32Array, k: number, what: string): void {
  for (let i = 0; i < got.length; i++) {
    const tol = 2e-6 * k + 1e-6 * Math.abs(want[i] as number);
    assert.ok(Math.abs((got[i] as number) - (want[i] as number)) <= tol, `${what}: element ${i} is ${got[i]}, reference ${want[i]}`);
  }
}

const SIZES_N = [1, 3, 4, 5, 15, 16, 17, 31, 33, 100, 301];
const SIZES_K = [1, 3, 17, 64, 257];
const ROWS = [1, 2, 3, 5, 8];

for (const relaxed of [false, true]) {
  for (const threads of [1, 2, 4]) {
    describe(`few-row products over a resident B in panels (${relaxed ? 'relaxed' : 'plain'} SIMD, ${threads} thread${threads > 1 ? 's' : ''})`, () => {
      before(async () => {
        await initEngine({ threads, relaxed });
      });
      after(async () => {
        forcePoolChoice(null);
        await shutdownEngine();
      });

      for (const mode of threads > 1 ? (['pool', 'alone'] as const) : ([null] as const)) {
        it(`gives the row-major path's bits for every shape${mode === null ? '' : ` (${mode})`}`, () => {
          forcePoolChoice(mode);
          const rng = new Rng(17 + threads);
          let shapes = 0;
          for (const m of ROWS) {
            for (const k of SIZES_K) {
              for (const n of SIZES_N) {
                if ((m * 7 + k * 3 + n) % 3 !== 0 && n !== 301) continue; // a spread of the combinations
                shapes++;
                const a = random(m * k, rng);
                const b = random(k * n, rng);
                const bias = random(n, rng);
                const c0 = random(m * n, rng);
                const cases: Array<[string, Omit<GemmArgs, 'c'>, Float32Array | null]> = [
                  ['beta 0', { m, n, k, a, b }, null],
                  ['beta 1 with C', { m, n, k, a, b, beta: 1 }, c0],
                  ['bias', { m, n, k, a, b, beta: 1, bias }, null],
                  ['alpha 0.5, beta -2', { m, n, k, a, b, alpha: 0.5, beta: -2 }, c0],
                  ['transposed A', { m, n, k, a, b, transA: true }, null],
                  ['strided A', { m, n, k: Math.max(1, k - 1), a, b, lda: k }, null],
                ];
                for (const [what, args, c] of cases) {
                  const rowMajor = run(args, c);
                  const panels = withResidentParameters(() => {
                    run({ ...args, bResident: true }, c);
                    return run({ ...args, bResident: true }, c);
                  });
                  const label = `${m}x${args.k}x${n} ${what}`;
                  assertSameBits(panels, rowMajor, label);
                  assertClose(panels, run(args, c, gemmReference), args.k, label);
                }
              }
            }
          }
          assert.ok(shapes > 40, `${shapes} shapes`);
        });
      }

      it('lays the panels out again after parametersChanged(), and keeps them across scopes', () => {
        const rng = new Rng(5);
        const m = 1;
        const k = 70;
        const n = 133;
        const a = random(m * k, rng);
        const b = random(k * n, rng);
        const args = { m, n, k, a, b, bResident: true };
        const want = run({ m, n, k, a, b }, null);
        withResidentParameters(() => assertSameBits(run(args, null), want, 'first'));
        b.fill(0.25);
        // Written without parametersChanged(): by contract the copy still holds the old weights.
        withResidentParameters(() => assertSameBits(run(args, null), want, 'stale by contract'));
        parametersChanged();
        withResidentParameters(() => assertSameBits(run(args, null), run({ m, n, k, a, b }, null), 'after parametersChanged'));
      });

      it('serves one buffer used as two shapes (the panels hold the first, the other reads the rows)', () => {
        const rng = new Rng(9);
        const b = random(48 * 60, rng);
        const a = random(4 * 96, rng);
        withResidentParameters(() => {
          for (const [k, n] of [[48, 60], [96, 30], [48, 60], [60, 48]] as const) {
            const args = { m: 3, n, k, a, b };
            assertSameBits(run({ ...args, bResident: true }, null), run(args, null), `${k}x${n}`);
          }
          // An offset or a stride takes the row-major copy.
          const off = { m: 2, n: 20, k: 40, a, b, bOffset: 7, ldb: 60 };
          assertSameBits(run({ ...off, bResident: true }, null), run(off, null), 'offset and stride');
        });
      });
    });
  }
}
