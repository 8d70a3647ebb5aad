import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { translateTexts, type TranslateOptions } from '../../src/translate/translate.js';
import { openTranslator } from '../../src/translate/translator.js';
import { writeTinyCheckpoint } from '../helpers/tiny-checkpoint.js';

const t = openTranslator(new Uint8Array(fs.readFileSync(writeTinyCheckpoint())));
const greedy: TranslateOptions = { beam: 1, nbest: 1, alpha: 0, maxLenRatio: 2, batchSize: 2, replaceUnknowns: false };

test('blank lines stay blank: output i answers input i, nothing is decoded for an empty text', () => {
  const texts = ['the black cat', '', '   ', 'a small house'];
  const out = translateTexts(t, texts, greedy);
  assert.equal(out.length, 4);
  for (const i of [1, 2]) {
    assert.deepEqual(out[i]?.hypotheses, [{ text: '', targetTokens: [], score: 0, weights: [] }]);
    assert.deepEqual(out[i]?.sourceTokens, []);
  }
  assert.deepEqual(out[0], translateTexts(t, ['the black cat'], greedy)[0]);
  assert.deepEqual(out[3], translateTexts(t, ['a small house'], greedy)[0]);
  assert.notEqual(out[0]?.hypotheses[0]?.text, '');
});

test('results come back in input order whatever the batching, and list the unknown source words', () => {
  const texts = ['the white dog sees the cat', 'the zebra ate', 'i am hungry', 'a small house', 'the black cat ate the mouse'];
  const one = translateTexts(t, texts, { ...greedy, batchSize: 1 });
  assert.deepEqual(translateTexts(t, texts, { ...greedy, batchSize: 3 }), one);
  assert.deepEqual(one.map((r) => r.source), texts);
  assert.deepEqual(one[1]?.unknown, ['zebra']);
  assert.deepEqual(one[0]?.unknown, []);
  assert.deepEqual(one[1]?.sourceTokens, ['the', 'zebra', 'ate', '</s>']);
});

test('beam search returns nbest hypotheses best first; rows of the weights sum to 1', () => {
  const [r] = translateTexts(t, ['the black cat ate the mouse'], { ...greedy, beam: 4, nbest: 3, alpha: 0.6 });
  assert.ok(r !== undefined);
  assert.equal(r.hypotheses.length, 3);
  for (const h of r.hypotheses) {
    assert.equal(h.weights.length, h.targetTokens.length);
    for (const row of h.weights) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  }
});
