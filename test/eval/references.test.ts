import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  decodeLines,
  groupTsvLines,
  parsePairLines,
  readGroupedTsv,
  readLines,
  readReferenceFiles,
  splitLines,
  toReferenceStreams,
} from '../../src/eval/references.js';

function withTmp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'attnmt-refs-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('lines: final newline ends the last line, CRLF and a leading BOM are dropped', () => {
  assert.deepEqual(splitLines('a\nb\n'), ['a', 'b']);
  assert.deepEqual(splitLines('a\r\n\nb'), ['a', '', 'b']);
  const bytes = new TextEncoder().encode('\ufeffun\r\ndeux\n\ufefftrois\n');
  assert.deepEqual(decodeLines(bytes, 'x.txt'), ['un', 'deux', '\ufefftrois']);
});

test('invalid UTF-8 names the file and the line', () => {
  const bytes = new Uint8Array([0x6f, 0x6b, 0x0a, 0xff, 0x0a]);
  assert.throws(() => decodeLines(bytes, 'bad.txt'), /bad\.txt:2: invalid UTF-8/);
});

test('line-aligned reference files become streams; differing lengths name both files', () => {
  withTmp((dir) => {
    const a = join(dir, 'a.fr');
    const b = join(dir, 'b.fr');
    const c = join(dir, 'c.fr');
    writeFileSync(a, 'un\ndeux\n');
    writeFileSync(b, 'une\ndeux !\n');
    writeFileSync(c, 'seul\n');
    assert.deepEqual(readReferenceFiles([a, b]), [
      ['un', 'deux'],
      ['une', 'deux !'],
    ]);
    assert.throws(() => readReferenceFiles([a, c]), (e: Error) => e.message.includes(`${a} has 2 lines`) && e.message.includes(`${c} has 1 lines`));
    assert.throws(() => readLines(join(dir, 'missing.fr')), /missing\.fr: cannot read text file \(no such file\)/);
  });
});

test('TSV with repeated sources groups references per unique source in first-seen order', () => {
  const g = groupTsvLines(['Hi.\tSalut.', 'Run!\tCours !', 'Hi.\tBonjour.', 'Run!\tCourez !\textra', 'Who?\tQui ?'], 'dev.tsv');
  assert.deepEqual(g.sources, ['Hi.', 'Run!', 'Who?']);
  assert.deepEqual(g.references, [['Salut.', 'Bonjour.'], ['Cours !', 'Courez !'], ['Qui ?']]);
  assert.deepEqual(g.lines, [[1, 3], [2, 4], [5]]);
  assert.deepEqual(toReferenceStreams(g.references), [
    ['Salut.', 'Cours !', 'Qui ?'],
    ['Bonjour.', 'Courez !', ''],
  ]);
});

test('TSV errors name the file and the line', () => {
  assert.throws(() => groupTsvLines(['a\tb', 'no tab here'], 'dev.tsv'), /dev\.tsv:2: expected at least 2 tab-separated fields, found 1/);
  assert.throws(() => groupTsvLines(['a\tb', 'c\t '], 'dev.tsv'), /dev\.tsv:2: empty target/);
  assert.throws(() => groupTsvLines(['\tb'], 'dev.tsv'), /dev\.tsv:1: empty source/);
});

function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}
const DEV = resolve(projectRoot(), '../shared/data/tatoeba-eng-fra/dev.tsv');

test('Tatoeba dev: 2,963 lines group into 2,000 English sources', { skip: existsSync(DEV) ? false : `${DEV} is absent` }, () => {
  const g = readGroupedTsv(DEV);
  assert.equal(g.sources.length, 2000);
  assert.equal(g.references.reduce((s, r) => s + r.length, 0), 2963);
  assert.ok(g.references.some((r) => r.length > 1));
  assert.equal(new Set(g.sources).size, 2000);
});

test('parsePairLines: skips blank lines, names the line of a pair without a tab', () => {
  assert.deepEqual(parsePairLines(['a b\tc d', '', ' x \t y '], 'p.tsv'), [{ src: 'a b', tgt: 'c d' }, { src: 'x', tgt: 'y' }]);
  assert.throws(() => parsePairLines(['a\tb', 'no tab here'], 'p.tsv'), /p\.tsv:2: expected "source<TAB>target"/);
});
