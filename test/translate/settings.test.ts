import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyOverrides, DecodingConfigSchema, DecodingSettingsError, storedDecoding } from '../../src/translate/settings.js';

test('stored settings: defaults fill what a checkpoint lacks; a bad value or key names the checkpoint', () => {
  assert.deepEqual(storedDecoding(undefined, 'm'), DecodingConfigSchema.parse({}));
  assert.deepEqual(storedDecoding({ decoding: { beam: 1 } }, 'm'), { ...DecodingConfigSchema.parse({}), beam: 1 });
  assert.throws(() => storedDecoding({ decoding: { beam: 0 } }, 'm.safetensors'), (e: unknown) => e instanceof DecodingSettingsError && /^m\.safetensors: metadata\.decoding: beam/.test(e.message));
  assert.throws(() => storedDecoding({ decoding: { bean: 3 } }, 'm'), /unknown key "bean" \(valid: beam, alpha, maxLenRatio, batchSize, replaceUnknowns\)/);
});

test('overrides replace only the keys they give (undefined ones are ignored) and fill no defaults', () => {
  const base = { beam: 3, alpha: 1, maxLenRatio: 1.5, batchSize: 8, replaceUnknowns: false };
  assert.deepEqual(applyOverrides(base, {}, 'x'), base);
  assert.deepEqual(applyOverrides(base, { beam: 1, alpha: undefined }, 'x'), { ...base, beam: 1 });
  assert.throws(() => applyOverrides(base, { batchSize: 0.5 }, 'flags'), (e: unknown) => e instanceof DecodingSettingsError && /^flags: batchSize/.test(e.message));
});
