import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeBatch } from '../../src/data/batch.js';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { ATTENTION_SESSION_MIN, currentAttentionStepKernels, setAttentionStepKernels } from '../../src/engine/fused/attention.js';
import { gradcheck } from '../../src/engine/gradcheck.js';
import { Rng } from '../../src/engine/random.js';
import { Tape, withTape } from '../../src/engine/tensor.js';
import type { RnnModelConfig } from '../../src/model/config.js';
import { Seq2Seq } from '../../src/model/seq2seq.js';
import { randomBatch, tinyConfig } from './helpers.js';

test('parameters have hierarchical names and the shapes the config implies', () => {
  const m = new Seq2Seq(tinyConfig({ layers: 2 }), 1);
  const shapes = new Map([...m.parameters()].map(([n, t]) => [n, t.shape]));
  assert.deepEqual(shapes.get('encoder.embedding.weight'), [11, 6]);
  assert.deepEqual(shapes.get('encoder.rnn.l0.weight_ih'), [6, 12]); // 3 gates x H/2
  assert.deepEqual(shapes.get('encoder.rnn.l0.weight_hh'), [4, 12]);
  assert.deepEqual(shapes.get('encoder.rnn.l0_reverse.weight_ih'), [6, 12]);
  assert.deepEqual(shapes.get('encoder.rnn.l1.weight_ih'), [8, 12]);
  assert.deepEqual(shapes.get('bridge.weight'), [8, 8]);
  assert.deepEqual(shapes.get('decoder.rnn.l0.weight_ih'), [6, 24]);
  assert.deepEqual(shapes.get('decoder.rnn.l0.weight_feed'), [8, 24]);
  assert.deepEqual(shapes.get('decoder.rnn.l1.weight_hh'), [8, 24]);
  assert.deepEqual(shapes.get('decoder.attention.query.weight'), [8, 5]);
  assert.deepEqual(shapes.get('decoder.attention.key.weight'), [8, 5]);
  assert.deepEqual(shapes.get('decoder.attention.v'), [5]);
  assert.deepEqual(shapes.get('decoder.combine.weight'), [16, 8]);
  assert.deepEqual(shapes.get('decoder.output.weight'), [8, 12]);
  for (const [name, t] of m.parameters()) assert.equal(t.name, name);
});

test('same seed, same weights; another seed, other weights; recurrent blocks are orthogonal', () => {
  const a = new Seq2Seq(tinyConfig(), 5).parameters();
  const b = new Seq2Seq(tinyConfig(), 5).parameters();
  const c = new Seq2Seq(tinyConfig(), 6).parameters();
  const name = 'decoder.rnn.l0.weight_hh';
  assert.deepEqual(a.get(name)?.toArray(), b.get(name)?.toArray());
  assert.notDeepEqual(a.get(name)?.toArray(), c.get(name)?.toArray());
  const w = a.get(name)?.data as Float32Array; // (8, 24): three (8, 8) blocks
  for (let g = 0; g < 3; g++) {
    for (let i = 0; i < 8; i++) {
      for (let j = 0; j < 8; j++) {
        let dot = 0;
        for (let k = 0; k < 8; k++) dot += w[i * 24 + g * 8 + k] * w[j * 24 + g * 8 + k];
        assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-5, `block ${g} rows ${i},${j}: ${dot}`);
      }
    }
  }
});

const variants: Array<[string, Partial<RnnModelConfig>]> = [
  ['GRU, bidirectional, additive, input feeding', {}],
  ['LSTM, 2 layers, general', { rnn: 'lstm', layers: 2, attention: 'general' }],
  ['GRU, unidirectional, dot, no input feeding, zero bridge', { bidirectional: false, attention: 'dot', inputFeeding: false, bridge: 'zeros' }],
  ['fixed-context baseline', { attention: 'none' }],
  ['tied target embeddings', { embedding: 8, tieTargetEmbeddings: true }],
];

for (const [label, overrides] of variants) {
  test(`${label}: loss counts real tokens and a padded batch scores each sentence as alone`, () => {
    const config = tinyConfig(overrides);
    const m = new Seq2Seq(config, 2);
    const rng = new Rng(3);
    const batch = randomBatch(rng, [4, 2, 3], [3, 5, 1], config.srcVocabSize, config.tgtVocabSize);
    const r = m.loss(batch);
    assert.equal(r.ntokens, batch.ntokens);
    assert.ok(Number.isFinite(r.nll) && r.nll > 0);
    assert.ok(Math.abs(r.loss.item() - r.nll) < 1e-3 * r.nll, 'without smoothing the loss is the nll');
    let separate = 0;
    for (let i = 0; i < batch.size; i++) {
      const s = batch.srcLengths[i] as number;
      const t = batch.tgtLengths[i] as number;
      const one = makeBatch(
        [{ src: Array.from(batch.src.subarray(i * batch.srcLen, i * batch.srcLen + s - 1)), tgt: Array.from(batch.tgtOut.subarray(i * batch.tgtLen, i * batch.tgtLen + t - 1)) }],
        [0],
      );
      separate += m.loss(one).nll;
    }
    assert.ok(Math.abs(separate - r.nll) < 1e-4 * r.nll, `batched ${r.nll} vs separate ${separate}`);
    const smoothed = m.loss(batch, { labelSmoothing: 0.1 });
    assert.ok(Math.abs(smoothed.nll - r.nll) < 1e-6 * r.nll);
    assert.notEqual(smoothed.loss.item(), r.loss.item());
  });

  test(`${label}: gradients of the whole model match finite differences`, () => {
    const config = tinyConfig(overrides);
    const m = new Seq2Seq(config, 4);
    const batch = randomBatch(new Rng(5), [3, 2], [2, 3], config.srcVocabSize, config.tgtVocabSize);
    const params = [...m.parameters().values()];
    const r = gradcheck(() => m.loss(batch).loss, params, { eps: 1e-2, rtol: 5e-2, atol: 2e-3, maxPerInput: 6 });
    assert.ok(r.ok, r.report);
  });
}

