import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add, crossEntropy, linear, outputCrossEntropy, scale } from '../../src/engine/ops.js';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { installedOutputCeKernel, OUTPUT_CE_MIN, setOutputCeKernel } from '../../src/engine/fused/output-ce.js';
import { Rng } from '../../src/engine/random.js';
import { ShapeError, Tape, Tensor, withTape } from '../../src/engine/tensor.js';
import { assertGrads, param } from './ops-helpers.js';

interface Case {
  h: Tensor;
  w: Tensor;
  bias: Tensor | undefined;
  targets: Int32Array;
  transposed: boolean;
  eps: number;
}

/** Random h (n, d), w, bias and targets in [0, v), every `ignoreEvery`-th row (from row 1) the ignored id 0. */
function makeCase(seed: number, n: number, d: number, v: number, opts: { transposed: boolean; bias: boolean; eps: number; ignoreEvery: number }): Case {
  const rng = new Rng(seed);
  const h = param(rng, [n, d]);
  const w = param(rng, opts.transposed ? [v, d] : [d, v], -0.5, 0.5);
  const bias = opts.bias ? param(rng, [v], -1, 1) : undefined;
  const targets = new Int32Array(n);
  for (let r = 0; r < n; r++) targets[r] = opts.ignoreEvery > 0 && r % opts.ignoreEvery === 1 ? 0 : 1 + Math.floor(rng.uniform(0, v - 1));
  return { h, w, bias, targets, transposed: opts.transposed, eps: opts.eps };
}

const fused = (c: Case) => outputCrossEntropy(c.h, c.w, c.bias, c.targets, { labelSmoothing: c.eps, ignoreIndex: 0, transposed: c.transposed });
const unfused = (c: Case) => crossEntropy(linear(c.h, c.w, c.bias, { transposed: c.transposed }), c.targets, { labelSmoothing: c.eps, ignoreIndex: 0 });

/** Loss, nll, count and the gradients of h, w and bias of `run` backpropagated from gs·loss. */
function lossAndGrads(c: Case, run: (c: Case) => ReturnType<typeof crossEntropy>, gs = 0.37) {
  const inputs = [c.h, c.w, ...(c.bias === undefined ? [] : [c.bias])];
  for (const t of inputs) t.ensureGrad().fill(0);
  const tape = new Tape();
  const r = withTape(tape, () => run(c));
  tape.backward(withTape(tape, () => scale(r.loss, gs)));
  const out = { loss: r.loss.data[0] as number, nll: r.nll, count: r.count, grads: inputs.map((t) => Float32Array.from(t.grad ?? [])) };
  tape.reset();
  return out;
}

