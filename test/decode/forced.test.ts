import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeBatch, makeSourceBatch } from '../../src/data/batch.js';
import { forceDecode } from '../../src/decode/forced.js';
import { greedy } from '../../src/decode/greedy.js';
import { Rng } from '../../src/engine/random.js';
import { Seq2Seq } from '../../src/model/seq2seq.js';
import { tinyConfig } from '../model/helpers.js';

const sources = [[5, 6, 7], [8, 9], [4, 5, 6, 7, 8]];

test('forcing the tokens greedy chose gives back greedy\'s attention rows and its score', () => {
  const model = new Seq2Seq(tinyConfig(), 3);
  const hyps = greedy(model, makeSourceBatch(sources), { maxLen: 6 });
  const batch = makeBatch(hyps.map((h, i) => ({ src: sources[i] as number[], tgt: h.tokens })), hyps.map((_, i) => i));
  const forced = forceDecode(model, batch);
  hyps.forEach((h, r) => {
    const f = forced[r];
    assert.ok(f !== undefined);
    assert.equal(f.attention.length, h.tokens.length + 1); // every word, then EOS
    // Greedy's steps: every word, and the EOS step when it finished.
    assert.equal(h.attention.length, h.tokens.length + (h.finished ? 1 : 0));
    h.attention.forEach((row, t) => assert.deepEqual(Array.from(f.attention[t] ?? []), Array.from(row)));
    const score = f.logProbs.subarray(0, h.attention.length).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(score - h.score) < 1e-4, `forced ${score} vs greedy ${h.score}`);
  });
});

test('rows cover the real source length (EOS included) and sum to 1; the baseline gives none; padding rows are not reported', () => {
  const rng = new Rng(2);
  const pairs = [{ src: [5, 6], tgt: [4, 5, 6, 7] }, { src: [4, 5, 6, 7, 8, 9], tgt: [9] }];
  const batch = makeBatch(pairs, [0, 1]);
  const forced = forceDecode(new Seq2Seq(tinyConfig({ attention: 'general' }), rng.int(100)), batch);
  assert.deepEqual(forced.map((f) => f.attention.length), [5, 2]);
  assert.deepEqual(forced.map((f) => f.logProbs.length), [5, 2]);
  forced.forEach((f, i) => {
    for (const row of f.attention) {
      assert.equal(row.length, (pairs[i]?.src.length ?? 0) + 1);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
    }
    for (const lp of f.logProbs) assert.ok(lp <= 0 && Number.isFinite(lp));
  });
  const baseline = forceDecode(new Seq2Seq(tinyConfig({ attention: 'none' }), 1), batch);
  assert.deepEqual(baseline.map((f) => f.attention.length), [0, 0]);
});
