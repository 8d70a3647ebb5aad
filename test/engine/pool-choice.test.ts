import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withResidentParameters } from '../../src/engine/gemm.js';
import { forcePoolChoice, PoolChoice, shapeKey, sizeBucket } from '../../src/engine/pool-choice.js';

const shape = (m: number, n: number, k: number, transA = false, transB = false) =>
  ({ m, n, k, a: new Float32Array(0), b: new Float32Array(0), c: new Float32Array(0), transA, transB });

test('sizes up to 64 keep their own timing key, larger ones share quarter-octave buckets', () => {
  assert.equal(sizeBucket(1), '1');
  assert.equal(sizeBucket(64), '64');
  assert.notEqual(sizeBucket(63), sizeBucket(64));
  // 2^(11.5) = 2896: token-budget batches of 2,900 to 3,000 rows are one bucket.
  assert.equal(sizeBucket(2990), sizeBucket(3000));
  assert.equal(sizeBucket(2964), sizeBucket(3000));
  assert.notEqual(sizeBucket(2000), sizeBucket(3000));
  assert.notEqual(sizeBucket(256), sizeBucket(1024));
});

test('the weight gradients of batches a few rows apart share a key (K is the batch rows there)', () => {
  // dW (256 x 1024) += Xᵀ (256 x rows) · dY (rows x 1024), for three consecutive token-budget batches.
  const keys = new Set([2990, 2992, 3000].map((rows) => shapeKey(shape(256, 1024, rows, true))));
  assert.equal(keys.size, 1);
  // Transposition still tells shapes apart.
  assert.notEqual(shapeKey(shape(256, 1024, 3000, true)), shapeKey(shape(256, 1024, 3000)));
  assert.notEqual(shapeKey(shape(3000, 1024, 256)), shapeKey(shape(3000, 256, 1024)));
});

test('a product with a resident B (a parameter, not copied) is timed apart from the same shape with B copied', () => {
  const args = { ...shape(64, 768, 512), bResident: true };
  const copied = shapeKey(shape(64, 768, 512));
  // Outside a resident scope bResident is ignored: the call copies B, so it shares the copied key.
  assert.equal(shapeKey(args), copied);
  withResidentParameters(() => {
    assert.notEqual(shapeKey(args), copied);
    assert.equal(shapeKey(shape(64, 768, 512)), copied);
  });
});

test('forcePoolChoice runs every timed call the forced way, untimed, and gives the choice back with null', () => {
  const choice = new PoolChoice(4);
  try {
    forcePoolChoice('alone');
    assert.equal(choice.plan('a').threads, 1);
    assert.equal(choice.plan('').threads, 1);
    forcePoolChoice('pool');
    const call = choice.plan('a');
    assert.equal(call.threads, 4);
    assert.equal(call.timing, undefined);
    assert.equal(choice.plan('').threads, 1, 'calls too small to time stay alone');
  } finally {
    forcePoolChoice(null);
  }
  // Nothing was recorded while forced: a new shape is first timed on the pool.
  const first = choice.plan('a');
  assert.equal(first.threads, 4);
  assert.ok(first.timing !== undefined);
});
