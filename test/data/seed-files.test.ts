import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateSeedCorpus } from '../../src/data/seed-corpus.js';
import { exportSeedCorpus, writeSeedSplit } from '../../src/data/seed-files.js';

const corpus = generateSeedCorpus({ size: 200, seed: 1 });

test('export writes seed.tsv and seed.align', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnmt-seed-'));
  try {
    exportSeedCorpus(corpus.slice(0, 3), path.join(dir, 'out'));
    const tsv = fs.readFileSync(path.join(dir, 'out', 'seed.tsv'), 'utf8').split('\n');
    const align = fs.readFileSync(path.join(dir, 'out', 'seed.align'), 'utf8').split('\n');
    assert.equal(tsv[0], 'the black cat ate the mouse\tle chat noir a mangé la souris');
    assert.equal(align[0], '0-0 1-2 2-1 3-3 3-4 4-5 5-6');
    assert.equal(tsv.length, 4);
    assert.equal(align.length, 4);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'out')).sort(), ['seed.align', 'seed.tsv']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('writeSeedSplit: train/dev/test files of the asked sizes, disjoint sources, gold alignments of the test part', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnmt-seed-'));
  try {
    const parts = writeSeedSplit(dir, 1, { size: 300, maxWords: 12, dev: 20, test: 30 });
    assert.deepEqual([parts.train.length, parts.dev.length, parts.test.length], [250, 20, 30]);
    assert.equal(parts.train[0]?.src, 'the black cat ate the mouse');
    const lines = (f: string): string[] => fs.readFileSync(path.join(dir, f), 'utf8').split('\n').slice(0, -1);
    assert.equal(lines('train.tsv').length, 250);
    assert.deepEqual(lines('test.tsv'), parts.test.map((p) => `${p.src}\t${p.tgt}`));
    assert.deepEqual(lines('test.align'), parts.test.map((p) => p.alignment.map(([i, j]) => `${i}-${j}`).join(' ')));
    const train = new Set(parts.train.map((p) => p.src));
    assert.ok([...parts.dev, ...parts.test].every((p) => !train.has(p.src)));
    assert.ok(parts.train.every((p) => p.src.split(' ').length <= 12));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
