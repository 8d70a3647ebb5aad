import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add, crossEntropy, logSoftmax, softmax } from '../../src/engine/ops.js';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { installedRowKernel, ROW_KERNEL_MIN, setRowKernel } from '../../src/engine/ops/vector.js';
import { Rng } from '../../src/engine/random.js';
import { ShapeError, Tape, Tensor, withTape } from '../../src/engine/tensor.js';
import { assertClose, assertGrads, param, valuesAndGrads } from './ops-helpers.js';

test('softmax rows sum to 1 and match exp(x)/Σexp(x), even for large logits', () => {
  const x = Tensor.fromArray([0, Math.log(2), 0, 1000, 1000, 1000], [2, 3]);
  const y = softmax(x);
  assertClose(y.data, [0.25, 0.5, 0.25, 1 / 3, 1 / 3, 1 / 3], 1e-6);
  assertClose(logSoftmax(x).data, [Math.log(0.25), Math.log(0.5), Math.log(0.25), -Math.log(3), -Math.log(3), -Math.log(3)], 1e-6);
});

test('masked softmax gives exactly 0 beyond each length and renormalizes the rest', () => {
  const x = Tensor.fromArray([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
  const y = softmax(x, { lengths: new Int32Array([2, 4]) });
  assert.equal(y.data[2], 0);
  assert.equal(y.data[3], 0);
  const e = 1 / (1 + Math.E);
  assertClose(y.data.subarray(0, 2), [e, 1 - e], 1e-6);
  const ly = logSoftmax(x, { lengths: new Int32Array([2, 4]) });
  assert.equal(ly.data[2], -Infinity);
  assert.equal(ly.data[3], -Infinity);
  assertClose(ly.data.subarray(0, 2), [Math.log(e), Math.log(1 - e)], 1e-6);
});

test('lengths with fewer entries than rows cover groups of consecutive rows ((B, T, S) with B lengths)', () => {
  const x = param(new Rng(1), [2, 3, 4]);
  const y = softmax(x, { lengths: new Int32Array([1, 3]) });
  for (let r = 0; r < 3; r++) assert.deepEqual(Array.from(y.data.subarray(r * 4, r * 4 + 4)), [1, 0, 0, 0]);
  for (let r = 3; r < 6; r++) assert.equal(y.data[r * 4 + 3], 0);
  assert.throws(() => softmax(x, { lengths: new Int32Array([1, 2, 3, 4]) }),
    (e: unknown) => e instanceof ShapeError && /^softmax/.test(e.message) && e.message.includes('[2, 3, 4]'));
  assert.throws(() => softmax(x, { lengths: new Int32Array([5, 1]) }), RangeError);
});

test('softmax and logSoftmax gradients pass finite differences, masked positions get zero gradient', () => {
  const rng = new Rng(2);
  const x = param(rng, [3, 4], -2, 2);
  const lengths = new Int32Array([4, 2, 3]);
  assertGrads(() => softmax(x), [x]);
  assertGrads(() => softmax(x, { lengths }), [x]);
  assertGrads(() => logSoftmax(x), [x]);
  assertGrads(() => logSoftmax(x, { lengths }), [x]);
  for (const op of [softmax, logSoftmax]) {
    x.ensureGrad().fill(0);
    const tape = new Tape();
    const y = withTape(tape, () => op(x, { lengths }));
    tape.backward(y); // seeds every output element's gradient with 1, masked ones included
    const g = x.grad as Float32Array;
    assert.deepEqual([g[6], g[7], g[11]], [0, 0, 0]);
  }
});

test('crossEntropy: hand-computed loss, nll, count and gradient with label smoothing and an ignored row', () => {
  // Row 0: p = [1/4, 1/2, 1/4], target 1. Row 1: target 0 = PAD, ignored.
  const logits = Tensor.fromArray([0, Math.log(2), 0, 5, -1, 2], [2, 3], { requiresGrad: true });
  const targets = new Int32Array([1, 0]);
  const plain = crossEntropy(logits, targets);
  assert.ok(Math.abs(plain.loss.item() - Math.LN2) < 1e-6);
  assert.ok(Math.abs(plain.nll - Math.LN2) < 1e-6);
  assert.equal(plain.count, 1);
  const tape = new Tape();
  const r = withTape(tape, () => crossEntropy(logits, targets, { labelSmoothing: 0.3 }));
  // q = [0.1, 0.8, 0.1]: loss = -(0.1 ln 1/4 + 0.8 ln 1/2 + 0.1 ln 1/4) = 1.2 ln 2; gradient p - q.
  assert.ok(Math.abs(r.loss.item() - 1.2 * Math.LN2) < 1e-6);
  assert.ok(Math.abs(r.nll - Math.LN2) < 1e-6);
  tape.backward(r.loss);
  assertClose(logits.grad as Float32Array, [0.15, -0.3, 0.15, 0, 0, 0], 1e-6, 'gradient');
});

test('crossEntropy writes a fresh arena gradient in full: an ignored row is 0 even where the arena held NaN', () => {
  const tape = new Tape();
  // Dirty the arena: buffers of the logits' size, filled with NaN and handed back to the pool.
  withTape(tape, () => {
    for (let i = 0; i < 5; i++) tape.take(6).fill(NaN);
  });
  tape.reset();
  const x = Tensor.fromArray([0, Math.log(2), 0, 5, -1, 2], [2, 3], { requiresGrad: true });
  const zero = Tensor.fromArray([0, 0, 0, 0, 0, 0], [2, 3]);
  const r = withTape(tape, () => crossEntropy(add(x, zero), new Int32Array([1, 0]), { labelSmoothing: 0.3 }));
  tape.backward(r.loss);
  assertClose(x.grad as Float32Array, [0.15, -0.3, 0.15, 0, 0, 0], 1e-6, 'gradient through an arena tensor');
  tape.reset();
});

test('crossEntropy gradients pass finite differences (smoothing, ignoreIndex) and loss is a sum over rows', () => {
  const rng = new Rng(3);
  const logits = param(rng, [4, 5], -2, 2);
  const targets = new Int32Array([2, 0, 4, 1]);
  assertGrads(() => crossEntropy(logits, targets).loss, [logits]);
  assertGrads(() => crossEntropy(logits, targets, { labelSmoothing: 0.1 }).loss, [logits]);
  assertGrads(() => crossEntropy(logits, targets, { labelSmoothing: 0.2, ignoreIndex: 4 }).loss, [logits]);
  const all = crossEntropy(logits, targets, { ignoreIndex: -1 });
  assert.equal(all.count, 4);
  const ls = logSoftmax(logits);
  let expected = 0;
  targets.forEach((t, r) => { expected -= ls.data[r * 5 + t] as number; });
  assert.ok(Math.abs(all.nll - expected) < 1e-5);
  assert.ok(Math.abs(all.loss.item() - expected) < 1e-5);
});

test('crossEntropy rejects mismatched shapes and out-of-range targets', () => {
  const logits = Tensor.zeros([2, 3]);
  assert.throws(() => crossEntropy(logits, new Int32Array([1, 1, 1])),
    (e: unknown) => e instanceof ShapeError && /^crossEntropy/.test(e.message) && e.message.includes('[2, 3]') && e.message.includes('[3]'));
  assert.throws(() => crossEntropy(logits, new Int32Array([1, 3])), RangeError);
});

test('the engine\'s bulk row kernel gives logSoftmax and crossEntropy bitwise the results of its per-row kernel', async () => {
  // 7 rows of an odd length above ROW_KERNEL_MIN (SIMD tails), label smoothing and an ignored row.
  const rows = 7;
  const d = ROW_KERNEL_MIN + 13;
  const x = param(new Rng(21), [rows, d], -8, 8);
  const targets = new Int32Array([5, 0, d - 1, 17, 3, 250, 1]);
  const runs = [
    () => [logSoftmax(x)],
    () => [crossEntropy(x, targets, { labelSmoothing: 0.1, ignoreIndex: 0 }).loss],
  ];
  await initEngine({ threads: 1 });
  try {
    const { row, bulk } = installedRowKernel();
    assert.ok(row !== null && bulk !== null, 'initEngine installs the row kernel and its bulk form');
    let bulkCalls = 0;
    setRowKernel(row, {
      exp: (...a) => (bulkCalls++, bulk.exp(...a)),
      logSoftmax: (...a) => (bulkCalls++, bulk.logSoftmax(...a)),
    });
    const withBulk = runs.map((run) => valuesAndGrads(run, [x]));
    assert.equal(bulkCalls, 2);
    setRowKernel(row, null);
    const perRow = runs.map((run) => valuesAndGrads(run, [x]));
    withBulk.forEach((r, i) => {
      const p = perRow[i] as typeof r;
      r.values.forEach((v, k) => assert.ok(v.every((e, j) => Object.is(e, p.values[k]?.[j])), `run ${i}: values differ`));
      r.grads.forEach((g, k) => assert.ok(g.every((e, j) => Object.is(e, p.grads[k]?.[j])), `run ${i}: gradients differ`));
    });
  } finally {
    await shutdownEngine();
  }
  assert.equal(installedRowKernel().bulk, null, 'shutdownEngine removes the kernels');
});