test('decodeStep: log-probabilities sum to 1, weights (N, S) zero on padding; baseline gives no weights', () => {
  for (const attention of ['additive', 'none'] as const) {
    const config = tinyConfig({ attention });
    const m = new Seq2Seq(config, 1);
    const batch = randomBatch(new Rng(2), [4, 2], [1, 1], config.srcVocabSize, config.tgtVocabSize);
    const start = m.initDecoder(m.encode(batch.src, batch.srcLengths, 2, batch.srcLen));
    const r = m.decodeStep(Int32Array.from([2, 2]), start.state, start.memory);
    assert.deepEqual(r.logProbs.shape, [2, config.tgtVocabSize]);
    for (let row = 0; row < 2; row++) {
      let p = 0;
      for (let j = 0; j < config.tgtVocabSize; j++) p += Math.exp(r.logProbs.data[row * config.tgtVocabSize + j] as number);
      assert.ok(Math.abs(p - 1) < 1e-5);
    }
    if (attention === 'none') assert.equal(r.weights, null);
    else {
      assert.deepEqual(r.weights?.shape, [2, 5]);
      assert.deepEqual(Array.from(r.weights?.data.subarray(5 + 3) ?? []), [0, 0]);
    }
  }
});

test('dropout only in training mode; the training tape records and backward fills parameter gradients', () => {
  const config = tinyConfig({ dropout: 0.3 });
  const m = new Seq2Seq(config, 1);
  const batch = randomBatch(new Rng(2), [4, 3], [3, 2], config.srcVocabSize, config.tgtVocabSize);
  const evalLoss = m.loss(batch).nll;
  assert.equal(m.loss(batch).nll, evalLoss);
  m.setTraining(true);
  const tape = new Tape();
  const r = withTape(tape, () => m.loss(batch));
  assert.notEqual(r.nll, evalLoss);
  tape.backward(r.loss);
  const g = m.parameters().get('encoder.rnn.l0.weight_hh')?.grad;
  assert.ok(g !== null && g !== undefined && g.some((x) => x !== 0));
  tape.reset();
});

test('on the WebAssembly engine (attention session kernels, per-step weight gradients summed once): gradients match finite differences and the engine-less model', async () => {
  // B x S x A = 16 x 10 x 128 >= ATTENTION_SESSION_MIN: the steps run on the session kernels; GRU states of 16 x 32 rows take the gate kernels.
  const config = tinyConfig({ hidden: 32, attentionHidden: 128, embedding: 8 });
  const lens = [9, 4, 6, 2, 8, 3, 5, 7, 1, 9, 2, 6, 4, 3, 8, 5];
  const batch = randomBatch(new Rng(7), lens, lens.map((n) => 1 + (n % 5)), config.srcVocabSize, config.tgtVocabSize);
  assert.ok(batch.size * batch.srcLen * 128 >= ATTENTION_SESSION_MIN);
  const grads = (m: Seq2Seq): Map<string, Float32Array> => {
    for (const p of m.parameters().values()) p.ensureGrad().fill(0);
    const tape = new Tape();
    const r = withTape(tape, () => m.loss(batch));
    tape.backward(r.loss);
    tape.reset();
    return new Map([...m.parameters()].map(([n, p]) => [n, Float32Array.from(p.grad ?? [])]));
  };
  const plain = grads(new Seq2Seq(config, 4));
  await initEngine({ threads: 1 });
  try {
    const installed = currentAttentionStepKernels();
    assert.ok(installed !== null);
    let flushes = 0;
    setAttentionStepKernels({ ...installed, flush: (...x) => { flushes++; return installed.flush(...x); } });
    const m = new Seq2Seq(config, 4);
    const engine = grads(m);
    assert.equal(flushes, 1, 'the steps ran on the session kernels');
    for (const [name, g] of engine) {
      const ref = plain.get(name) as Float32Array;
      let scale = 0;
      for (const x of ref) scale = Math.max(scale, Math.abs(x));
      for (let i = 0; i < g.length; i++) assert.ok(Math.abs((g[i] as number) - (ref[i] as number)) <= 1e-4 * Math.max(scale, 1e-3), `${name}[${i}]: ${g[i]} vs ${ref[i]}`);
    }
    const names = ['decoder.attention.key.weight', 'decoder.attention.query.weight', 'decoder.attention.v', 'decoder.combine.weight', 'decoder.combine.bias', 'decoder.rnn.l0.weight_hh', 'decoder.rnn.l0.bias_hh', 'decoder.rnn.l0.weight_feed', 'encoder.rnn.l0.weight_hh', 'encoder.rnn.l0_reverse.bias_hh'];
    const params = names.map((n) => m.parameters().get(n)).filter((p) => p !== undefined);
    assert.equal(params.length, names.length);
    const r = gradcheck(() => m.loss(batch).loss, params, { eps: 1e-2, rtol: 5e-2, atol: 2e-3, maxPerInput: 6 });
    assert.ok(r.ok, r.report);
  } finally {
    await shutdownEngine();
  }
});
