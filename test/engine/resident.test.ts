import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gemm, gemmReference, markResident, parametersChanged, withResidentParameters, type GemmArgs } from '../../src/engine/gemm.js';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { linear } from '../../src/engine/ops.js';
import { Adam, SGD } from '../../src/engine/optim.js';
import { Rng } from '../../src/engine/random.js';
import { Tape, Tensor, withTape } from '../../src/engine/tensor.js';

function random(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

/** Runs gemm on a fresh C and returns C. */
function product(args: Omit<GemmArgs, 'c'>, fn: (a: GemmArgs) => void = gemm): Float32Array {
  const c = new Float32Array(args.m * args.n);
  fn({ ...args, c });
  return c;
}

function assertClose(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length);
  for (let i = 0; i < got.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= 1e-4 * (1 + Math.abs(want[i])), `${what}: element ${i} is ${got[i]}, want ${want[i]}`);
  }
}

// m = 1 and 3 take the small-M path (streamed B when not resident), 40 the packed path.
const shapes = [
  { m: 1, n: 300, k: 70, transB: false },
  { m: 3, n: 130, k: 257, transB: true },
  { m: 40, n: 96, k: 64, transB: false },
  { m: 40, n: 48, k: 33, transB: true },
];

for (const threads of [1, 2, 4]) {
  describe(`resident B operands (${threads} thread${threads > 1 ? 's' : ''})`, () => {
    before(async () => {
      await initEngine({ threads });
    });
    after(async () => {
      await shutdownEngine();
    });

    for (const s of shapes) {
      const label = `m=${s.m} n=${s.n} k=${s.k}${s.transB ? ' transB' : ''}`;
      it(`follows a parameter written with parametersChanged(), ${label}`, () => {
        const rng = new Rng(7 + s.m);
        const a = random(s.m * s.k, rng);
        const b = random(s.k * s.n, rng);
        const args = { m: s.m, n: s.n, k: s.k, a, b, transB: s.transB, bResident: true };
        withResidentParameters(() => {
          assertClose(product(args), product(args, gemmReference), 'first call');
          assertClose(product(args), product(args, gemmReference), 'second call (resident copy)');
          for (let i = 0; i < b.length; i++) b[i] = rng.uniform(-1, 1);
          parametersChanged();
          assertClose(product(args), product(args, gemmReference), 'after the write');
        });
      });

      it(`keeps the resident copy across scopes until the generation moves, ${label}`, () => {
        const rng = new Rng(11 + s.m);
        const a = random(s.m * s.k, rng);
        const b = random(s.k * s.n, rng);
        const args = { m: s.m, n: s.n, k: s.k, a, b, transB: s.transB, bResident: true };
        const before = product(args, gemmReference);
        withResidentParameters(() => {
          product(args);
          b.fill(0.5);
          // Written without parametersChanged(): the copy is (by contract) still the old weights.
          assertClose(product(args), before, 'stale by contract');
        });
        // The next scope still reads the copy; parametersChanged() refreshes it.
        withResidentParameters(() => assertClose(product(args), before, 'next scope, no parametersChanged'));
        parametersChanged();
        withResidentParameters(() => assertClose(product(args), product(args, gemmReference), 'next scope'));
        // Outside a scope the flag is ignored: writes show at once.
        b.fill(-0.25);
        assertClose(product(args), product(args, gemmReference), 'outside a scope');
      });
    }

    it('uses the right part of a resident buffer with bOffset and ldb', () => {
      const rng = new Rng(3);
      const a = random(2 * 40, rng);
      const b = random(50 * 64, rng);
      const args = { m: 2, n: 30, k: 40, a, b, bOffset: 70, ldb: 64, bResident: true };
      withResidentParameters(() => {
        assertClose(product(args), product(args, gemmReference), 'offset');
        assertClose(product({ ...args, bOffset: 5 }), product({ ...args, bOffset: 5 }, gemmReference), 'other offset');
      });
    });

    for (const Opt of [Adam, SGD]) {
      it(`a marked parameter follows ${Opt.name} steps`, () => {
        const rng = new Rng(5);
        const w = new Tensor(random(64 * 200, rng), [64, 200], { requiresGrad: true });
        markResident(w.data);
        const x = new Tensor(random(2 * 64, rng), [2, 64], { requiresGrad: false });
        const opt = new Opt(new Map([['w', w]]), { lr: 0.1 });
        const tape = new Tape();
        for (let step = 0; step < 3; step++) {
          opt.zeroGrad();
          const y = withTape(tape, () => linear(x, w));
          const want = product({ m: 2, n: 200, k: 64, a: x.data, b: w.data }, gemmReference);
          assertClose(y.data, want, `step ${step}`);
          tape.backward(y);
          opt.step();
          tape.reset();
        }
      });
    }
  });
}
