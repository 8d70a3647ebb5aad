import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { configWithDefaults } from '../../src/train/config.js';
import { train } from '../../src/train/trainer.js';
import { demoConfig, transformerDemoConfig } from '../../src/train/demo-config.js';
import { writeSeedSplit } from '../../src/data/seed-files.js';
import { openTranslator } from '../../src/translate/open.js';
import { checkDemoSentence, DEMO_EXPECTED, DEMO_SENTENCE } from '../../src/cli/demo.js';
import { tempDir } from '../helpers/tmp.js';

// A step budget (not a time budget) keeps the outcome the same on every machine; short sentences keep it fast.
const SIZES = { size: 2500, maxWords: 8, dev: 50, test: 50 };
const STEPS = 700;
const TRANSFORMER_STEPS = 400;

test(`a model trained in the test translates "${DEMO_SENTENCE}" and attends chat->cat, noir->black`, async () => {
  const dir = tempDir('demo');
  writeSeedSplit(dir, 1, SIZES);
  const base = demoConfig('attention', dir, 0, 1);
  const config = configWithDefaults({
    ...base,
    training: { ...base.training, maxSteps: STEPS, maxTime: 0, validEvery: STEPS, keepBest: false },
  });
  // The WebAssembly engine users train on; a failed load fails the test (npm test builds it).
  assert.notEqual((await initEngine({ threads: 1 })).backend, 'js');
  try {
    const result = await train({ config, log: () => {}, progress: false });
    assert.equal(result.steps, STEPS);
    const [t] = openTranslator(path.join(config.training.outDir, 'last.safetensors')).translate([DEMO_SENTENCE]);
    assert.ok(t !== undefined);
    const check = checkDemoSentence(t);
    assert.equal(check.translation, DEMO_EXPECTED);
    assert.equal(check.chatLooksAt, 'cat');
    assert.equal(check.noirLooksAt, 'black');
    assert.ok(check.holds);
    assert.deepEqual(check.problems, []);
  } finally {
    await shutdownEngine();
  }
});

test(`the demo's Transformer, trained in the test, translates "${DEMO_SENTENCE}" and its weights attend chat->cat, noir->black`, async () => {
  const dir = tempDir('demo-transformer');
  writeSeedSplit(dir, 1, SIZES);
  const base = transformerDemoConfig(dir, 0, 1);
  const config = configWithDefaults({
    ...base,
    training: { ...base.training, maxSteps: TRANSFORMER_STEPS, maxTime: 0, validEvery: TRANSFORMER_STEPS, keepBest: false },
  });
  assert.equal(config.model.arch, 'transformer');
  try {
    await initEngine({ threads: 1 });
  } catch {
    // Without the WebAssembly build the TypeScript GEMM gives the same results, only slower.
  }
  try {
    const result = await train({ config, log: () => {}, progress: false });
    assert.equal(result.steps, TRANSFORMER_STEPS);
    const [t] = openTranslator(path.join(config.training.outDir, 'last.safetensors')).translate([DEMO_SENTENCE]);
    assert.ok(t !== undefined);
    const check = checkDemoSentence(t);
    assert.deepEqual(check.problems, []);
    assert.equal(check.translation, DEMO_EXPECTED);
    assert.equal(check.chatLooksAt, 'cat');
    assert.equal(check.noirLooksAt, 'black');
  } finally {
    await shutdownEngine();
  }
});

test('a failed demo check names what it saw', () => {
  const t = (text: string, targetTokens: string[], weights: number[][]) => ({
    source: DEMO_SENTENCE, sourceTokens: [...DEMO_SENTENCE.split(' '), '</s>'], unknown: [],
    hypotheses: [{ text, targetTokens, score: -1, weights }],
  });
  const noChat = checkDemoSentence(t('le chien noir', ['le', 'chien', 'noir', '</s>'], [[1, 0, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 0], [0, 1, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 1]]));
  assert.equal(noChat.holds, false);
  assert.deepEqual(noChat.problems, [`the translation is "le chien noir", not "${DEMO_EXPECTED}"`, '"chat" is not in the translation, so it cannot attend to "cat"']);
  const wrongLook = checkDemoSentence(t(DEMO_EXPECTED, [...DEMO_EXPECTED.split(' '), '</s>'], DEMO_EXPECTED.split(' ').concat('</s>').map(() => [1, 0, 0, 0, 0, 0, 0])));
  assert.deepEqual(wrongLook.problems, ['"chat" attends most to "the", not "cat"', '"noir" attends most to "the", not "black"']);
  const baseline = checkDemoSentence(t(DEMO_EXPECTED, [...DEMO_EXPECTED.split(' '), '</s>'], []));
  assert.deepEqual(baseline.problems, ['the model gave no attention weights']);
});
