import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeBatch, makeSourceBatch } from '../../src/data/batch.js';
import { BOS, EOS, PAD } from '../../src/data/vocab.js';

test('makeBatch pads sources with EOS then PAD and shifts targets', () => {
  const b = makeBatch([{ src: [5, 6, 7], tgt: [8] }, { src: [9], tgt: [10, 11, 12] }], [4, 1]);
  assert.equal(b.size, 2);
  assert.equal(b.srcLen, 4);
  assert.equal(b.tgtLen, 4);
  assert.deepEqual([...b.src], [5, 6, 7, EOS, 9, EOS, PAD, PAD]);
  assert.deepEqual([...b.srcLengths], [4, 2]);
  assert.deepEqual([...b.tgtIn], [BOS, 8, PAD, PAD, BOS, 10, 11, 12]);
  assert.deepEqual([...b.tgtOut], [8, EOS, PAD, PAD, 10, 11, 12, EOS]);
  assert.deepEqual([...b.tgtLengths], [2, 4]);
  assert.equal(b.ntokens, 6);
  assert.deepEqual([...b.indices], [4, 1]);
  assert.throws(() => makeBatch([{ src: [1], tgt: [1] }], []), /1 pairs but 0 indices/);
});

test('makeSourceBatch has no target', () => {
  const b = makeSourceBatch([[4], [5, 6]]);
  assert.equal(b.srcLen, 3);
  assert.equal(b.tgtLen, 0);
  assert.deepEqual([...b.src], [4, EOS, PAD, 5, 6, EOS]);
  assert.deepEqual([...b.srcLengths], [2, 3]);
  assert.equal(b.tgtIn.length, 0);
  assert.equal(b.ntokens, 0);
  assert.deepEqual([...b.indices], [0, 1]);
});
