import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from '../../src/util/fs.js';
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
