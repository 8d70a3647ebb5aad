import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { configWithDefaults } from '../../src/train/config.js';
import { train } from '../../src/train/trainer.js';
import { translateTexts } from '../../src/train/translator.js';
import { generateSeedCorpus, type SeedPair } from '../../src/data/seed-corpus.js';
import { loadTranslator, type LoadedModel } from '../../src/cli/common.js';
import { checkGoldTokens, forcedAttention, hardAlign, parsePairLines, scoreAlignments } from '../../src/cli/align.js';
import { formatPharaoh } from '../../src/eval/alignment.js';
import { UserError } from '../../src/cli/errors.js';
import { tempDir } from '../helpers/tmp.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test('hardAlign: t2s takes each row\'s argmax; grow-diag adds union links next to the intersection', () => {
  // Rows: target words; columns: source words. Target 0 -> source 0, target 1 -> source 2, target 2 -> source 1.
  const w = [
    [0.7, 0.2, 0.1],
    [0.1, 0.3, 0.6],
    [0.2, 0.5, 0.3],
  ];
  assert.equal(formatPharaoh(hardAlign(w, 't2s')), '0-0 1-2 2-1');
  // Column argmaxes: source 0 -> target 0, source 1 -> target 2, source 2 -> target 1: the same links.
  assert.equal(formatPharaoh(hardAlign(w, 'intersection')), '0-0 1-2 2-1');
  // A matrix where the two directions disagree:
  const v = [
    [0.6, 0.4],
    [0.55, 0.45],
  ];
  // t2s: both targets -> source 0; s2t: source 0 -> target 0, source 1 -> target 1.
  assert.equal(formatPharaoh(hardAlign(v, 't2s')), '0-0 0-1');
  assert.equal(formatPharaoh(hardAlign(v, 'intersection')), '0-0');
  assert.equal(formatPharaoh(hardAlign(v, 'union')), '0-0 0-1 1-1');
  // grow-diag: from 0-0, the neighbours 0-1 and 1-1 (diagonal) are union links with an unaligned side.
  assert.equal(formatPharaoh(hardAlign(v, 'grow-diag')), '0-0 0-1 1-1');
  assert.deepEqual(hardAlign([], 't2s'), []);
});

test('parsePairLines: skips blank lines, names the line of a pair without a tab', () => {
  assert.deepEqual(parsePairLines(['a b\tc d', '', ' x \t y '], 'p.tsv'), [{ src: 'a b', tgt: 'c d' }, { src: 'x', tgt: 'y' }]);
  assert.throws(() => parsePairLines(['a\tb', 'no tab here'], 'p.tsv'), /p\.tsv:2: expected "source<TAB>target"/);
});

