import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RnnModelConfig } from '../../src/model/config.js';
import { bucketBleuSeries, formatComparisonTable, markdownComparisonTable, sourceWordCount, type BucketScore } from '../../src/train/scores.js';
import { byLengthChart, type ModelEval } from '../../src/cli/eval.js';
import { tempDir } from '../helpers/tmp.js';
import { writeTinyCheckpoint } from '../helpers/tiny-checkpoint.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

const row = (bucket: string, sentences: number, bleu: number): BucketScore => ({ bucket, sentences, bleu, chrf: bleu + 10, exact: 0 });

test('sourceWordCount counts words and punctuation of the text, not a model\'s subwords', () => {
  assert.equal(sourceWordCount('the black cat ate the mouse'), 6);
  assert.equal(sourceWordCount("  I don't know, Tom.  "), 7); // I do n't know , Tom .
  assert.equal(sourceWordCount('unbelievably-long-compound'), 1);
  assert.equal(sourceWordCount(''), 0);
});

test('bucketBleuSeries: one value per length bucket in order, null where a model has no sentence', () => {
  assert.deepEqual(bucketBleuSeries([row('6-10', 4, 30), row('1-5', 3, 50), row('31+', 1, 5)]), [50, 30, null, null, null, 5]);
});

test('comparison tables list every bucket any model has, with each model\'s BLEU', () => {
  const models = [
    { name: 'attention', rows: [row('1-5', 10, 52.5), row('6-10', 8, 40)] },
    { name: 'baseline', rows: [row('1-5', 10, 48), row('16-20', 2, 3.25)] },
  ];
  const text = formatComparisonTable(models).split('\n');
  assert.equal(text.length, 4);
  assert.match(text[0] ?? '', /attention BLEU.*baseline BLEU/);
  assert.match(text[1] ?? '', /^1-5\s+10\s+52\.5\s+62\.5\s+48\.0\s+58\.0$/);
  assert.match(text[2] ?? '', /^6-10\s+8\s+40\.0\s+50\.0\s+-\s+-$/);
  assert.match(text[3] ?? '', /^16-20\s+2\s+-\s+-\s+3\.3\s+13\.3$/);
  assert.deepEqual(markdownComparisonTable(models).split('\n'), [
    '| source length | sentences | attention BLEU | baseline BLEU |',
    '|---|---:|---:|---:|',
    '| 1-5 | 10 | 52.5 | 48.0 |',
    '| 6-10 | 8 | 40.0 | - |',
    '| 16-20 | 2 | - | 3.3 |',
  ]);
});

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
});

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
  const r = spawnSync(process.execPath, [MAIN, 'eval', '--model', attention, '--model2', baseline, '--test', testFile, '--beam', '1', '--threads', '1', '--chart', chart, '--json'], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { models: Array<{ name: string; attention: string; sentences: number; byLength: BucketScore[] }> };
  assert.deepEqual(report.models.map((m) => [m.name, m.attention, m.sentences]), [['attention', 'additive', 3], ['baseline', 'none', 3]]);
  // Sources of 2, 6 and 12 words (the repeated source is one sentence with two references).
  for (const m of report.models) assert.deepEqual(m.byLength.map((b) => [b.bucket, b.sentences]), [['1-5', 1], ['6-10', 1], ['11-15', 1]]);
  const svg = fs.readFileSync(chart, 'utf8');
  assert.match(svg, />attention</);
  assert.match(svg, />baseline</);

  const text = spawnSync(process.execPath, [MAIN, 'eval', '--model', attention, '--model2', baseline, '--test', testFile, '--beam', '1', '--threads', '1', '--by-length'], { encoding: 'utf8', timeout: 60000 });
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
  const r = spawnSync(process.execPath, [MAIN, 'eval', '--model', a, b, '--test', testFile, '--beam', '2', '--threads', '1', '--json', '--output', out], { encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { name: string; model: string; attention: string; parameters: number; sentences: number };
  assert.equal(report.name, 'ensemble of 2');
  assert.equal(report.model, `${a} + ${b}`);
  assert.equal(report.attention, 'additive+none');
  assert.equal(report.sentences, 2);
  // The same hypotheses as translate with the same two models.
  const t = spawnSync(process.execPath, [MAIN, 'translate', '--model', a, b, '--beam', '2', '--threads', '1'], { input: 'the cat\nthe black cat ate the mouse\n', encoding: 'utf8', timeout: 60000 });
  assert.equal(t.status, 0, t.stderr);
  assert.equal(fs.readFileSync(out, 'utf8'), t.stdout);
});
