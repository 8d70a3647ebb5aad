import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataError, readLines, readParallel, readTsv, splitTrainDev } from '../../src/data/readers.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnmt-readers-'));
process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
let n = 0;
function tmp(content: string | Uint8Array): string {
  const f = path.join(dir, `f${n++}.txt`);
  fs.writeFileSync(f, content);
  return f;
}

function bytes(...parts: (string | number[])[]): Uint8Array {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
}

function throwsData(fn: () => unknown, file: string, line: number, reason: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DataError, String(e));
    assert.equal(e.file, file);
    assert.equal(e.line, line);
    assert.equal(e.reason, reason);
    assert.ok(e.message.startsWith(`${file}:${line}: `), e.message);
    return true;
  });
}

test('readLines handles CRLF, a missing final newline and lines across chunk borders', () => {
  const long = 'x'.repeat(70000);
  const f = tmp(`a\r\n${long}\nb`);
  const lines = [...readLines(f)].map((l) => ({ line: l.line, text: Buffer.from(l.bytes).toString('utf8') }));
  assert.deepEqual(lines.map((l) => l.line), [1, 2, 3]);
  assert.equal(lines[0]?.text, 'a');
  assert.ok(lines[1]?.text === long, 'the 70000-character line is intact');
  assert.equal(lines[2]?.text, 'b');
});

test('TSV: columns, extra columns ignored, either direction, normalization', () => {
  const f = tmp('Go.\tVa\u00a0!\tCC-BY 2.0 (France)\nHi.\tSalut\u200b !\n');
  const r = readTsv(f);
  assert.deepEqual(r.pairs, [{ src: 'Go.', tgt: 'Va !', line: 1 }, { src: 'Hi.', tgt: 'Salut !', line: 2 }]);
  assert.equal(r.lines, 2);
  const rev = readTsv(f, { srcColumn: 1, tgtColumn: 0 });
  assert.deepEqual(rev.pairs.map((p) => [p.src, p.tgt]), [['Va !', 'Go.'], ['Salut !', 'Hi.']]);
});

test('TSV: invalid UTF-8, missing column and empty side name file and line', () => {
  const badUtf8 = tmp(bytes('a\tb\n', 'c\t', [0xc3, 0x28], '\n'));
  throwsData(() => readTsv(badUtf8), badUtf8, 2, 'invalid-utf8');
  const missing = tmp('a\tb\nno tab here\n');
  throwsData(() => readTsv(missing), missing, 2, 'missing-column');
  const empty = tmp('a\tb\nc\tb\n \td\n');
  throwsData(() => readTsv(empty), empty, 3, 'empty-side');
  const emptyTgt = tmp('a\t\u200b\n');
  throwsData(() => readTsv(emptyTgt), emptyTgt, 1, 'empty-side');
});

test('TSV skip mode skips and counts by reason', () => {
  const f = tmp(bytes('ok\tbien\n', [0xff, 0xfe], '\tx\n', 'nocolumn\n', '\tvide\n', 'encore\tagain\n', '\n'));
  const r = readTsv(f, { skipBad: true });
  assert.deepEqual(r.pairs.map((p) => p.line), [1, 5]);
  assert.deepEqual(r.skipped, { 'invalid-utf8': 1, 'missing-column': 2, 'empty-side': 1, 'line-count-mismatch': 0 });
});

test('parallel files: pairs, and errors on mismatch / bad bytes / empty side', () => {
  const en = tmp('the cat\nthe dog\n');
  const fr = tmp('le chat\nle\tchien\n');
  assert.deepEqual(readParallel(en, fr).pairs, [{ src: 'the cat', tgt: 'le chat', line: 1 }, { src: 'the dog', tgt: 'le chien', line: 2 }]);
  const short = tmp('un\n');
  throwsData(() => readParallel(en, short), short, 2, 'line-count-mismatch');
  throwsData(() => readParallel(short, en), short, 2, 'line-count-mismatch');
  const bad = tmp(bytes('ok\n', [0xe2, 0x82], '\n'));
  throwsData(() => readParallel(en, bad), bad, 2, 'invalid-utf8');
  const blank = tmp('x\n  \n');
  throwsData(() => readParallel(blank, fr), blank, 2, 'empty-side');
});

test('parallel skip mode counts the extra lines of the longer file', () => {
  const a = tmp('1\n2\n\n4\n5\n6\n');
  const b = tmp('un\ndeux\ntrois\nquatre\n');
  const r = readParallel(a, b, { skipBad: true });
  assert.deepEqual(r.pairs.map((p) => p.src), ['1', '2', '4']);
  assert.deepEqual(r.skipped, { 'invalid-utf8': 0, 'missing-column': 0, 'empty-side': 1, 'line-count-mismatch': 2 });
  assert.equal(r.lines, 6);
});

test('limit stops early', () => {
  const f = tmp('a\tb\nc\td\ne\tf\n');
  assert.equal(readTsv(f, { limit: 2 }).pairs.length, 2);
});

test('splitTrainDev keeps every source on one side only and is deterministic', () => {
  const pairs: { src: string; tgt: string }[] = [];
  for (let i = 0; i < 100; i++) for (let k = 0; k <= i % 3; k++) pairs.push({ src: `s${i}`, tgt: `t${i}.${k}` });
  const { train, dev } = splitTrainDev(pairs, { devSize: 20, seed: 5 });
  assert.equal(train.length + dev.length, pairs.length);
  const devSrc = new Set(dev.map((p) => p.src));
  assert.equal(devSrc.size, 20);
  for (const p of train) assert.ok(!devSrc.has(p.src));
  const again = splitTrainDev(pairs, { devSize: 20, seed: 5 });
  assert.deepEqual(again.dev, dev);
  const other = splitTrainDev(pairs, { devSize: 20, seed: 6 });
  assert.notDeepEqual(other.dev, dev);
  assert.equal(new Set(splitTrainDev(pairs, { devFraction: 0.1, seed: 1 }).dev.map((p) => p.src)).size, 10);
  assert.throws(() => splitTrainDev(pairs, { devSize: 101, seed: 1 }), /dev size 101/);
});
