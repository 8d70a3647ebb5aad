import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { configWithDefaults } from '../../src/train/config.js';
import { train } from '../../src/train/trainer.js';
import { translateTexts } from '../../src/train/translator.js';
import { checkDemoSentence, DEMO_EXPECTED, DEMO_SENTENCE, demoConfig, writeDemoCorpus } from '../../src/cli/demo.js';
import { loadTranslator } from '../../src/cli/common.js';
import { tempDir } from '../helpers/tmp.js';

// A step budget (not a time budget) keeps the outcome the same on every machine; short sentences keep it fast.
const SIZES = { size: 2500, maxWords: 8, dev: 50, test: 50 };
const STEPS = 700;

test(`a model trained in the test translates "${DEMO_SENTENCE}" and attends chat->cat, noir->black`, async () => {
  const dir = tempDir('demo');
  writeDemoCorpus(dir, 1, SIZES);
  const base = demoConfig('attention', dir, 0, 1);
  const config = configWithDefaults({
    ...base,
    training: { ...base.training, maxSteps: STEPS, maxTime: 0, validEvery: STEPS, keepBest: false },
  });
  try {
    await initEngine({ threads: 1 });
  } catch {
    // Without the WebAssembly build the TypeScript GEMM gives the same results, only slower.
  }
  try {
    const result = await train({ config, log: () => {}, progress: false });
    assert.equal(result.steps, STEPS);
    const loaded = loadTranslator(path.join(config.training.outDir, 'last.safetensors'));
    const [t] = translateTexts(loaded, [DEMO_SENTENCE], { beam: 1 });
    assert.ok(t !== undefined);
    const check = checkDemoSentence(t);
    assert.equal(check.translation, DEMO_EXPECTED);
    assert.equal(check.chatLooksAt, 'cat');
    assert.equal(check.noirLooksAt, 'black');
    assert.ok(check.holds);
  } finally {
    await shutdownEngine();
  }
});
