import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tape, Tensor, ShapeError, withTape, output } from '../../src/engine/tensor.js';

test('a tensor rejects data that does not fit its shape, naming both', () => {
  assert.throws(() => new Tensor(new Float32Array(5), [2, 3]), (e: unknown) => e instanceof ShapeError && /\[2, 3\]/.test(e.message));
});

test('tape arena reuses buffers after reset', () => {
  const tape = new Tape();
  const p = Tensor.zeros([4], { requiresGrad: true });
  const first = withTape(tape, () => output([4], [p]));
  assert.equal(first.requiresGrad, true);
  const buf = first.data;
  tape.reset();
  const second = withTape(tape, () => output([4], [p]));
  assert.equal(second.data, buf);
});

test('outputs of inputs without gradient do not require one', () => {
  const tape = new Tape();
  const x = Tensor.zeros([3]);
  assert.equal(withTape(tape, () => output([3], [x])).requiresGrad, false);
  const infer = new Tape({ record: false });
  const p = Tensor.zeros([3], { requiresGrad: true });
  assert.equal(withTape(infer, () => output([3], [p])).requiresGrad, false);
});
