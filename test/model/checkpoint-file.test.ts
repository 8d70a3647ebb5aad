import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CheckpointError, encodeCheckpoint } from '../../src/model/checkpoint.js';
import { loadCheckpoint, readCheckpointBytes, saveCheckpoint } from '../../src/model/checkpoint-file.js';
import { Seq2Seq } from '../../src/model/seq2seq.js';
import { tempDir } from '../helpers/tmp.js';
import { checkpointOf, tinyConfig } from './helpers.js';

test('save writes the codec\'s bytes atomically over an old file; load reads them back; errors name the file', () => {
  const dir = tempDir('ckptfile');
  const file = path.join(dir, 'm.safetensors');
  fs.writeFileSync(file, 'an older file');
  const c = checkpointOf(new Seq2Seq(tinyConfig(), 2));
  saveCheckpoint(file, c);
  assert.deepEqual(new Uint8Array(readCheckpointBytes(file)), encodeCheckpoint(c));
  assert.deepEqual(fs.readdirSync(dir), ['m.safetensors']);
  assert.deepEqual(loadCheckpoint(file).metadata, c.metadata);
  assert.throws(() => readCheckpointBytes(path.join(dir, 'none.safetensors')), (e: unknown) => e instanceof CheckpointError && e.message.endsWith('none.safetensors: no such model file'));
  assert.throws(() => loadCheckpoint(dir), (e: unknown) => e instanceof CheckpointError && e.message.startsWith(`${dir}: cannot read`));
});
