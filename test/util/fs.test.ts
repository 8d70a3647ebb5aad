import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkInputFile, FileReadError, FileWriteError, makeDirs, removeStaleTemps, writeFileAtomic } from '../../src/util/fs.js';
import { tempDir } from '../helpers/tmp.js';

test('writeFileAtomic replaces the file and leaves no temporary file', () => {
  const dir = tempDir('fs');
  const file = path.join(dir, 'out.txt');
  fs.writeFileSync(file, 'old');
  writeFileAtomic(file, 'new');
  assert.equal(fs.readFileSync(file, 'utf8'), 'new');
  writeFileAtomic(file, Uint8Array.of(65, 66));
  assert.equal(fs.readFileSync(file, 'utf8'), 'AB');
  assert.deepEqual(fs.readdirSync(dir), ['out.txt']);
});

test('a failed rename keeps the old file and removes the temporary one', () => {
  const dir = tempDir('fs');
  const target = path.join(dir, 'busy');
  fs.mkdirSync(path.join(target, 'inside'), { recursive: true });
  assert.throws(() => writeFileAtomic(target, 'data'));
  assert.ok(fs.statSync(target).isDirectory());
  assert.deepEqual(fs.readdirSync(dir), ['busy']);
});

test('makeDirs creates every missing level and fails with the path where it cannot (no endless loop)', () => {
  const dir = tempDir('fs');
  const deep = path.join(dir, 'a', 'b', 'c');
  makeDirs(deep);
  makeDirs(deep); // already there: fine
  assert.ok(fs.statSync(deep).isDirectory());
  assert.throws(() => makeDirs('/proc/nope/deeper'), (e: unknown) => e instanceof FileWriteError && /^\/proc\/nope\/deeper: cannot create the directory \(at \/proc\/nope\)/.test(e.message));
  fs.writeFileSync(path.join(dir, 'file'), 'x');
  assert.throws(() => makeDirs(path.join(dir, 'file', 'sub')), /sub: cannot create the directory: a parent is not a directory \(ENOTDIR\)/);
});

test('write errors name the target, not the temporary file; devices are written in place', () => {
  assert.throws(() => writeFileAtomic('/dev/full', 'x'), (e: unknown) => e instanceof FileWriteError && e.message === '/dev/full: cannot write: no space left on the device (ENOSPC)');
  writeFileAtomic('/dev/null', 'x');
  const missing = path.join(tempDir('fs'), 'no', 'out.txt');
  assert.throws(() => writeFileAtomic(missing, 'x'), (e: unknown) => e instanceof FileWriteError && e.message === `${missing}: cannot write: no such directory (ENOENT)`);
});

test('checkInputFile accepts regular files and refuses devices and directories', () => {
  const dir = tempDir('fs');
  const file = path.join(dir, 'in.txt');
  fs.writeFileSync(file, 'a\n');
  checkInputFile(file);
  assert.throws(() => checkInputFile('/dev/zero', 'corpus'), (e: unknown) => e instanceof FileReadError && e.message === '/dev/zero: cannot read corpus: it is a character device, not a regular file');
  assert.throws(() => checkInputFile(dir), /it is a directory/);
  assert.throws(() => checkInputFile(path.join(dir, 'none')), /cannot read input file \(no such file\)/);
});

test('removeStaleTemps deletes the temporary files of dead processes only', () => {
  const dir = tempDir('fs');
  const dead = 2 ** 22 + 12345; // above Linux's pid_max default: no such process
  fs.writeFileSync(path.join(dir, `last.safetensors.tmp-${dead}`), 'half');
  fs.writeFileSync(path.join(dir, `best.safetensors.tmp-${process.ppid}`), 'a live writer'); // the parent is alive
  fs.writeFileSync(path.join(dir, 'last.safetensors'), 'kept');
  assert.deepEqual(removeStaleTemps(dir), [`last.safetensors.tmp-${dead}`]);
  assert.deepEqual(fs.readdirSync(dir).sort(), [`best.safetensors.tmp-${process.ppid}`, 'last.safetensors']);
});
