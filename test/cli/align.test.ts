/** `attnmt align` end to end: Pharaoh lines, the AER the library computes, refusals. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSeedCorpus, type SeedPair } from '../../src/data/seed-corpus.js';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { goldOf, scoreAlignments } from '../../src/eval/evaluate.js';
import { configWithDefaults } from '../../src/train/config.js';
import { train } from '../../src/train/trainer.js';
import { openTranslator } from '../../src/translate/open.js';
import { tempDir } from '../helpers/tmp.js';
import { NODE_FLAGS } from '../helpers/node.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

// Models trained for one step: the command's plumbing is what is tested here (test/eval/evaluate.test.ts trains).
let dir = '';
let held: SeedPair[] = [];

function tinyConfig(outDir: string, attention: 'additive' | 'none') {
  return configWithDefaults({
    data: { train: path.join(dir, 'train.tsv'), lowercase: true, maxLen: 30 },
    model: { rnn: 'gru', bidirectional: true, embedding: 16, hidden: 24, attention, attentionHidden: 16 },
    training: { batchSize: 32, maxSteps: 1, maxEpochs: 0, validEvery: 1, seed: 1, threads: 1, outDir, keepBest: false },
  });
}

before(async () => {
  dir = tempDir('align');
  const pairs = generateSeedCorpus({ size: 300, seed: 3, maxWords: 7 });
  held = pairs.slice(250);
  fs.writeFileSync(path.join(dir, 'train.tsv'), pairs.slice(0, 250).map((p) => `${p.src}\t${p.tgt}\n`).join(''));
  fs.writeFileSync(path.join(dir, 'held.tsv'), held.map((p) => `${p.src}\t${p.tgt}\n`).join(''));
  fs.writeFileSync(path.join(dir, 'held.align'), held.map((p) => `${p.alignment.map(([i, j]) => `${i}-${j}`).join(' ')}\n`).join(''));
  // The WebAssembly engine users train on; a failed load fails the test (npm test builds it).
  assert.notEqual((await initEngine({ threads: 1 })).backend, 'js');
  await train({ config: tinyConfig(path.join(dir, 'trained'), 'additive'), log: () => {}, progress: false });
  await train({ config: tinyConfig(path.join(dir, 'baseline'), 'none'), log: () => {}, progress: false });
});

after(async () => {
  await shutdownEngine();
});

test('attnmt align prints one Pharaoh line per pair and the AER the library computes; the baseline is refused', () => {
  const model = path.join(dir, 'trained', 'last.safetensors');
  const input = path.join(dir, 'held.tsv');
  const r = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, 'align', '--model', model, '--input', input, '--threads', '1', '--method', 'grow-diag', '--gold', path.join(dir, 'held.align'), '--json'], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { method: string; pairs: number; aer: number; alignments: string[] };
  assert.equal(report.method, 'grow-diag');
  assert.equal(report.alignments.length, held.length);
  const [expected] = scoreAlignments(openTranslator(model), held, goldOf(held), ['grow-diag']);
  assert.ok(Math.abs(report.aer - (expected?.aer ?? NaN)) < 1e-9);
  for (const line of report.alignments) assert.match(line, /^(\d+-\d+( \d+-\d+)*)?$/);

  const plain = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, 'align', '--model', model, '--threads', '1'], { input: `${held[0]?.src}\t${held[0]?.tgt}\n`, encoding: 'utf8', timeout: 60000 });
  assert.equal(plain.status, 0, plain.stderr);
  assert.equal(plain.stdout.trim().split('\n').length, 1);

  const base = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, 'align', '--model', path.join(dir, 'baseline', 'last.safetensors'), '--input', input, '--threads', '1'], { encoding: 'utf8', timeout: 60000 });
  assert.notEqual(base.status, 0);
  assert.match(base.stderr, /no attention/);
  const bad = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, 'align', '--model', model, '--input', input, '--method', 'diagonal'], { encoding: 'utf8', timeout: 60000 });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--method.*Allowed choices are t2s, grow-diag, intersection, union/);
});
