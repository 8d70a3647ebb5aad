import { test } from 'node:test';
import assert from 'node:assert/strict';
import { capacityClass, Tape, Tensor, ShapeError, withTape, output } from '../../src/engine/tensor.js';

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

test('large buffers of nearby sizes share a capacity class, so batches of other lengths reuse them', () => {
  assert.equal(capacityClass(100), 100);
  assert.equal(capacityClass(4096), 4096);
  assert.equal(capacityClass(4097), 5120); // steps of 1024 between 4096 and 8192
  assert.equal(capacityClass(8191), 8192);
  assert.equal(capacityClass(1_280 * 12_000), 16_777_216); // steps of 2^21 between 2^23 and 2^24
  for (const n of [4097, 5000, 77_777, 15_360_000]) {
    const c = capacityClass(n);
    assert.ok(c >= n && c <= n * 1.25 + 1, `${n} -> ${c}`);
    assert.equal(capacityClass(c), c, 'a class is its own class');
  }
  const tape = new Tape();
  const p = Tensor.zeros([1], { requiresGrad: true });
  // 64 sentences x 14 target tokens x 120 words, then 13 tokens x 125 words: both in the class of 114,688 floats.
  const first = withTape(tape, () => output([64, 14, 120], [p]));
  const backing = first.data.buffer;
  assert.equal(capacityClass(64 * 14 * 120), capacityClass(64 * 13 * 125));
  tape.reset();
  const second = withTape(tape, () => output([64, 13, 125], [p]));
  assert.equal(second.data.length, 104_000);
  assert.ok(second.data.buffer === backing, 'the same buffer is reused for a nearby size');
  tape.reset();
  const third = withTape(tape, () => output([64, 14, 120], [p]));
  assert.equal(third.data.length, 107_520);
  assert.ok(third.data.buffer === backing);
});

test('outputs of inputs without gradient do not require one', () => {
  const tape = new Tape();
  const x = Tensor.zeros([3]);
  assert.equal(withTape(tape, () => output([3], [x])).requiresGrad, false);
  const infer = new Tape({ record: false });
  const p = Tensor.zeros([3], { requiresGrad: true });
  assert.equal(withTape(infer, () => output([3], [p])).requiresGrad, false);
});
