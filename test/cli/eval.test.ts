import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RnnModelConfig } from '../../src/model/config.js';
import type { BucketScore } from '../../src/eval/scores.js';
import { tempDir } from '../helpers/tmp.js';
import { writeTinyCheckpoint } from '../helpers/tiny-checkpoint.js';
import { NODE_FLAGS } from '../helpers/node.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** A tiny random-weight checkpoint over a few words. */
function tinyCheckpoint(dir: string, attention: RnnModelConfig['attention'], seed: number): string {
  return writeTinyCheckpoint({ dir, attention, seed, hidden: 8, en: ['the black cat ate the mouse dog saw'], fr: ['le chat noir a mangé la souris chien vu'] });
}

test('attnmt eval --model2 --chart --json scores both models on the same sentences and draws both', () => {
  const dir = tempDir('eval');
  const attention = tinyCheckpoint(dir, 'additive', 1);
  const baseline = tinyCheckpoint(dir, 'none', 2);
  const testFile = path.join(dir, 'test.tsv');
  const long = 'the black cat saw the dog and the dog ate the mouse';
  fs.writeFileSync(testFile, `the cat\tle chat\nthe cat\tle chat noir\nthe black cat ate the mouse\tle chat noir a mangé la souris\n${long}\tle chat noir a vu le chien\n`);
  const chart = path.join(dir, 'chart.svg');
  const r = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, 'eval', '--model', attention, '--model2', baseline, '--test', testFile, '--beam', '1', '--threads', '1', '--chart', chart, '--json'], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { models: Array<{ name: string; attention: string; sentences: number; byLength: BucketScore[] }> };
  assert.deepEqual(report.models.map((m) => [m.name, m.attention, m.sentences]), [['attention', 'additive', 3], ['baseline', 'none', 3]]);
  // Sources of 2, 6 and 12 words (the repeated source is one sentence with two references).
  for (const m of report.models) assert.deepEqual(m.byLength.map((b) => [b.bucket, b.sentences]), [['1-5', 1], ['6-10', 1], ['11-15', 1]]);
  const svg = fs.readFileSync(chart, 'utf8');
  assert.match(svg, />attention</);
  assert.match(svg, />baseline</);

  const text = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, 'eval', '--model', attention, '--model2', baseline, '--test', testFile, '--beam', '1', '--threads', '1', '--by-length'], { encoding: 'utf8', timeout: 60000 });
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /attention BLEU\s+chrF\s+baseline BLEU\s+chrF/);
  assert.match(text.stdout, /^11-15\s+1\s/m);
});

test('attnmt eval --model A B scores the ensemble of A and B as one system', () => {
  const dir = tempDir('eval-ensemble');
  const a = tinyCheckpoint(dir, 'additive', 1);
  const b = tinyCheckpoint(dir, 'none', 2);
  const testFile = path.join(dir, 'test.tsv');
  fs.writeFileSync(testFile, 'the cat\tle chat\nthe black cat ate the mouse\tle chat noir a mangé la souris\n');
  const out = path.join(dir, 'hyp.txt');
  const r = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, 'eval', '--model', a, b, '--test', testFile, '--beam', '2', '--threads', '1', '--json', '--output', out], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { name: string; model: string; attention: string; parameters: number; sentences: number };
  assert.equal(report.name, 'ensemble of 2');
  assert.equal(report.model, `${a} + ${b}`);
  assert.equal(report.attention, 'additive+none');
  assert.equal(report.sentences, 2);
  // The same hypotheses as translate with the same two models.
  const t = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, 'translate', '--model', a, b, '--beam', '2', '--threads', '1'], { input: 'the cat\nthe black cat ate the mouse\n', encoding: 'utf8', timeout: 60000 });
  assert.equal(t.status, 0, t.stderr);
  assert.equal(fs.readFileSync(out, 'utf8'), t.stdout);
});
