import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UNK } from '../../src/data/vocab.js';
import { replaceUnknowns } from '../../src/decode/unk.js';

test('each <unk> becomes the source word with the highest attention weight at its step', () => {
  const hyp = {
    tokens: [5, UNK, 6, UNK],
    score: -1,
    normScore: -1,
    finished: true,
    attention: [
      Float32Array.of(0.7, 0.1, 0.1, 0.1),
      Float32Array.of(0.1, 0.1, 0.7, 0.1),
      Float32Array.of(0.2, 0.6, 0.1, 0.1),
      Float32Array.of(0.1, 0.3, 0.0, 0.6), // EOS column wins: not a word, the best real word is chosen
      Float32Array.of(0, 0, 0, 1),
    ],
  };
  const out = replaceUnknowns(hyp, ['Marie', 'aime', 'Zanzibar'], ['la', '<unk>', 'ville', '<unk>']);
  assert.deepEqual(out, ['la', 'Zanzibar', 'ville', 'aime']);
});

test('without attention (baseline) nothing is replaced; a length mismatch is an error', () => {
  const hyp = { tokens: [UNK], score: 0, normScore: 0, finished: true, attention: [] };
  assert.deepEqual(replaceUnknowns(hyp, ['a'], ['<unk>']), ['<unk>']);
  assert.throws(() => replaceUnknowns(hyp, ['a'], []), /1/);
});
