import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runScore } from '../../src/cli/score.js';

interface Run {
  code: number;
  out: string;
  err: string;
}

async function run(argv: string[], stdin: string): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
  stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
  const code = await runScore(argv, { stdin: Readable.from([Buffer.from(stdin, 'utf8')]), stdout, stderr });
  return { code, out, err };
}

function withTmp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'attnmt-score-'));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test('BLEU text line as sacreBLEU prints it', () =>
  withTmp(async (dir) => {
    const ref = join(dir, 'ref.txt');
    writeFileSync(ref, 'the cat sat on the mat\n');
    const r = await run([ref], 'the cat sat on the mat\n');
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.out,
      'BLEU|nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0 = 100.00 100.0/100.0/100.0/100.0 ' +
        '(BP = 1.000 ratio = 1.000 hyp_len = 6 ref_len = 6)\n',
    );
  }));

test('--json gives score, counts, totals, bp, lengths and signature', () =>
  withTmp(async (dir) => {
    const ref = join(dir, 'ref.txt');
    writeFileSync(ref, 'the cat\n');
    // "the the the the" vs "the cat", tokenize none: counts [1,0,0,0], totals [4,3,2,1], BP 1.
    const r = await run(['--tokenize', 'none', '--smooth', 'floor', '--json', ref], 'the the the the\n');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as Record<string, unknown>;
    assert.deepEqual(Object.keys(j), ['score', 'counts', 'totals', 'bp', 'sys_len', 'ref_len', 'signature']);
    assert.deepEqual(j.counts, [1, 0, 0, 0]);
    assert.deepEqual(j.totals, [4, 3, 2, 1]);
    assert.equal(j.bp, 1);
    assert.equal(j.sys_len, 4);
    assert.equal(j.ref_len, 2);
    assert.ok(Math.abs(Number(j.score) - Math.pow(25 * (10 / 3) * 5 * 10, 0.25)) < 1e-9);
    assert.equal(j.signature, 'nrefs:1|case:mixed|eff:no|tok:none|smooth:floor[0.10]|version:2.6.0');
  }));

test('--sentence prints one line per hypothesis with eff:yes', () =>
  withTmp(async (dir) => {
    const ref = join(dir, 'ref.txt');
    writeFileSync(ref, 'the cat sat\nhello world\n');
    const r = await run(['--sentence', '--json', '--tokenize', 'none', ref], 'the cat\nhello world\n');
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { score: number; signature: string });
    assert.equal(lines.length, 2);
    assert.ok(Math.abs(lines[0].score - 100 * Math.exp(-0.5)) < 1e-9);
    assert.ok(Math.abs(lines[1].score - 100) < 1e-9);
    assert.ok(lines[0].signature.includes('eff:yes'));
  }));

test('chrF++ text line, several reference files', () =>
  withTmp(async (dir) => {
    const a = join(dir, 'a.txt');
    const b = join(dir, 'b.txt');
    writeFileSync(a, 'xyz\n');
    writeFileSync(b, 'abc\n');
    const r = await run(['--metric', 'chrf', '--word-order', '2', a, b], 'abc\n');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'chrF2++|nrefs:2|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.6.0 = 100.00\n');
  }));

test('--tsv groups repeated sources into multi-reference lists', () =>
  withTmp(async (dir) => {
    const tsv = join(dir, 'dev.tsv');
    writeFileSync(tsv, 'Hi.\tSalut tout le monde .\nRun!\tCours vite , Forrest !\nHi.\tBonjour à tous les amis .\n');
    const r = await run(['--tsv', '--json', tsv], 'Bonjour à tous les amis .\nCours vite , Forrest !\n');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { score: number; signature: string };
    assert.ok(Math.abs(j.score - 100) < 1e-9, `score ${j.score}`);
    assert.ok(j.signature.startsWith('nrefs:var|'));
  }));

test('a line-count mismatch names the file and both counts', () =>
  withTmp(async (dir) => {
    const ref = join(dir, 'ref.txt');
    writeFileSync(ref, 'a\nb\nc\n');
    const r = await run([ref], 'a\nb\n');
    assert.equal(r.code, 1);
    assert.equal(r.out, '');
    assert.match(r.err, /hypotheses \(stdin\) have 2 lines but .*ref\.txt has 3 lines/);
  }));

test('usage errors exit with 1: bad choice, bad number, flag of the other metric, missing file', () =>
  withTmp(async (dir) => {
    const ref = join(dir, 'ref.txt');
    writeFileSync(ref, 'a\n');
    const bad = await run(['--tokenize', 'moses', ref], 'a\n');
    assert.equal(bad.code, 1);
    assert.match(bad.err, /moses.*13a, intl, char, none/s);
    assert.equal((await run(['--smooth-value', 'x', ref], 'a\n')).code, 1);
    const other = await run(['--metric', 'chrf', '--smooth', 'floor', ref], 'a\n');
    assert.equal(other.code, 1);
    assert.match(other.err, /--smooth applies to --metric bleu only/);
    const missing = await run([join(dir, 'nope.txt')], 'a\n');
    assert.equal(missing.code, 1);
    assert.match(missing.err, /nope\.txt/);
    const empty = await run([ref], '');
    assert.equal(empty.code, 1);
    assert.match(empty.err, /no hypotheses/);
    assert.equal((await run([], 'a\n')).code, 1);
  }));

test('an empty reference line is an error naming file and line', () =>
  withTmp(async (dir) => {
    const ref = join(dir, 'ref.txt');
    writeFileSync(ref, 'a\n  \n');
    const r = await run([ref], 'a\nb\n');
    assert.equal(r.code, 1);
    assert.match(r.err, /ref\.txt:2: empty reference/);
  }));

test('--help exits 0 and lists the options', async () => {
  const r = await run(['--help'], '');
  assert.equal(r.code, 0);
  assert.match(r.out, /--metric/);
  assert.match(r.out, /--word-order/);
});

function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}
const VECTORS = resolve(projectRoot(), '../shared/data/sacrebleu-vectors.jsonl');

interface VectorCase {
  metric: string;
  options: Record<string, unknown>;
  hypotheses: string[];
  references: string[][];
  score: number;
  signature: string;
  counts?: number[];
}

test('through files and stdin, the command reproduces sacreBLEU vector cases', { skip: existsSync(VECTORS) ? false : `${VECTORS} is absent` }, () =>
  withTmp(async (dir) => {
    const cases = readFileSync(VECTORS, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as VectorCase);
    const pick = [
      cases.find((c) => c.metric === 'bleu' && c.options.tokenize === 'intl' && c.references.length === 2 && c.hypotheses.length > 100),
      cases.find((c) => c.metric === 'chrf' && c.options.word_order === 2 && c.hypotheses.length > 100),
    ];
    for (const c of pick) {
      assert.ok(c, 'vector case found');
      const files = c.references.map((stream, k) => {
        const f = join(dir, `ref${k}.txt`);
        writeFileSync(f, stream.join('\n') + '\n');
        return f;
      });
      const flags = c.metric === 'bleu' ? ['--tokenize', 'intl'] : ['--metric', 'chrf', '--word-order', '2'];
      const r = await run([...flags, '--json', ...files], c.hypotheses.join('\n') + '\n');
      assert.equal(r.code, 0, r.err);
      const j = JSON.parse(r.out) as { score: number; signature: string; counts?: number[] };
      assert.ok(Math.abs(j.score - c.score) < 1e-6, `${c.metric}: ${j.score} vs ${c.score}`);
      assert.equal(j.signature, c.signature);
      if (c.counts) assert.deepEqual(j.counts, c.counts);
    }
  }));
