import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FairScheduler, sentenceWork, splitIntoChunks, type Chunk } from '../../src/server/scheduler.js';

describe('splitIntoChunks', () => {
  test('groups sentences of similar cost within the budget, cheapest first; a costly sentence stands alone', () => {
    const chunks = splitIntoChunks([50, 10, 200, 30, 10, 60], 100);
    assert.deepEqual(chunks, [
      { indices: [1, 4, 3, 0], cost: 100 },
      { indices: [5], cost: 60 },
      { indices: [2], cost: 200 },
    ]);
  });

  test('every sentence lands in exactly one chunk', () => {
    const costs = Array.from({ length: 40 }, (_, i) => ((i * 37) % 23) + 1);
    const seen = splitIntoChunks(costs, 30).flatMap((c) => c.indices).sort((a, b) => a - b);
    assert.deepEqual(seen, costs.map((_, i) => i));
  });

  test('a budget must be positive', () => {
    assert.throws(() => splitIntoChunks([1], 0), /budget must be > 0/);
  });

  test('work is characters times beam', () => {
    assert.equal(sentenceWork('the cat', 4), 28);
  });
});

const chunk = (cost: number, ...indices: number[]): Chunk => ({ indices: indices.length > 0 ? indices : [0], cost });

describe('FairScheduler', () => {
  test('round-robin: a job added behind a big one gets the next free slot', () => {
    const s = new FairScheduler<string>([Infinity]);
    s.add('big', [chunk(10, 0), chunk(10, 1), chunk(10, 2), chunk(10, 3)]);
    assert.equal(s.next(0)?.job, 'big');
    s.add('small', [chunk(1)]);
    assert.equal(s.finish(0), false);
    assert.equal(s.next(0)?.job, 'small');
    assert.equal(s.finish(0), true, 'the small job is done after its only chunk');
    const order: string[] = [];
    for (let a = s.next(0); a !== null; a = s.next(0)) {
      order.push(a.job);
      s.finish(0);
    }
    assert.deepEqual(order, ['big', 'big', 'big']);
    assert.equal(s.size, 0);
  });

  test('three jobs take turns, one chunk each', () => {
    const s = new FairScheduler<string>([Infinity]);
    for (const j of ['a', 'b', 'c']) s.add(j, [chunk(5), chunk(5)]);
    const order: string[] = [];
    for (let a = s.next(0); a !== null; a = s.next(0)) {
      order.push(a.job);
      s.finish(0);
    }
    assert.deepEqual(order, ['a', 'b', 'c', 'a', 'b', 'c']);
  });

  test('a lane for short chunks never takes a long one; the general lane takes the costliest first', () => {
    const s = new FairScheduler<string>([Infinity, 100]);
    s.add('big', [chunk(500, 0), chunk(800, 1), chunk(40, 2)]);
    assert.equal(s.next(0)?.chunk.cost, 800);
    assert.equal(s.next(1)?.chunk.cost, 40, 'the short lane takes the chunk that fits');
    s.finish(1);
    assert.equal(s.next(1), null, 'the 500 chunk is too long for the short lane');
    s.add('small', [chunk(30)]);
    assert.equal(s.next(1)?.job, 'small');
    assert.deepEqual(s.idleLanes(), []);
  });

  test('remove drops pending chunks and reports the lanes still running the job', () => {
    const s = new FairScheduler<string>([Infinity, Infinity]);
    s.add('a', [chunk(1), chunk(1), chunk(1)]);
    s.next(0);
    s.next(1);
    assert.deepEqual(s.remove('a').sort(), [0, 1]);
    assert.equal(s.size, 0);
    assert.equal(s.finish(0), false, 'a removed job never completes');
    s.finish(1);
    assert.deepEqual(s.idleLanes(), [0, 1]);
    assert.equal(s.next(0), null);
    assert.deepEqual(s.remove('never added'), []);
  });

  test('a job that arrives late goes before jobs that already ran chunks', () => {
    const s = new FairScheduler<string>([Infinity]);
    s.add('a', [chunk(1), chunk(1), chunk(1)]);
    s.add('b', [chunk(1), chunk(1), chunk(1)]);
    const order: string[] = [];
    const step = (): void => {
      order.push(s.next(0)?.job ?? '-');
      s.finish(0);
    };
    step();
    step();
    step();
    s.add('c', [chunk(1), chunk(1)]);
    step();
    step();
    step();
    step();
    step();
    assert.deepEqual(order, ['a', 'b', 'a', 'c', 'b', 'c', 'a', 'b']);
  });

  test('removing jobs keeps the round-robin order', () => {
    const s = new FairScheduler<string>([Infinity]);
    for (const j of ['a', 'b', 'c']) s.add(j, [chunk(1), chunk(1)]);
    assert.equal(s.next(0)?.job, 'a');
    s.finish(0);
    s.remove('a');
    assert.equal(s.next(0)?.job, 'b');
    s.finish(0);
    assert.equal(s.next(0)?.job, 'c');
  });

  test('misuse is refused', () => {
    assert.throws(() => new FairScheduler<string>([]), /at least one lane/);
    assert.throws(() => new FairScheduler<string>([10]), /must take any chunk/);
    const s = new FairScheduler<string>([Infinity]);
    assert.throws(() => s.finish(0), /idle/);
    s.add('a', [chunk(1)]);
    assert.throws(() => s.add('a', [chunk(1)]), /twice/);
    assert.throws(() => s.add('b', []), /at least one chunk/);
    s.next(0);
    assert.throws(() => s.next(0), /busy/);
  });
});
