import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BOS, EOS, PAD, UNK, Vocab } from '../../src/data/vocab.js';

const sents = [['b', 'a', 'c'], ['a', 'b'], ['a', 'd', '<unk>']];

test('specials at fixed ids, then frequency desc and token asc', () => {
  const v = Vocab.build(sents);
  assert.deepEqual(v.tokens, ['<pad>', '<unk>', '<s>', '</s>', 'a', 'b', 'c', 'd']);
  assert.deepEqual([PAD, UNK, BOS, EOS], [0, 1, 2, 3]);
  assert.equal(v.size, 8);
  assert.equal(v.id('c'), 6);
  assert.equal(v.id('zzz'), UNK);
  assert.equal(v.token(EOS), '</s>');
  assert.deepEqual(v.encode(['a', 'nope', 'd']), [4, UNK, 7]);
  assert.deepEqual(v.decode([4, 5, EOS]), ['a', 'b', '</s>']);
  assert.throws(() => v.token(99), /out of range/);
});

test('minFreq and maxSize', () => {
  assert.deepEqual(Vocab.build(sents, { minFreq: 2 }).tokens.slice(4), ['a', 'b']);
  assert.deepEqual(Vocab.build(sents, { maxSize: 5 }).tokens.slice(4), ['a']);
});

test('JSON round trip and validation', () => {
  const v = Vocab.build(sents);
  const w = Vocab.fromJSON(JSON.parse(JSON.stringify(v.toJSON())));
  assert.deepEqual(w.tokens, v.tokens);
  assert.throws(() => Vocab.fromJSON({ tokens: ['<unk>', '<pad>', '<s>', '</s>'] }), /id 0 must be <pad>/);
  assert.throws(() => Vocab.fromJSON({ tokens: ['<pad>', '<unk>', '<s>', '</s>', 'x', 'x'] }), /duplicate/);
});
