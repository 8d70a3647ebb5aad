import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CheckpointError } from '../../src/model/checkpoint.js';
import { openTranslator } from '../../src/translate/open.js';
import { openTranslator as openFromBytes } from '../../src/translate/translator.js';
import { tempDir } from '../helpers/tmp.js';
import { writeTinyCheckpoint } from '../helpers/tiny-checkpoint.js';

const dir = tempDir('open');
const file = writeTinyCheckpoint({ dir, decoding: { beam: 2 } });
const texts = ['the black cat ate the mouse', 'i am hungry'];

test('a path opens the same translator as its bytes; errors name the path', () => {
  const byPath = openTranslator(file);
  assert.equal(byPath.name, file);
  assert.equal(byPath.settings.beam, 2);
  assert.deepEqual(byPath.translate(texts), openFromBytes(new Uint8Array(fs.readFileSync(file))).translate(texts));
  const missing = path.join(dir, 'missing.safetensors');
  assert.throws(() => openTranslator(missing), (e: unknown) => e instanceof CheckpointError && e.message === `${missing}: no such model file`);
  const junk = path.join(dir, 'junk.safetensors');
  fs.writeFileSync(junk, 'not a checkpoint');
  assert.throws(() => openTranslator(junk), (e: unknown) => e instanceof CheckpointError && e.message.startsWith(`${junk}: `));
});

test('paths and bytes mix in an ensemble; overrides apply to it', () => {
  const other = writeTinyCheckpoint({ dir, name: 'other.safetensors', seed: 9 });
  const t = openTranslator([file, { name: 'other', bytes: new Uint8Array(fs.readFileSync(other)) }], { beam: 1 });
  assert.equal(t.name, `${file} + other`);
  assert.equal(t.settings.beam, 1);
  assert.equal(t.translate(texts).length, 2);
});
