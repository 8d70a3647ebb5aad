import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/random.js';

test('same seed gives the same sequence, another seed another one', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const xs = Array.from({ length: 20 }, () => a.next());
  assert.deepEqual(Array.from({ length: 20 }, () => b.next()), xs);
  assert.notDeepEqual(Array.from({ length: 20 }, () => c.next()), xs);
  for (const x of xs) assert.ok(x >= 0 && x < 1);
});

test('saved state resumes the exact sequence, normal spare included', () => {
  const a = new Rng(7);
  a.normal();
  const state = a.getState();
  const rest = [a.normal(), a.next(), a.normal()];
  const b = new Rng(1);
  b.setState(state);
  assert.deepEqual([b.normal(), b.next(), b.normal()], rest);
});

test('uniform and normal have the expected moments', () => {
  const r = new Rng(3);
  let s = 0;
  let s2 = 0;
  const n = 20000;
  for (let i = 0; i < n; i++) {
    const x = r.normal();
    s += x;
    s2 += x * x;
  }
  assert.ok(Math.abs(s / n) < 0.03);
  assert.ok(Math.abs(s2 / n - 1) < 0.05);
  const counts = new Array(10).fill(0);
  for (let i = 0; i < n; i++) counts[r.int(10)]++;
  for (const c of counts) assert.ok(Math.abs(c - n / 10) < 200);
});

test('shuffle is a permutation', () => {
  const xs = Array.from({ length: 50 }, (_, i) => i);
  new Rng(5).shuffle(xs);
  assert.deepEqual([...xs].sort((p, q) => p - q), Array.from({ length: 50 }, (_, i) => i));
  assert.notDeepEqual(xs, Array.from({ length: 50 }, (_, i) => i));
});

test('setState rejects a malformed state', () => {
  assert.throws(() => new Rng(1).setState([1, 2, 3]), /4 unsigned 32-bit words/);
});

test('uniformArray is seeded and stays in its range', () => {
  const a = new Rng(9).uniformArray(1000, -2, 3);
  assert.deepEqual(Array.from(new Rng(9).uniformArray(1000, -2, 3)), Array.from(a));
  assert.ok(a.every((v) => v >= -2 && v < 3));
  assert.ok(Math.min(...a) < -1.9 && Math.max(...a) > 2.9);
});

test('dropoutMask draws what next() would: the same mask and the same stream afterwards', () => {
  for (const p of [0.1, 0.3, 0.5, 0.9]) {
    const a = new Rng(42);
    const b = new Rng(42);
    a.next();
    b.next();
    const mask = new Float32Array(1000);
    a.dropoutMask(mask, 1000, p, 2);
    for (let i = 0; i < 1000; i++) assert.equal(mask[i], b.next() < p ? 0 : 2, `p ${p}, element ${i}`);
    assert.deepEqual(a.getState(), b.getState());
    assert.equal(a.next(), b.next());
  }
});