/** |a - b| <= tol·max|b| elementwise (relative to the largest entry: column sums of G cancel). */
function assertNear(a: Float32Array, b: Float32Array, tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: lengths differ`);
  let big = 0;
  for (const x of b) big = Math.max(big, Math.abs(x));
  assert.ok(big > 0, `${what}: all zero`);
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs((a[i] as number) - (b[i] as number));
    assert.ok(err <= tol * big, `${what}[${i}]: ${a[i]} vs ${b[i]} (largest entry ${big})`);
  }
}

function assertSame(c: Case, tol: number): void {
  const f = lossAndGrads(c, fused);
  const u = lossAndGrads(c, unfused);
  assert.ok(Math.abs(f.loss - u.loss) <= tol * Math.abs(u.loss), `loss ${f.loss} vs ${u.loss}`);
  assert.ok(Math.abs(f.nll - u.nll) <= tol * Math.abs(u.nll), `nll ${f.nll} vs ${u.nll}`);
  assert.equal(f.count, u.count);
  ['h', 'w', 'bias'].slice(0, f.grads.length).forEach((name, k) => assertNear(f.grads[k] as Float32Array, u.grads[k] as Float32Array, tol, `d${name}`));
}

/** Runs `fn` on the WebAssembly engine with a pool of `threads`, counting the fused kernel's calls. */
async function onEngine(threads: number, fn: () => void): Promise<number> {
  await initEngine({ threads });
  try {
    const k = installedOutputCeKernel();
    assert.ok(k !== null, 'initEngine installs the fused kernel');
    let calls = 0;
    setOutputCeKernel((args) => (calls++, k(args)));
    fn();
    return calls;
  } finally {
    await shutdownEngine();
  }
}

const variants = [
  { transposed: false, bias: true, eps: 0, ignoreEvery: 0 },
  { transposed: false, bias: true, eps: 0.1, ignoreEvery: 3 },
  { transposed: true, bias: true, eps: 0.1, ignoreEvery: 4 },
  { transposed: true, bias: false, eps: 0, ignoreEvery: 2 },
  { transposed: false, bias: false, eps: 0.2, ignoreEvery: 5 },
];

test('without the engine outputCrossEntropy is linear then crossEntropy, and its gradients check', () => {
  variants.forEach((o, i) => {
    const c = makeCase(10 + i, 5, 4, 7, o);
    const f = lossAndGrads(c, fused);
    const u = lossAndGrads(c, unfused);
    assert.equal(f.loss, u.loss);
    f.grads.forEach((g, k) => assert.deepEqual(g, u.grads[k]));
    assertGrads(() => fused(c).loss, [c.h, c.w, ...(c.bias === undefined ? [] : [c.bias])]);
  });
});

test('on the engine (small cases, 4 threads): gradcheck, and loss and gradients of linear then crossEntropy', async () => {
  const v = Math.ceil(OUTPUT_CE_MIN / 9) + 3; // 9 rows: just above the size the kernel takes
  const calls = await onEngine(4, () => {
    variants.forEach((o, i) => {
      const c = makeCase(20 + i, 9, 7, v, o);
      assertSame(c, 1e-5);
      // Without a tape (no backward to come, nothing kept) the same loss.
      assert.equal(withTape(null, () => fused(c)).loss.data[0], lossAndGrads(c, fused, 1).loss);
      assertGrads(() => fused(c).loss, [c.h, c.w, ...(c.bias === undefined ? [] : [c.bias])], { maxPerInput: 40 });
    });
  });
  assert.ok(calls >= variants.length, `the fused kernel ran ${calls} times`);
});

test('on the engine (bigger cases over the pool): fused == unfused to 1e-5', async () => {
  const calls = await onEngine(4, () => {
    assertSame(makeCase(31, 611, 64, 2003, { transposed: true, bias: true, eps: 0.1, ignoreEvery: 7 }), 1e-5);
    assertSame(makeCase(32, 300, 96, 1500, { transposed: false, bias: true, eps: 0, ignoreEvery: 9 }), 1e-5);
  });
  assert.equal(calls, 2);
});

test('on one thread (no pool) the engine path agrees too', async () => {
  const calls = await onEngine(1, () => assertSame(makeCase(41, 120, 33, 517, { transposed: true, bias: true, eps: 0.1, ignoreEvery: 3 }), 1e-5));
  assert.equal(calls, 1);
});

test('two fused losses on one tape: the first backward computes its logits again', async () => {
  await onEngine(2, () => {
    const a = makeCase(51, 40, 16, 300, { transposed: false, bias: true, eps: 0.1, ignoreEvery: 4 });
    const b = { ...a, targets: a.targets.map((t, r) => (t === 0 ? 0 : 1 + ((t + r) % 299))), eps: 0 };
    const both = (f: typeof fused) => () => {
      const x = f(a);
      const y = f(b);
      return { loss: add(x.loss, y.loss), nll: x.nll + y.nll, count: x.count + y.count };
    };
    const f = lossAndGrads(a, both(fused));
    const u = lossAndGrads(a, both(unfused));
    assert.ok(Math.abs(f.loss - u.loss) <= 1e-5 * Math.abs(u.loss));
    f.grads.forEach((g, k) => assertNear(g, u.grads[k] as Float32Array, 1e-5, `grad ${k}`));
  });
});

test('a row with no finite logit takes the reference path (the same NaN loss)', async () => {
  await onEngine(2, () => {
    const c = makeCase(61, 20, 8, 400, { transposed: false, bias: true, eps: 0, ignoreEvery: 0 });
    c.h.data[3 * 8] = Infinity;
    const f = withTape(null, () => fused(c));
    const u = withTape(null, () => unfused(c));
    assert.ok(Number.isNaN(u.loss.data[0]), 'the reference loss is NaN');
    assert.ok(Number.isNaN(f.loss.data[0]));
  });
});

test('bad shapes and targets are rejected with the op named', () => {
  const c = makeCase(71, 4, 3, 6, { transposed: false, bias: true, eps: 0, ignoreEvery: 0 });
  assert.throws(() => outputCrossEntropy(c.h, c.w, c.bias, new Int32Array(3)), ShapeError);
  assert.throws(() => outputCrossEntropy(c.h, c.w, c.bias, c.targets, { transposed: true }), ShapeError);
  assert.throws(() => outputCrossEntropy(c.h, c.w, c.bias, new Int32Array([1, 2, 6, 1])), /outputCrossEntropy: target 6 in row 2 outside \[0, 6\)/);
  assert.throws(() => outputCrossEntropy(c.h, c.w, c.bias, c.targets, { labelSmoothing: 1 }), /labelSmoothing/);
});
