/**
 * Scoring models: alignment error rates of trained and untrained models on held-out seed pairs (a BPE
 * model's subword attention merged into words), the gold-token check, and the by-length chart.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateSeedCorpus, type SeedPair } from '../../src/data/seed-corpus.js';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { AlignmentError } from '../../src/eval/alignment.js';
import { byLengthChart, checkGoldTokens, evaluateModel, goldOf, scoreAlignments, wordAttentionOf, type ModelEval } from '../../src/eval/evaluate.js';
import type { BucketScore } from '../../src/eval/scores.js';
import { configWithDefaults } from '../../src/train/config.js';
import { train } from '../../src/train/trainer.js';
import { openTranslator } from '../../src/translate/open.js';
import type { Translator } from '../../src/translate/translator.js';
import { tempDir } from '../helpers/tmp.js';

const row = (bucket: string, sentences: number, bleu: number): BucketScore => ({ bucket, sentences, bleu, chrf: bleu + 10, exact: 0 });

test('byLengthChart: an SVG with one named line per model', () => {
  const e = (name: string, rows: BucketScore[]): ModelEval => ({
    name, model: `${name}.safetensors`, attention: 'additive', parameters: 1, beam: 1,
    total: { sentences: 1, bleu: 1, chrf: 1, exact: 0 }, byLength: rows, seconds: 0, hypotheses: [],
  });
  const svg = byLengthChart([e('attention', [row('1-5', 1, 40), row('6-10', 1, 35)]), e('baseline', [row('1-5', 1, 30)])], 'Study');
  assert.match(svg, /^<svg/);
  assert.match(svg, />attention</);
  assert.match(svg, />baseline</);
  assert.match(svg, />Study</);
  // Other buckets: their labels on the x axis, a marker where a model has a score.
  const other = byLengthChart([e('attention', [row('1-8', 1, 40), row('20+', 1, 35)])], 'Captions', ['1-8', '9-19', '20+']);
  for (const b of ['1-8', '9-19', '20+']) assert.ok(other.includes(`>${b}</text>`), b);
  assert.ok(!other.includes('>1-5</text>'));
  assert.deepEqual([...other.matchAll(/data-bucket="([^"]+)"/g)].map((m) => m[1]), ['1-8', '20+']);
});

test('checkGoldTokens: a model whose tokens are not the gold words is refused, naming the pair', () => {
  const words = [{ sourceWords: ['the', 'cat'], targetWords: ['le', 'ch@@', 'at'], weights: [[1, 0], [0, 1], [0, 1]] }];
  assert.throws(() => checkGoldTokens(words, [{ src: 'the cat', tgt: 'le chat' }]), (e: unknown) => e instanceof AlignmentError && /pair 1: the model has 2 source \/ 3 target tokens, the gold alignment's words are 2 \/ 2/.test(e.message));
  assert.doesNotThrow(() => checkGoldTokens(words.map((w) => ({ ...w, targetWords: ['le', 'chat'] })), [{ src: 'the cat', tgt: 'le chat' }]));
});

// Small models trained for a fixed number of steps on short seed sentences (a few seconds).
let dir = '';
let trained: Translator;
let untrained: Translator;
let held: SeedPair[] = [];

function tinyConfig(outDir: string, steps: number, attention: 'additive' | 'none' = 'additive', bpeMerges = 0) {
  const tokens = bpeMerges > 0 ? { tokenizer: 'bpe' as const, bpeMerges, joint: true } : {};
  return configWithDefaults({
    data: { train: path.join(dir, 'train.tsv'), lowercase: true, maxLen: 30, ...tokens },
    model: { rnn: 'gru', bidirectional: true, embedding: 24, hidden: 48, attention, attentionHidden: 24 },
    training: { batchSize: 32, lr: 5e-3, dropout: 0, labelSmoothing: 0, maxSteps: steps, maxEpochs: 0, validEvery: steps, earlyStopping: { patience: 0 }, seed: 1, threads: 1, outDir, keepBest: false },
    decoding: { beam: 1 },
  });
}

before(async () => {
  dir = tempDir('evaluate');
  const pairs = generateSeedCorpus({ size: 1600, seed: 3, maxWords: 7 });
  held = pairs.slice(1500);
  fs.writeFileSync(path.join(dir, 'train.tsv'), pairs.slice(0, 1500).map((p) => `${p.src}\t${p.tgt}\n`).join(''));
  // The WebAssembly engine users train on; a failed load fails the test (npm test builds it).
  assert.notEqual((await initEngine({ threads: 1 })).backend, 'js');
  await train({ config: tinyConfig(path.join(dir, 'trained'), 300), log: () => {}, progress: false });
  await train({ config: tinyConfig(path.join(dir, 'untrained'), 1), log: () => {}, progress: false });
  await train({ config: tinyConfig(path.join(dir, 'baseline'), 1, 'none'), log: () => {}, progress: false });
  // Few merges, so many words are split into several pieces.
  await train({ config: tinyConfig(path.join(dir, 'bpe'), 300, 'additive', 40), log: () => {}, progress: false });
  trained = openTranslator(path.join(dir, 'trained', 'last.safetensors'));
  untrained = openTranslator(path.join(dir, 'untrained', 'last.safetensors'));
});

after(async () => {
  await shutdownEngine();
});

test('a trained model aligns held-out seed pairs better than an untrained one (AER)', () => {
  const gold = goldOf(held);
  const [t2s, grow] = scoreAlignments(trained, held, gold, ['t2s', 'grow-diag']);
  const [t2sUntrained] = scoreAlignments(untrained, held, gold, ['t2s']);
  assert.ok(t2s !== undefined && grow !== undefined && t2sUntrained !== undefined);
  assert.equal(t2s.pairs, held.length);
  assert.ok(t2s.aer < t2sUntrained.aer - 0.15, `trained AER ${t2s.aer} vs untrained ${t2sUntrained.aer}`);
  assert.ok(t2s.aer < 0.5, `trained AER ${t2s.aer}`);
  assert.ok(grow.aer >= 0 && grow.aer <= 1);
});

test('a BPE model aligns words: its subword attention is merged into the gold alignment\'s words', () => {
  const bpe = openTranslator(path.join(dir, 'bpe', 'last.safetensors'));
  const pieces = held.map((p) => bpe.codec.source(p.src));
  assert.ok(pieces.some((ps, i) => ps.length > (held[i]?.src.split(' ').length ?? 0)), 'no source word was split into pieces');
  const words = wordAttentionOf(bpe, held);
  words.forEach((w, i) => {
    assert.deepEqual(w.sourceWords, held[i]?.src.toLowerCase().split(' '));
    assert.equal(w.weights.length, w.targetWords.length);
    for (const r of w.weights) {
      assert.equal(r.length, w.sourceWords.length);
      // The EOS column was dropped, so a row sums to at most 1.
      const sum = r.reduce((a, b) => a + b, 0);
      assert.ok(sum > 0.5 && sum <= 1 + 1e-5, `row sums to ${sum}`);
    }
  });
  const gold = goldOf(held);
  const [t2s] = scoreAlignments(bpe, held, gold, ['t2s']);
  const [t2sUntrained] = scoreAlignments(untrained, held, gold, ['t2s']);
  assert.ok(t2s !== undefined && t2sUntrained !== undefined);
  assert.ok(t2s.aer < t2sUntrained.aer - 0.15, `BPE model AER ${t2s.aer} vs untrained word model ${t2sUntrained.aer}`);
});

test('the fixed-context baseline cannot be aligned: the error says it has no attention', () => {
  const baseline = openTranslator(path.join(dir, 'baseline', 'last.safetensors'));
  assert.throws(() => scoreAlignments(baseline, held, goldOf(held)), (e: unknown) => e instanceof AlignmentError && /has no attention/.test(e.message));
});

test('evaluateModel scores the translations the translator gives with its own settings, bucketed by the given lengths', () => {
  const sources = held.slice(0, 30).map((p) => p.src);
  const references = held.slice(0, 30).map((p) => [p.tgt]);
  const lengths = sources.map((s) => s.split(' ').length);
  const e = evaluateModel('trained', trained, sources, references, lengths);
  assert.deepEqual(e.hypotheses, trained.translate(sources).map((t) => t.hypotheses[0]?.text));
  assert.equal(e.beam, 1); // the checkpoint's decoding.beam
  assert.equal(e.attention, 'additive');
  assert.equal(e.total.sentences, 30);
  assert.equal(e.byLength.reduce((n, b) => n + b.sentences, 0), 30);
  const before = evaluateModel('untrained', untrained, sources, references, lengths);
  assert.ok(e.total.chrf > before.total.chrf + 10, `chrF ${e.total.chrf} after training, ${before.total.chrf} before`);
  assert.equal(evaluateModel('greedy', trained, sources, references, lengths, { beam: 3 }).beam, 3);
});
