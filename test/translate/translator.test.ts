import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CheckpointError } from '../../src/model/checkpoint.js';
import { DecodingSettingsError } from '../../src/translate/settings.js';
import { translateTexts } from '../../src/translate/translate.js';
import { openTranslator } from '../../src/translate/translator.js';
import { tempDir } from '../helpers/tmp.js';
import { writeTinyCheckpoint } from '../helpers/tiny-checkpoint.js';

const dir = tempDir('translator');
const bytesOf = (file: string): Uint8Array => new Uint8Array(fs.readFileSync(file));
const TEXTS = ['the black cat ate the mouse', 'a small house', 'i am hungry', 'the white dog sees the cat'];

test('the checkpoint\'s decoding settings are the defaults of every call, the defaults fill what it lacks', () => {
  const file = writeTinyCheckpoint({ dir, name: 'beam3.safetensors', decoding: { beam: 3, alpha: 1, maxLenRatio: 1.5 } });
  const t = openTranslator({ name: 'beam3.safetensors', bytes: bytesOf(file) });
  assert.deepEqual(t.settings, { beam: 3, alpha: 1, maxLenRatio: 1.5, batchSize: 32, replaceUnknowns: true });
  const expected = translateTexts(t, TEXTS, { beam: 3, nbest: 1, alpha: 1, maxLenRatio: 1.5, batchSize: 32, replaceUnknowns: true });
  assert.deepEqual(t.translate(TEXTS), expected);
  assert.deepEqual(t.translate(TEXTS, { beam: 1 }), translateTexts(t, TEXTS, { beam: 1, nbest: 1, alpha: 1, maxLenRatio: 1.5, batchSize: 32, replaceUnknowns: true }));
  // A checkpoint without settings (not written by attnmt train) decodes with the documented defaults.
  const plain = openTranslator(bytesOf(writeTinyCheckpoint({ dir, name: 'plain.safetensors' })));
  assert.deepEqual(plain.settings, { beam: 5, alpha: 0.6, maxLenRatio: 2, batchSize: 32, replaceUnknowns: true });
});

test('overrides replace single settings and are checked; nbest asks for a beam at least as large', () => {
  const file = writeTinyCheckpoint({ dir, name: 'beam2.safetensors', decoding: { beam: 2 } });
  const t = openTranslator(bytesOf(file), { alpha: 0 });
  assert.equal(t.settings.alpha, 0);
  assert.equal(t.settings.beam, 2);
  assert.equal(t.resolve({ nbest: 4 }).beam, 4);
  assert.equal(t.resolve({ nbest: 2, beam: 3 }).beam, 3);
  assert.throws(() => t.resolve({ nbest: 3, beam: 2 }), (e: unknown) => e instanceof DecodingSettingsError && /nbest \(3\) cannot be larger than beam \(2\)/.test(e.message));
  assert.throws(() => openTranslator(bytesOf(file), { beam: 0 }), (e: unknown) => e instanceof DecodingSettingsError && /beam/.test(e.message));
  const results = t.translate(['a small house'], { nbest: 3 });
  assert.equal(results[0]?.hypotheses.length, 3);
});

test('bad stored settings name the checkpoint and the key', () => {
  const file = writeTinyCheckpoint({ dir, name: 'bad.safetensors', decoding: { beam: 'wide' } });
  assert.throws(() => openTranslator({ name: 'bad.safetensors', bytes: bytesOf(file) }), (e: unknown) => e instanceof DecodingSettingsError && /^bad\.safetensors: metadata\.decoding: beam/.test(e.message));
});

test('several checkpoints decode as an ensemble; one with other vocabularies is refused by name', () => {
  const a = writeTinyCheckpoint({ dir, name: 'a.safetensors', seed: 1 });
  const b = writeTinyCheckpoint({ dir, name: 'b.safetensors', seed: 2, attention: 'general' });
  const pair = openTranslator([{ name: 'a', bytes: bytesOf(a) }, { name: 'b', bytes: bytesOf(b) }]);
  assert.equal(pair.model.attentionKind, 'additive+general');
  assert.equal(pair.name, 'a + b');
  assert.notDeepEqual(pair.translate(TEXTS, { beam: 1 }), openTranslator(bytesOf(a)).translate(TEXTS, { beam: 1 }));
  const other = writeTinyCheckpoint({ dir, name: 'other.safetensors', fr: ['un autre vocabulaire'] });
  assert.throws(() => openTranslator([{ name: 'a', bytes: bytesOf(a) }, { name: 'other', bytes: bytesOf(other) }]), (e: unknown) => e instanceof CheckpointError && e.message === 'other: cannot decode in an ensemble with a: the target vocabularies differ');
});

test('force: the attention of a pair over its tokens, EOS row and column included', () => {
  const t = openTranslator(bytesOf(writeTinyCheckpoint({ dir, name: 'force.safetensors' })));
  const [f] = t.force([{ src: 'the black cat', tgt: 'le chat noir' }]);
  assert.ok(f !== undefined);
  assert.deepEqual(f.sourceTokens, ['the', 'black', 'cat', '</s>']);
  assert.deepEqual(f.targetTokens, ['le', 'chat', 'noir', '</s>']);
  assert.equal(f.weights.length, 4);
  for (const row of f.weights) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
  assert.equal(path.basename(dir).startsWith('attnmt-translator'), true);
});
