/** Hand-computed chrF / chrF++ cases (expected values derived on paper from the definitions). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chrfWords, computeChrf, corpusChrf, formatChrf, sentenceChrf, sentenceChrfScores } from '../../src/eval/chrf.js';

const near = (a: number, b: number, what = 'value'): void =>
  assert.ok(Math.abs(a - b) < 1e-9, `${what}: got ${a}, expected ${b}`);

test('identical strings score 100; the signature is sacreBLEU\'s', () => {
  const r = sentenceChrf('abc', ['abc']);
  near(r.score, 100);
  assert.equal(r.name, 'chrF2');
  assert.equal(r.signature, 'nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0');
});

test('"abc" vs "abd": orders 1..3 are effective, P = R = (2/3 + 1/2 + 0) / 3 = 7/18', () => {
  const r = sentenceChrf('abc', ['abd']);
  assert.deepEqual(r.stats.slice(0, 9), [3, 3, 2, 2, 2, 1, 1, 1, 0]);
  assert.deepEqual(r.stats.slice(9), [0, 0, 0, 0, 0, 0, 0, 0, 0]);
  near(r.score, (100 * 7) / 18);
});

test('eps smoothing: mean over all 6 orders of per-order F (2/3, 1/2, then ~0)', () => {
  const r = sentenceChrf('abc', ['abd'], { epsSmoothing: true });
  near(r.score, (100 * (2 / 3 + 1 / 2)) / 6, 'score');
  assert.equal(r.signature, 'nrefs:1|case:mixed|eff:no|nc:6|nw:0|space:no|version:2.6.0');
});

test('whitespace is removed by default and kept with whitespace: true', () => {
  near(sentenceChrf('a b', ['ab']).score, 100);
  // With spaces: order 1 P = 2/3, R = 1; order 2 P = R = 0; order 3 has no reference n-gram.
  // P = 1/3, R = 1/2, F2 = 5 * P * R / (4P + R) = 5/11.
  const r = sentenceChrf('a b', ['ab'], { whitespace: true });
  near(r.score, (100 * 5) / 11);
  assert.ok(r.signature.includes('space:yes'));
});

test('F-beta weighs recall: beta 2 with P = 1, R = 1/2 gives 5/9', () => {
  // charOrder 1: hyp "a" vs ref "ab": P = 1, R = 1/2; F2 = 5 * 1 * 0.5 / (4 + 0.5) = 5/9.
  near(sentenceChrf('a', ['ab'], { charOrder: 1 }).score, (100 * 5) / 9);
  near(computeChrf([1, 2, 1], { charOrder: 1 }), (100 * 5) / 9);
});

test('chrF++ word n-grams: punctuation split off word ends, then starts', () => {
  assert.deepEqual(chrfWords('Hello, (world) it\'s. . -x'), ['Hello', ',', '(world', ')', "it's", '.', '.', '-', 'x']);
  // charOrder 1 + words 1..2, hyp "a b" vs ref "a c": orders give 1/2, 1/2, 0 -> P = R = 1/3.
  const r = sentenceChrf('a b', ['a c'], { charOrder: 1, wordOrder: 2 });
  assert.equal(r.name, 'chrF2++');
  near(r.score, 100 / 3);
  assert.ok(r.signature.includes('nc:1|nw:2'));
});

test('corpus chrF sums statistics over segments (not the mean of sentence scores)', () => {
  // seg1 "ab"/"ab": (2,2,2), (1,1,1); seg2 "cde"/"xy": (3,2,0), (2,1,0), order 3 has no reference n-gram.
  // Sums: P1 = 2/5, R1 = 1/2; P2 = 1/3, R2 = 1/2; P = 11/30, R = 1/2; F2 = 330/708.
  const r = corpusChrf(['ab', 'cde'], [['ab', 'xy']]);
  near(r.score, (100 * 330) / 708);
  const sentences = sentenceChrfScores(['ab', 'cde'], [['ab', 'xy']]);
  near(sentences[0].score, 100);
  near(sentences[1].score, 0);
});

test('several references: the best-scoring reference gives the statistics', () => {
  const r = sentenceChrf('abc', ['xyz', 'abc']);
  near(r.score, 100);
  assert.ok(r.signature.startsWith('nrefs:2|'));
  near(sentenceChrf('ABC', ['abc'], { lowercase: true }).score, 100);
});

test('empty hypothesis scores 0; text line as sacreBLEU prints it', () => {
  assert.equal(sentenceChrf('', ['abc']).score, 0);
  assert.equal(formatChrf({ name: 'chrF2', score: 55.2345 }), 'chrF2 = 55.23');
  assert.equal(
    formatChrf({ name: 'chrF2++', score: 55.2345 }, 'nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.6.0'),
    'chrF2++|nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.6.0 = 55.23',
  );
});

test('characters are code points: an emoji is one character', () => {
  // "😀a" vs "😀b": order 1 P = R = 1/2, order 2 P = R = 0 -> average 1/4.
  near(sentenceChrf('😀a', ['😀b']).score, 25);
});

test('segments with many distinct characters (string n-gram keys) score correctly', () => {
  // 500 distinct characters against the same characters reversed: order 1 matches all, orders 2..6 match none.
  const chars = Array.from({ length: 500 }, (_, i) => String.fromCharCode(0x4e00 + i));
  near(sentenceChrf(chars.join(''), [[...chars].reverse().join('')]).score, 100 / 6);
});
