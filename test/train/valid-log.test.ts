/**
 * valid.jsonl after a crash in the middle of an append: a torn last line. Readers (bench/study.ts's learning
 * curve) leave it out instead of failing on it, and a resumed training cuts it from the file, says so, and goes
 * on logging each validation once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readCurve } from '../../bench/study.js';
import { configWithDefaults, type Config } from '../../src/train/config.js';
import { train } from '../../src/train/trainer.js';
import { tempDir } from '../helpers/tmp.js';

const PAIRS = ['the cat\tle chat', 'the dog\tle chien', 'the black cat\tle chat noir', 'the black dog\tle chien noir', 'the mouse\tla souris', 'a cat\tun chat'];

function config(dir: string, maxSteps: number): Config {
  const file = path.join(dir, 'train.tsv');
  fs.writeFileSync(file, `${PAIRS.join('\n')}\n`);
  return configWithDefaults({
    data: { train: file, dev: file },
    model: { embedding: 8, hidden: 8, attentionHidden: 8 },
    training: { batchSize: 2, maxEpochs: 0, maxSteps, validEvery: 2, logEvery: 1000, threads: 1, outDir: path.join(dir, 'out') },
  });
}

/** Tear the last line of `file` in half, as a crash during its append leaves it. */
function tearLastLine(file: string): string {
  const text = fs.readFileSync(file, 'utf8');
  const lastStart = text.lastIndexOf('\n', text.length - 2) + 1;
  const torn = text.slice(0, lastStart + Math.floor((text.length - lastStart) / 2));
  fs.writeFileSync(file, torn);
  return torn;
}

test('the learning curve of a run whose valid.jsonl ends in a torn line: the complete lines', async () => {
  const dir = tempDir('valid-log');
  await train({ config: config(dir, 6), log: () => {}, progress: false });
  const full = readCurve(path.join(dir, 'out'));
  assert.deepEqual(full.map((p) => p.step), [2, 4, 6]);
  tearLastLine(path.join(dir, 'out', 'valid.jsonl'));
  assert.deepEqual(readCurve(path.join(dir, 'out')), full.slice(0, 2));
});

test('a resume cuts the torn last line of valid.jsonl, says so, and logs every later validation once', async () => {
  const dir = tempDir('valid-log');
  await train({ config: config(dir, 4), log: () => {}, progress: false });
  const file = path.join(dir, 'out', 'valid.jsonl');
  // The run went on to step 6, then crashed while appending its validation (before saving the checkpoint).
  const complete = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, `${complete}{"step":6,"epoch":3,"lr":0.001,"loss":2.5`);
  const lines: string[] = [];
  await train({ config: config(dir, 8), resume: path.join(dir, 'out', 'last.safetensors'), log: (l) => lines.push(l), progress: false });
  assert.ok(lines.some((l) => /^resume: removed 1 torn line \(a crash in the middle of a write\) from .*valid\.jsonl$/.test(l)), lines.join('\n'));
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.startsWith(complete), 'the complete lines are kept as they were');
  assert.deepEqual(text.trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step), [2, 4, 6, 8]);
});
