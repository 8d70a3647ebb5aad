import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createModel, type TrainableModel } from '../../src/model/model.js';
import { configWithDefaults } from '../../src/train/config-schema.js';
import { freshState, makeBatcher, modelConfigFrom, TrainingDivergedError, TrainingLoop } from '../../src/train/loop.js';
import { onBackward } from '../../src/engine/tensor.js';
import { InputError } from '../../src/util/errors.js';
import { preparePairs } from '../../src/train/prepare.js';
import { train } from '../../src/train/trainer.js';
import { tempDir } from '../helpers/tmp.js';

const PAIRS = [
  { src: 'the cat', tgt: 'le chat' },
  { src: 'the dog', tgt: 'le chien' },
  { src: 'the black cat', tgt: 'le chat noir' },
  { src: 'the black dog', tgt: 'le chien noir' },
  { src: 'the mouse', tgt: 'la souris' },
  { src: 'the cat ate the mouse', tgt: 'le chat a mangé la souris' },
];

test('the loop stepped by hand (as the page\'s training worker does) gives bitwise the weights attnmt train gives', async () => {
  const dir = tempDir('loop');
  const file = path.join(dir, 'train.tsv');
  fs.writeFileSync(file, PAIRS.map((p) => `${p.src}\t${p.tgt}\n`).join(''));
  const cfg = configWithDefaults({
    data: { train: file },
    model: { embedding: 8, hidden: 8, attentionHidden: 8 },
    training: { batchSize: 2, lr: 0.01, dropout: 0.3, labelSmoothing: 0.1, clipNorm: 1, warmup: 3, maxEpochs: 0, maxSteps: 9, logEvery: 1000, threads: 1, outDir: path.join(dir, 'out') },
  });
  const viaTrainer = await train({ config: cfg, log: () => {}, progress: false });

  const data = preparePairs(cfg.data, PAIRS, undefined);
  const model = createModel(modelConfigFrom(cfg, data), cfg.training.seed);
  const batcher = makeBatcher(data.train, cfg.training);
  const state = freshState(cfg.training.lr, batcher, model);
  const loop = new TrainingLoop(model, batcher, cfg.training, state, { plannedSteps: 9, maxTime: 0 }, () => 0);
  const lrs: number[] = [];
  for (let i = 0; i < 9; i++) lrs.push(loop.step().lr);
  assert.equal(state.step, 9);
  assert.deepEqual(lrs.slice(0, 4), [0.01 * (1 / 3), 0.01 * (2 / 3), 0.01, 0.01], 'the warmup ramp, then training.lr');
  for (const [name, p] of viaTrainer.model.parameters()) assert.deepEqual(model.parameters().get(name)?.data, p.data, name);
});

test('recordScore: best score and plateau counters, lr decay after more than lrDecay.patience validations without a better score', () => {
  const cfg = configWithDefaults({ data: { train: 'x' }, training: { lr: 0.1, minLr: 0.03, lrDecay: { factor: 0.5, patience: 1 } } });
  const data = preparePairs(cfg.data, PAIRS, undefined);
  const model = createModel(modelConfigFrom({ ...cfg, model: { ...cfg.model, hidden: 8, embedding: 8 } } as typeof cfg, data), 1);
  const batcher = makeBatcher(data.train, cfg.training);
  const loop = new TrainingLoop(model, batcher, cfg.training, freshState(0.1, batcher, model), { plannedSteps: 0, maxTime: 0 }, () => 0);
  assert.deepEqual(loop.recordScore(10), { improved: true, decayedTo: null });
  assert.deepEqual(loop.recordScore(9), { improved: false, decayedTo: null });
  assert.deepEqual(loop.recordScore(9), { improved: false, decayedTo: 0.05 });
  assert.equal(loop.state.sinceBest, 2);
  assert.equal(loop.state.plateau, 0);
  assert.deepEqual(loop.recordScore(8), { improved: false, decayedTo: null });
  assert.deepEqual(loop.recordScore(8), { improved: false, decayedTo: 0.03 }, 'not below minLr');
  assert.deepEqual(loop.recordScore(11), { improved: true, decayedTo: null });
  assert.equal(loop.state.bestScore, 11);
  assert.equal(loop.state.sinceBest, 0);
});

/** A loop over PAIRS on a tiny model at lr 0.01 with this clipNorm. */
function tinyLoop(clipNorm: number): { model: TrainableModel; loop: TrainingLoop } {
  const cfg = configWithDefaults({ data: { train: 'x' }, model: { embedding: 8, hidden: 8, attentionHidden: 8 }, training: { batchSize: 2, lr: 0.01, clipNorm } });
  const data = preparePairs(cfg.data, PAIRS, undefined);
  const model = createModel(modelConfigFrom(cfg, data), 1);
  const batcher = makeBatcher(data.train, cfg.training);
  return { model, loop: new TrainingLoop(model, batcher, cfg.training, freshState(0.01, batcher, model), { plannedSteps: 0, maxTime: 0 }, () => 0) };
}

test('a NaN in a parameter: step() throws a TrainingDivergedError naming the step and what to try, before any update', () => {
  for (const clipNorm of [5, 0]) {
    const { model, loop } = tinyLoop(clipNorm);
    loop.step();
    const poisoned = model.parameters().get('decoder.output.bias');
    assert.ok(poisoned !== undefined);
    (poisoned.data as Float32Array)[1] = NaN;
    const before = new Map([...model.parameters()].map(([name, p]) => [name, Float32Array.from(p.data)]));
    assert.throws(() => loop.step(), (e: unknown) => {
      assert.ok(e instanceof TrainingDivergedError);
      assert.ok(e instanceof InputError);
      assert.equal(e.step, 2);
      const clip = clipNorm > 0 ? 'a lower training\\.clipNorm \\(now 5\\)' : 'gradient clipping \\(training\\.clipNorm, now 0: off; try 1\\)';
      assert.match(e.message, new RegExp(`^step 2: the training loss is NaN: the training diverged; try a lower training\\.lr \\(now 0\\.01\\) or ${clip}$`));
      return true;
    }, `clipNorm ${clipNorm}`);
    assert.equal(loop.state.step, 1, 'the step is not counted');
    assert.equal(loop.optim.state().step, 1, 'Adam did not step');
    for (const [name, p] of model.parameters()) assert.deepEqual(p.data, before.get(name), `${name} was updated`);
  }
});

test('finite loss but a NaN gradient: step() throws on the gradient norm (clipping or not) before any update', () => {
  for (const clipNorm of [5, 0]) {
    const { model, loop } = tinyLoop(clipNorm);
    // One gradient entry poisoned at the end of the backward pass (as an overflow in a backward op would): a
    // closure recorded before the loss's ops runs after all of theirs.
    const bias = model.parameters().get('decoder.output.bias');
    assert.ok(bias !== undefined);
    const loss = model.loss.bind(model);
    model.loss = (batch, opts) => {
      onBackward(bias, () => {
        if (bias.grad !== null) bias.grad[0] = Infinity;
      });
      return loss(batch, opts);
    };
    const before = new Map([...model.parameters()].map(([name, p]) => [name, Float32Array.from(p.data)]));
    assert.throws(() => loop.step(), /^TrainingDivergedError: step 1: the gradient norm is (NaN|Infinity): the training diverged/, `clipNorm ${clipNorm}`);
    assert.equal(loop.state.step, 0);
    for (const [name, p] of model.parameters()) assert.deepEqual(p.data, before.get(name), `${name} was updated`);
  }
});
