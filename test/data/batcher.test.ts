import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/engine/random.js';
import { Batcher, evalBatches, planBatches } from '../../src/data/batcher.js';
import type { IdPair } from '../../src/data/batch.js';

function corpus(n: number, seed: number): IdPair[] {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => ({
    src: Array.from({ length: 1 + r.int(30) }, () => 4 + r.int(50)),
    tgt: Array.from({ length: 1 + r.int(30) }, () => 4 + r.int(50)),
  }));
}

test('every pair exactly once per epoch, sentence batches', () => {
  const pairs = corpus(257, 1);
  const b = new Batcher(pairs, { batchSize: 16, seed: 3 });
  for (let e = 0; e < 2; e++) {
    const seen = new Array<number>(pairs.length).fill(0);
    const n = b.batchesPerEpoch;
    assert.equal(n, Math.ceil(257 / 16));
    for (let i = 0; i < n; i++) {
      const batch = b.next();
      assert.ok(batch.size <= 16);
      for (const k of batch.indices) seen[k] = (seen[k] ?? 0) + 1;
      assert.equal(b.epoch, e);
    }
    assert.ok(seen.every((c) => c === 1));
    assert.ok(b.epochDone);
  }
});

test('token budget respected (padded B * max(S, T)) and length buckets are tight', () => {
  const pairs = corpus(300, 2);
  const b = new Batcher(pairs, { batchSize: 200, unit: 'tokens', seed: 1 });
  const seen = new Set<number>();
  let spread = 0;
  for (let i = 0; i < b.batchesPerEpoch; i++) {
    const batch = b.next();
    if (batch.size > 1) assert.ok(batch.size * Math.max(batch.srcLen, batch.tgtLen) <= 200);
    const lens = [...batch.srcLengths];
    spread = Math.max(spread, Math.max(...lens) - Math.min(...lens));
    for (const k of batch.indices) seen.add(k);
  }
  assert.equal(seen.size, 300);
  assert.ok(spread <= 3, `source lengths in a batch differ by ${spread}`);
  const long = [{ src: new Array<number>(50).fill(5), tgt: [5] }, { src: [5], tgt: [5] }];
  assert.deepEqual(planBatches(long, [0, 1], { batchSize: 10, unit: 'tokens' }), [[0], [1]]);
});

test('different epochs and seeds give different orders', () => {
  const pairs = corpus(100, 4);
  const a = new Batcher(pairs, { batchSize: 8, seed: 1 });
  const e0 = a.epochPlan();
  for (let i = 0; i < a.batchesPerEpoch; i++) a.next();
  a.next();
  assert.notDeepEqual(a.epochPlan(), e0);
  assert.notDeepEqual(new Batcher(pairs, { batchSize: 8, seed: 2 }).epochPlan(), e0);
  assert.deepEqual(new Batcher(pairs, { batchSize: 8, seed: 1 }).epochPlan(), e0);
});

test('resumes from a saved state (through JSON) to the same order', () => {
  const pairs = corpus(120, 5);
  const a = new Batcher(pairs, { batchSize: 10, seed: 9 });
  for (let i = 0; i < 17; i++) a.nextIndices();
  const saved = JSON.parse(JSON.stringify(a.state()));
  const expected = Array.from({ length: 30 }, () => a.nextIndices());
  const b = new Batcher(pairs, { batchSize: 10, seed: 12345 });
  b.setState(saved);
  assert.equal(b.epoch, 1);
  assert.equal(b.position, 5);
  assert.deepEqual(Array.from({ length: 30 }, () => b.nextIndices()), expected);
  assert.throws(() => b.setState({ epoch: 0, position: 99, rng: saved.rng }), /position 99/);
});

test('evalBatches keep corpus order, or sort by length with original indices', () => {
  const pairs = corpus(25, 6);
  const ordered = evalBatches(pairs, { batchSize: 4 });
  assert.deepEqual(ordered.flatMap((b) => [...b.indices]), Array.from({ length: 25 }, (_, i) => i));
  const sorted = evalBatches(pairs, { batchSize: 4, sortByLength: true });
  const idx = sorted.flatMap((b) => [...b.indices]);
  assert.deepEqual([...idx].sort((x, y) => x - y), Array.from({ length: 25 }, (_, i) => i));
  const lens = idx.map((i) => (pairs[i] as IdPair).src.length);
  assert.deepEqual(lens, [...lens].sort((x, y) => x - y));
  const first = sorted[0];
  assert.ok(first !== undefined);
  assert.equal(first.srcLengths[0], (pairs[first.indices[0] as number] as IdPair).src.length + 1);
});
