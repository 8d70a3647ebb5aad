import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeBatch } from '../../src/data/batch.js';
import { Rng } from '../../src/engine/random.js';
import { Tape, withTape } from '../../src/engine/tensor.js';
import { CheckpointError } from '../../src/model/checkpoint.js';
import { Ensemble } from '../../src/model/ensemble.js';
import { createModel, loadModel, parameterShapes, type TranslationModel } from '../../src/model/model.js';
import { checkpointOf, tinyConfig } from './helpers.js';

test('createModel builds the config\'s family; parameterShapes lists what it creates', () => {
  const config = tinyConfig();
  const model = createModel(config, 4);
  const shapes = parameterShapes(config);
  assert.deepEqual([...shapes.keys()].sort(), [...model.parameters().keys()].sort());
  for (const [n, t] of model.parameters()) assert.deepEqual(shapes.get(n), t.shape, n);
  assert.equal(model.parameterCount(), [...shapes.values()].reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0));
  assert.equal(model.hasAttention, true);
  assert.equal(model.attentionKind, 'additive');
  assert.match(model.summary(), /^GRU 1x8, bidirectional encoder, additive attention, embeddings 6$/);
  const baseline = createModel(tinyConfig({ attention: 'none' }), 4);
  assert.equal(baseline.hasAttention, false);
  assert.match(baseline.summary(), /fixed context \(no attention\)/);
});

test('loadModel gives the checkpoint\'s weights, and names the checkpoint when they do not fit the config', () => {
  const model = createModel(tinyConfig(), 5);
  const loaded = loadModel(checkpointOf(model));
  for (const [n, p] of model.parameters()) assert.deepEqual(loaded.parameters().get(n)?.toArray(), p.toArray(), n);
  const wrong = { ...checkpointOf(model), config: tinyConfig({ hidden: 10 }) };
  assert.throws(() => loadModel(wrong, 'w.safetensors'), (e: unknown) => e instanceof CheckpointError && /^w\.safetensors: weights do not match the config/.test(e.message));
});

test('every family member and an ensemble answer through the interface alone', () => {
  const members: TranslationModel[] = [createModel(tinyConfig({ tgtVocabSize: 9 }), 1), createModel(tinyConfig({ tgtVocabSize: 9, attention: 'none' }), 2)];
  const ensemble: TranslationModel = new Ensemble(members);
  const rng = new Rng(3);
  const pairs = [0, 1].map(() => ({ src: [4 + rng.int(6), 4 + rng.int(6)], tgt: [4 + rng.int(5)] }));
  const batch = makeBatch(pairs, [0, 1]);
  for (const m of [...members, ensemble]) {
    const rows = m.forcedAttention(batch);
    assert.equal(rows.length, 2);
    assert.equal(rows[0]?.length, m.hasAttention ? 2 : 0);
    const r = withTape(new Tape({ record: false }), () => m.loss(batch));
    assert.equal(r.ntokens, 4);
    assert.ok(r.nll > 0 && Number.isFinite(r.nll));
  }
  assert.equal(ensemble.attentionKind, 'additive+none');
  assert.equal(ensemble.parameterCount(), members.reduce((n, m) => n + m.parameterCount(), 0));
});
