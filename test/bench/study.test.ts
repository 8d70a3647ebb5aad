/**
 * bench/study.ts's Multi30k setup on a tiny corpus of Multi30k's shape (train.{en,de}, val.{en,de}): the
 * three models' configs and parameter counts (fitted to within 10%), the val sentences it scores, the caption
 * length buckets, and the one-line error when a file is missing. Nothing is trained here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkMulti30k, closestCount, MULTI30K_BUCKETS, multi30kSetup, parameterSpread, ROLES, ROOT } from '../../bench/study.js';
import { countParameters } from '../../src/model/model.js';
import { loadConfig } from '../../src/train/config.js';
import { prepareData } from '../../src/train/data.js';
import { modelConfigFrom } from '../../src/train/loop.js';
import { scoreByLength, sourceWordCount } from '../../src/eval/scores.js';
import { tempDir } from '../helpers/tmp.js';
import { NODE_FLAGS } from '../helpers/node.js';

const EN = ['a', 'man', 'in', 'blue', 'shirt', 'is', 'riding', 'bike', 'down', 'the', 'street', 'two', 'dogs', 'play', 'on', 'grass', 'woman', 'with', 'red', 'hat'];
const DE = ['ein', 'Mann', 'im', 'blauen', 'Hemd', 'fährt', 'Fahrrad', 'die', 'Straße', 'hinunter', 'zwei', 'Hunde', 'spielen', 'auf', 'dem', 'Gras', 'Frau', 'mit', 'rotem', 'Hut'];

/** A caption of `n` words (the k-th of its length) and its "German" word for word, ending in a period. */
function caption(n: number, k: number): { en: string; de: string } {
  const idx = Array.from({ length: n - 1 }, (_, i) => (i * 7 + k * 3 + n) % EN.length);
  return { en: `${idx.map((i) => EN[i]).join(' ')} .`, de: `${idx.map((i) => DE[i]).join(' ')} .` };
}

/** Source lengths (words, the period included) of the fake val set: one or more in every bucket. */
const VAL_LENGTHS = [5, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 19, 20, 26];

/** A Multi30k-shaped directory: 120 training captions of 4 to 25 words, VAL_LENGTHS as val. */
function fakeMulti30k(): string {
  const dir = tempDir('multi30k');
  const train = Array.from({ length: 120 }, (_, i) => caption(4 + (i % 22), i));
  const val = VAL_LENGTHS.map((n, i) => caption(n, 1000 + i));
  const write = (name: string, lines: string[]): void => fs.writeFileSync(path.join(dir, name), `${lines.join('\n')}\n`);
  write('train.en', train.map((p) => p.en));
  write('train.de', train.map((p) => p.de));
  write('val.en', val.map((p) => p.en));
  write('val.de', val.map((p) => p.de));
  return dir;
}

test('multi30k setup: three models within 10% of each other, as the trainings will build them', () => {
  const dir = fakeMulti30k();
  const out = tempDir('study-multi30k');
  const setup = multi30kSetup(out, 90, dir);
  assert.deepEqual(setup.roles, [...ROLES]);
  const counts = ROLES.map((role) => {
    const args = setup.trainArgs[role] ?? [];
    assert.deepEqual(args.slice(1), ['--max-time', '90', '--out', path.join(out, role), '--overwrite']);
    // The config file the child trains from, read as `attnmt train` reads it; its model counted from the data it names.
    const cfg = loadConfig(args[0]);
    assert.equal(cfg.data.train, path.join(dir, 'train'));
    assert.equal(cfg.data.dev, path.join(dir, 'val'));
    assert.equal(cfg.data.tokenizer, 'bpe');
    assert.equal(cfg.data.joint, true);
    assert.equal(cfg.data.lowercase, false);
    assert.equal(cfg.training.threads, 1);
    assert.equal(cfg.training.maxTime, 90);
    assert.equal(cfg.training.batchSize, 64);
    const n = countParameters(modelConfigFrom(cfg, prepareData(cfg.data)));
    assert.equal(setup.parameters?.[role], n, role);
    return { role, n, model: cfg.model };
  });
  const [attention, baseline, transformer] = counts;
  assert.equal(attention?.model.arch ?? 'rnn', 'rnn');
  assert.ok(attention?.model.arch !== 'transformer' && attention?.model.attention === 'additive' && attention.model.hidden === 256 && attention.model.embedding === 256);
  assert.ok(baseline?.model.arch !== 'transformer' && baseline?.model.attention === 'none');
  assert.equal(transformer?.model.arch, 'transformer');
  const ns = counts.map((c) => c.n);
  assert.ok(Math.max(...ns) <= 1.1 * Math.min(...ns), `parameter counts ${ns.join(', ')}`);
  assert.ok(Math.abs(parameterSpread(ns) - (Math.max(...ns) / Math.min(...ns) - 1)) < 1e-12);
});

