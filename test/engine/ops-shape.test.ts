import { test } from 'node:test';
import assert from 'node:assert/strict';
import { concat, embedding, reshape, slice, stack, sum, unstack } from '../../src/engine/ops.js';
import { Rng } from '../../src/engine/random.js';
import { ShapeError, Tape, Tensor, withTape } from '../../src/engine/tensor.js';
import { assertGrads, param } from './ops-helpers.js';

const shapeErr = (op: string, ...shapes: string[]) => (e: unknown): boolean =>
  e instanceof ShapeError && e.message.startsWith(op) && shapes.every((s) => e.message.includes(s));

test('embedding looks up rows into (...shape, E) and scatter-adds gradients only into used rows', () => {
  const w = Tensor.fromArray([0, 1, 10, 11, 20, 21, 30, 31], [4, 2], { requiresGrad: true });
  const ids = new Int32Array([2, 0, 2, 1]);
  const y = embedding(w, ids, [2, 2]);
  assert.deepEqual(y.shape, [2, 2, 2]);
  assert.deepEqual(y.toArray(), [20, 21, 0, 1, 20, 21, 10, 11]);
  const tape = new Tape();
  const loss = withTape(tape, () => sum(embedding(w, ids, [2, 2])));
  tape.backward(loss);
  assert.deepEqual(Array.from(w.grad as Float32Array), [1, 1, 1, 1, 2, 2, 0, 0]);
  const p = param(new Rng(1), [5, 3]);
  assertGrads(() => embedding(p, new Int32Array([4, 1, 1, 0, 3, 4]), [3, 2]), [p]);
  assert.throws(() => embedding(w, ids, [3, 2]), shapeErr('embedding', '[4]', '[3, 2]'));
  assert.throws(() => embedding(w, new Int32Array([4]), [1]), RangeError);
});

test('concat and slice on the last axis, with gradients', () => {
  const a = Tensor.fromArray([1, 2, 3, 4], [2, 2]);
  const b = Tensor.fromArray([5, 6], [2, 1]);
  const c = concat([a, b]);
  assert.deepEqual(c.shape, [2, 3]);
  assert.deepEqual(c.toArray(), [1, 2, 5, 3, 4, 6]);
  assert.deepEqual(slice(c, 1, 3).toArray(), [2, 5, 4, 6]);
  const rng = new Rng(2);
  const x = param(rng, [2, 3, 2]);
  const y = param(rng, [2, 3, 4]);
  assertGrads(() => concat([x, y, x]), [x, y]);
  assertGrads(() => slice(y, 1, 3), [y]);
  assert.throws(() => concat([a, Tensor.zeros([3, 1])]), shapeErr('concat', '[2, 2]', '[3, 1]'));
  assert.throws(() => slice(a, 1, 3), shapeErr('slice', '[2, 2]'));
});

test('stack T x (B, H) -> (B, T, H) and unstack back, with gradients', () => {
  const a = Tensor.fromArray([1, 2, 3, 4], [2, 2]);
  const b = Tensor.fromArray([5, 6, 7, 8], [2, 2]);
  const s = stack([a, b]);
  assert.deepEqual(s.shape, [2, 2, 2]);
  assert.deepEqual(s.toArray(), [1, 2, 5, 6, 3, 4, 7, 8]);
  const parts = unstack(s);
  assert.deepEqual(parts.map((p) => p.toArray()), [a.toArray(), b.toArray()]);
  const rng = new Rng(3);
  const x = param(rng, [2, 3]);
  const y = param(rng, [2, 3]);
  assertGrads(() => stack([x, y, x]), [x, y]);
  const z = param(rng, [2, 3, 2]);
  assertGrads(() => unstack(z), [z]);
  assertGrads(() => unstack(z)[1] as Tensor, [z]);
  assert.throws(() => stack([a, Tensor.zeros([2, 3])]), shapeErr('stack', '[2, 2]', '[2, 3]'));
  assert.throws(() => unstack(a), shapeErr('unstack', '[2, 2]'));
});

test('reshape keeps the elements, passes the gradient and rejects a size change', () => {
  const x = param(new Rng(4), [2, 3]);
  const y = reshape(x, [3, 2]);
  assert.deepEqual(y.shape, [3, 2]);
  assert.deepEqual(y.toArray(), x.toArray());
  assertGrads(() => reshape(x, [6]), [x]);
  assert.throws(() => reshape(x, [4]), shapeErr('reshape', '[2, 3]', '[4]'));
});