test('checkGoldTokens: a model whose tokens are not the gold words is refused, naming the pair', () => {
  const forced = [{ sourceTokens: ['the', 'cat'], targetTokens: ['le', 'ch@@', 'at'], weights: [[1, 0], [0, 1], [0, 1]] }];
  assert.throws(() => checkGoldTokens(forced, [{ src: 'the cat', tgt: 'le chat' }]), (e: unknown) => e instanceof UserError && /pair 1: the model has 2 source \/ 3 target tokens, the gold alignment's words are 2 \/ 2/.test(e.message));
  assert.doesNotThrow(() => checkGoldTokens(forced.map((f) => ({ ...f, targetTokens: ['le', 'chat'] })), [{ src: 'the cat', tgt: 'le chat' }]));
});

// A small model trained for a fixed number of steps on short seed sentences (a few seconds).
let dir = '';
let trained: LoadedModel;
let untrained: LoadedModel;
let held: SeedPair[] = [];

function tinyConfig(outDir: string, steps: number, attention: 'additive' | 'none' = 'additive', bpeMerges = 0) {
  const tokens = bpeMerges > 0 ? { tokenizer: 'bpe' as const, bpeMerges, joint: true } : {};
  return configWithDefaults({
    data: { train: path.join(dir, 'train.tsv'), lowercase: true, maxLen: 30, ...tokens },
    model: { rnn: 'gru', bidirectional: true, embedding: 24, hidden: 48, attention, attentionHidden: 24 },
    training: { batchSize: 32, lr: 5e-3, dropout: 0, labelSmoothing: 0, maxSteps: steps, maxEpochs: 0, validEvery: steps, earlyStopping: { patience: 0 }, seed: 1, threads: 1, outDir, keepBest: false },
  });
}

before(async () => {
  dir = tempDir('align');
  const pairs = generateSeedCorpus({ size: 1600, seed: 3, maxWords: 7 });
  held = pairs.slice(1500);
  fs.writeFileSync(path.join(dir, 'train.tsv'), pairs.slice(0, 1500).map((p) => `${p.src}\t${p.tgt}\n`).join(''));
  fs.writeFileSync(path.join(dir, 'held.tsv'), held.map((p) => `${p.src}\t${p.tgt}\n`).join(''));
  fs.writeFileSync(path.join(dir, 'held.align'), held.map((p) => `${p.alignment.map(([i, j]) => `${i}-${j}`).join(' ')}\n`).join(''));
  try {
    await initEngine({ threads: 1 });
  } catch {
    // Without the WebAssembly build the TypeScript GEMM gives the same results, only slower.
  }
  await train({ config: tinyConfig(path.join(dir, 'trained'), 300), log: () => {}, progress: false });
  await train({ config: tinyConfig(path.join(dir, 'untrained'), 1), log: () => {}, progress: false });
  await train({ config: tinyConfig(path.join(dir, 'baseline'), 1, 'none'), log: () => {}, progress: false });
  // Few merges, so many words are split into several pieces.
  await train({ config: tinyConfig(path.join(dir, 'bpe'), 300, 'additive', 40), log: () => {}, progress: false });
  trained = loadTranslator(path.join(dir, 'trained', 'last.safetensors'));
  untrained = loadTranslator(path.join(dir, 'untrained', 'last.safetensors'));
});

after(async () => {
  await shutdownEngine();
});

const goldOf = (pairs: readonly SeedPair[]) =>
  pairs.map((p) => {
    const sure = p.alignment.map(([source, target]) => ({ source, target }));
    return { sure, possible: sure };
  });

test('forced attention over the greedy output equals the attention greedy decoding recorded', () => {
  const sources = held.slice(0, 20).map((p) => p.src);
  const greedy = translateTexts(trained, sources, { beam: 1, replaceUnknowns: false });
  let compared = 0;
  greedy.forEach((t) => {
    const best = t.hypotheses[0];
    if (best === undefined || best.text === '' || !best.targetTokens.includes('</s>')) return;
    const [forced] = forcedAttention(trained, [{ src: t.source, tgt: best.text }]);
    assert.ok(forced !== undefined);
    // Only when the output text tokenizes back to the same tokens is the forced path the greedy path.
    if (forced.targetTokens.join(' ') !== best.targetTokens.slice(0, -1).join(' ')) return;
    compared++;
    assert.equal(forced.weights.length, forced.targetTokens.length);
    forced.weights.forEach((row, r) => {
      assert.equal(row.length, forced.sourceTokens.length);
      row.forEach((x, s) => assert.ok(Math.abs(x - (best.weights[r]?.[s] ?? NaN)) < 1e-5, `row ${r} col ${s}: ${x} vs ${best.weights[r]?.[s]}`));
    });
  });
  assert.ok(compared >= 5, `only ${compared} greedy outputs could be compared`);
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
  const bpe = loadTranslator(path.join(dir, 'bpe', 'last.safetensors'));
  const pieces = held.map((p) => bpe.codec.source(p.src));
  assert.ok(pieces.some((ps, i) => ps.length > (held[i]?.src.split(' ').length ?? 0)), 'no source word was split into pieces');
  const forced = forcedAttention(bpe, held);
  forced.forEach((f, i) => {
    assert.deepEqual(f.sourceTokens, held[i]?.src.toLowerCase().split(' '));
    assert.equal(f.weights.length, f.targetTokens.length);
    for (const row of f.weights) {
      assert.equal(row.length, f.sourceTokens.length);
      // The EOS column was dropped, so a row sums to at most 1.
      const sum = row.reduce((a, b) => a + b, 0);
      assert.ok(sum > 0.5 && sum <= 1 + 1e-5, `row sums to ${sum}`);
    }
  });
  const gold = goldOf(held);
  const [t2s] = scoreAlignments(bpe, held, gold, ['t2s']);
  const [t2sUntrained] = scoreAlignments(untrained, held, gold, ['t2s']);
  assert.ok(t2s !== undefined && t2sUntrained !== undefined);
  assert.ok(t2s.aer < t2sUntrained.aer - 0.15, `BPE model AER ${t2s.aer} vs untrained word model ${t2sUntrained.aer}`);
});

test('attnmt align prints one Pharaoh line per pair and the AER the library computes; the baseline is refused', () => {
  const model = path.join(dir, 'trained', 'last.safetensors');
  const input = path.join(dir, 'held.tsv');
  const r = spawnSync(process.execPath, [MAIN, 'align', '--model', model, '--input', input, '--threads', '1', '--method', 'grow-diag', '--gold', path.join(dir, 'held.align'), '--json'], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { method: string; pairs: number; aer: number; alignments: string[] };
  assert.equal(report.method, 'grow-diag');
  assert.equal(report.alignments.length, held.length);
  const [expected] = scoreAlignments(trained, held, goldOf(held), ['grow-diag']);
  assert.ok(Math.abs(report.aer - (expected?.aer ?? NaN)) < 1e-9);
  for (const line of report.alignments) assert.match(line, /^(\d+-\d+( \d+-\d+)*)?$/);

  const plain = spawnSync(process.execPath, [MAIN, 'align', '--model', model, '--threads', '1'], { input: `${held[0]?.src}\t${held[0]?.tgt}\n`, encoding: 'utf8', timeout: 60000 });
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(plain.stdout.trim().split('\n').length, 1);

  const base = spawnSync(process.execPath, [MAIN, 'align', '--model', path.join(dir, 'baseline', 'last.safetensors'), '--input', input, '--threads', '1'], { encoding: 'utf8', timeout: 60000 });
  assert.notEqual(base.status, 0);
  assert.match(base.stderr, /no attention/);
  const bad = spawnSync(process.execPath, [MAIN, 'align', '--model', model, '--input', input, '--method', 'diagonal'], { encoding: 'utf8', timeout: 60000 });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--method: must be one of t2s, grow-diag, intersection, union/);
});
