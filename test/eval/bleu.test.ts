/** Hand-computed BLEU cases (expected values derived on paper from the definitions, not from the code). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bleuSignature,
  closestRefLength,
  computeBleu,
  corpusBleu,
  formatBleu,
  formatFixed,
  sentenceBleu,
  sentenceBleuScores,
} from '../../src/eval/bleu.js';

const near = (a: number, b: number, what = 'value'): void =>
  assert.ok(Math.abs(a - b) < 1e-9, `${what}: got ${a}, expected ${b}`);

test('identical hypothesis and reference: BLEU 100, all n-grams matched', () => {
  const r = corpusBleu(['the cat sat on the mat'], [['the cat sat on the mat']]);
  near(r.score, 100);
  assert.deepEqual(r.counts, [6, 5, 4, 3]);
  assert.deepEqual(r.totals, [6, 5, 4, 3]);
  assert.equal(r.bp, 1);
  assert.equal(r.signature, 'nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0');
});

// hyp "the the the the" vs ref "the cat": unigram matches clipped to 1 of 4, no higher-order match,
// sys_len 4 > ref_len 2 so BP = 1.
const hyp = ['the the the the'];
const ref = [['the cat']];

test('clipping and exp smoothing: precisions 25, 100/(2*3), 100/(4*2), 100/(8*1)', () => {
  const r = corpusBleu(hyp, ref, { tokenize: 'none' });
  assert.deepEqual(r.counts, [1, 0, 0, 0]);
  assert.deepEqual(r.totals, [4, 3, 2, 1]);
  near(r.precisions[1], 100 / 6);
  near(r.precisions[2], 12.5);
  near(r.precisions[3], 12.5);
  near(r.score, Math.pow(25 * (100 / 6) * 12.5 * 12.5, 1 / 4));
});

test('floor smoothing: a zero precision becomes 100 * 0.1 / total', () => {
  const r = corpusBleu(hyp, ref, { tokenize: 'none', smoothMethod: 'floor' });
  near(r.score, Math.pow(25 * (10 / 3) * 5 * 10, 1 / 4));
  assert.equal(r.signature, 'nrefs:1|case:mixed|eff:no|tok:none|smooth:floor[0.10]|version:2.6.0');
});

test('add-k smoothing adds k to orders 2..4 and reports the smoothed counts, as sacreBLEU', () => {
  const r = corpusBleu(hyp, ref, { tokenize: 'none', smoothMethod: 'add-k', smoothValue: 1 });
  assert.deepEqual(r.counts, [1, 1, 1, 1]);
  assert.deepEqual(r.totals, [4, 4, 3, 2]);
  near(r.score, Math.pow(25 * 25 * (100 / 3) * 50, 1 / 4));
  assert.equal(bleuSignature({ smoothMethod: 'add-k', smoothValue: 0.5 }, 1), 'nrefs:1|case:mixed|eff:no|tok:13a|smooth:add-k[0.50]|version:2.6.0');
});

test('no smoothing: one zero precision gives BLEU 0', () => {
  const r = corpusBleu(hyp, ref, { tokenize: 'none', smoothMethod: 'none' });
  assert.equal(r.precisions[0], 25);
  assert.equal(r.precisions[1], 0);
  assert.ok(r.score < 1e-300);
});

test('effective order averages only over orders the hypothesis has; brevity penalty exp(1 - 3/2)', () => {
  const eff = sentenceBleu('the cat', ['the cat sat'], { tokenize: 'none' });
  near(eff.bp, Math.exp(-0.5));
  near(eff.score, 100 * Math.exp(-0.5));
  assert.equal(eff.signature, 'nrefs:1|case:mixed|eff:yes|tok:none|smooth:exp|version:2.6.0');
  const plain = corpusBleu(['the cat'], [['the cat sat']], { tokenize: 'none' });
  assert.ok(plain.score < 1e-300, 'orders 3 and 4 have no n-gram: the plain score is 0');
  assert.equal(plain.totals[2], 0);
});

test('several references: counts clipped by the max count over references', () => {
  // "a a b" vs refs "a b" and "a a": unigrams 3/3, bigrams 2/2 ("a a" from one ref, "a b" from the other), trigrams 0/1.
  const r = sentenceBleu('a a b', ['a b', 'a a'], { tokenize: 'none' });
  assert.deepEqual(r.counts, [3, 2, 0, 0]);
  assert.deepEqual(r.totals, [3, 2, 1, 0]);
  assert.equal(r.refLen, 2);
  near(r.score, Math.cbrt(100 * 100 * 50));
  assert.equal(r.signature.split('|')[0], 'nrefs:2');
});

test('closest reference length, ties to the shorter one', () => {
  assert.equal(closestRefLength(4, [5, 3]), 3);
  assert.equal(closestRefLength(4, [3, 5]), 3);
  assert.equal(closestRefLength(4, [6, 5]), 5);
  assert.equal(closestRefLength(4, [9, 4, 1]), 4);
});

test('corpus statistics are sums over segments; an empty hypothesis contributes nothing', () => {
  const r = corpusBleu(['a b c d', ''], [['a b c d', 'x y']], { tokenize: 'none' });
  assert.deepEqual(r.counts, [4, 3, 2, 1]);
  assert.equal(r.sysLen, 4);
  assert.equal(r.refLen, 6);
  near(r.bp, Math.exp(1 - 6 / 4));
  near(r.score, 100 * Math.exp(1 - 6 / 4));
  const empty = sentenceBleu('', ['a b']);
  assert.equal(empty.score, 0);
  assert.equal(empty.bp, 0);
  assert.equal(empty.ratio, 0);
});

test('lowercase and tokenization happen before n-gram matching', () => {
  near(corpusBleu(['Hello, World!'], [['hello , world !']], { lowercase: true }).score, 100);
  assert.ok(corpusBleu(['Hello, World!'], [['hello , world !']]).score < 100);
});

test('empty references are dropped per segment; variable counts give nrefs:var; none at all is an error', () => {
  const r = corpusBleu(['a b c d', 'e f g h'], [['a b c d', 'e f g h'], ['', 'x']], { tokenize: 'none' });
  near(r.score, 100);
  assert.equal(r.signature.split('|')[0], 'nrefs:var');
  assert.throws(() => corpusBleu(['a'], [['']]), /segment 1: every reference is empty/);
  assert.throws(() => corpusBleu(['a', 'b'], [['a']]), /reference stream 1 has 1 segments, hypotheses have 2/);
});

test('sentence scores of a corpus match one-by-one sentence scores', () => {
  const hyps = ['a b c', 'x y'];
  const refs = [['a b d', 'x y']];
  const all = sentenceBleuScores(hyps, refs, { tokenize: 'none' });
  near(all[0].score, sentenceBleu('a b c', ['a b d'], { tokenize: 'none' }).score);
  near(all[1].score, 100);
});

test('computeBleu does not modify its input statistics', () => {
  const stats = { sysLen: 3, refLen: 3, correct: [3, 1, 0, 0], total: [3, 2, 1, 0] };
  computeBleu(stats, { smoothMethod: 'add-k' });
  assert.deepEqual(stats.correct, [3, 1, 0, 0]);
  assert.deepEqual(stats.total, [3, 2, 1, 0]);
});

test('formatFixed rounds exact ties half to even as Python does', () => {
  assert.equal(formatFixed(0.125, 2), '0.12');
  assert.equal(formatFixed(0.375, 2), '0.38');
  assert.equal(formatFixed(2.5, 0), '2');
  assert.equal(formatFixed(3.5, 0), '4');
  assert.equal(formatFixed(40.15, 1), '40.1'); // 40.15 is stored as 40.1499999...
  assert.equal(formatFixed(1, 3), '1.000');
});

test('text line as sacreBLEU prints it, with and without signature', () => {
  const score = {
    score: 34.12345,
    counts: [1, 1, 1, 1],
    totals: [1, 1, 1, 1],
    precisions: [65.2345, 40.149, 27.349, 19],
    bp: 1,
    sysLen: 76,
    refLen: 75,
    ratio: 76 / 75,
  };
  assert.equal(formatBleu(score), 'BLEU = 34.12 65.2/40.1/27.3/19.0 (BP = 1.000 ratio = 1.013 hyp_len = 76 ref_len = 75)');
  assert.equal(
    formatBleu(score, 'nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0'),
    'BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0 = 34.12 65.2/40.1/27.3/19.0 (BP = 1.000 ratio = 1.013 hyp_len = 76 ref_len = 75)',
  );
});

test('n-gram keys fall back to strings when base^order exceeds safe integers, with the same counts', () => {
  // "a b c d e f" vs "a b c x e f": unigrams 5/6; bigrams ab, bc, ef = 3/5; trigram abc = 1/4; nothing longer.
  // 7 distinct tokens: base 8, 8^6 is a safe integer, 8^20 is not.
  const short = corpusBleu(['a b c d e f'], [['a b c x e f']], { tokenize: 'none', maxNgramOrder: 6 });
  const long = corpusBleu(['a b c d e f'], [['a b c x e f']], { tokenize: 'none', maxNgramOrder: 20 });
  assert.deepEqual(short.counts, [5, 3, 1, 0, 0, 0]);
  assert.deepEqual(long.counts.slice(0, 7), [5, 3, 1, 0, 0, 0, 0]);
  assert.deepEqual(long.totals.slice(0, 7), [6, 5, 4, 3, 2, 1, 0]);
});