test('multi30k setup: scores every val sentence against its German reference, no gold alignments', () => {
  const dir = fakeMulti30k();
  const setup = multi30kSetup(tempDir('study-multi30k'), 60, dir);
  const en = fs.readFileSync(path.join(dir, 'val.en'), 'utf8').trim().split('\n');
  const de = fs.readFileSync(path.join(dir, 'val.de'), 'utf8').trim().split('\n');
  assert.equal(setup.sources.length, VAL_LENGTHS.length);
  assert.deepEqual(setup.sources, en);
  assert.deepEqual(setup.references, de.map((d) => [d]));
  assert.equal(setup.gold, undefined);
  assert.deepEqual(setup.sources.map(sourceWordCount), VAL_LENGTHS);
  assert.ok(!fs.readdirSync(dir).some((f) => f.startsWith('test')), 'the fake corpus has no test split: nothing reads one');
});

test('multi30k length buckets: narrow buckets for captions', () => {
  assert.deepEqual(MULTI30K_BUCKETS.labels, ['1-8', '9-10', '11-12', '13-14', '15-16', '17-19', '20+']);
  assert.deepEqual(VAL_LENGTHS.map((n) => MULTI30K_BUCKETS.of(n)), ['1-8', '1-8', '9-10', '9-10', '11-12', '11-12', '13-14', '13-14', '15-16', '15-16', '17-19', '17-19', '20+', '20+']);
  // Scoring by length with these buckets: two sentences in each, a perfect and a wrong translation of each pair.
  const refs = VAL_LENGTHS.map((n) => [`${'w '.repeat(n - 1)}.`]);
  const hyps = VAL_LENGTHS.map((n, i) => (i % 2 === 0 ? `${'w '.repeat(n - 1)}.` : 'x'));
  const rows = scoreByLength(hyps, refs, VAL_LENGTHS, { lowercase: false }, MULTI30K_BUCKETS);
  assert.deepEqual(rows.map((r) => [r.bucket, r.sentences, r.exact]), MULTI30K_BUCKETS.labels.map((b) => [b, 2, 0.5]));
});

test('multi30k: a missing file is one line naming it and the command that fetches the corpus', () => {
  const dir = fakeMulti30k();
  fs.rmSync(path.join(dir, 'val.de'));
  assert.throws(() => checkMulti30k(dir), (e: Error) => e.message === `multi30k: ${path.join(dir, 'val.de')} is missing (fetch the corpus with: attnmt data get multi30k --out ${dir})`);
  assert.throws(() => multi30kSetup(tempDir('study-multi30k'), 60, dir), /val\.de is missing/);
  fs.rmSync(path.join(dir, 'train.en'));
  assert.throws(() => checkMulti30k(dir), /train\.en is missing/);
  // The script: exit code 1, the one line on stderr, before anything is trained or written.
  const out = path.join(tempDir('study-multi30k'), 'out');
  const r = spawnSync(process.execPath, [...NODE_FLAGS, path.join(ROOT, 'dist', 'bench', 'study.js'), '--corpus', 'multi30k', '--data', dir, '--out', out], { encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.equal(r.stderr, `multi30k: ${path.join(dir, 'train.en')} is missing (fetch the corpus with: attnmt data get multi30k --out ${dir})\n`);
  assert.deepEqual(fs.readdirSync(out), []);
});

test('closestCount: the candidate nearest the target by binary search over ascending counts', () => {
  const square = (n: number): number => n * n;
  const ns = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.deepEqual(closestCount(ns, square, 30), { value: 5, parameters: 25 });
  assert.deepEqual(closestCount(ns, square, 31), { value: 6, parameters: 36 });
  assert.deepEqual(closestCount(ns, square, 0), { value: 1, parameters: 1 });
  assert.deepEqual(closestCount(ns, square, 1000), { value: 10, parameters: 100 });
  assert.deepEqual(closestCount(ns, square, 49), { value: 7, parameters: 49 });
  assert.throws(() => closestCount([], square, 3), /no candidates/);
});
