import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeBatch, makeSourceBatch, type Batch } from '../../../src/data/batch.js';
import { BOS } from '../../../src/data/vocab.js';
import { beamSearch } from '../../../src/decode/beam.js';
import type { StepDecoder } from '../../../src/decode/common.js';
import { greedy } from '../../../src/decode/greedy.js';
import { initEngine, shutdownEngine } from '../../../src/engine/engine.js';
import { gradcheck } from '../../../src/engine/gradcheck.js';
import { logSoftmax } from '../../../src/engine/ops.js';
import { Rng } from '../../../src/engine/random.js';
import { Tape, Tensor, withTape } from '../../../src/engine/tensor.js';
import type { TransformerModelConfig } from '../../../src/model/config.js';
import { Transformer, type TransformerMemory, type TransformerState } from '../../../src/model/transformer/model.js';
import { decodeCheckpoint, encodeCheckpoint } from '../../../src/model/checkpoint.js';
import { loadModel } from '../../../src/model/model.js';
import { randomBatch, testVocab } from '../helpers.js';
import { tinyTransformerConfig } from './helpers.js';

const variants: Array<[string, Partial<TransformerModelConfig>]> = [
  ['pre-norm, sinusoidal, relu, tied target embeddings', {}],
  ['post-norm, learned positions, gelu, untied, 1+3 layers', { norm: 'post', positions: 'learned', activation: 'gelu', tieTargetEmbeddings: false, encoderLayers: 1, decoderLayers: 3 }],
  ['all embeddings tied (joint vocabulary), 4 heads', { tieAllEmbeddings: true, srcVocabSize: 12, heads: 4 }],
];

/** The source ids of row i of a batch (without EOS) and its target ids (without EOS). */
function row(batch: Batch, i: number): { src: number[]; tgt: number[] } {
  const s = batch.srcLengths[i] as number;
  const t = batch.tgtLengths[i] as number;
  return {
    src: Array.from(batch.src.subarray(i * batch.srcLen, i * batch.srcLen + s - 1)),
    tgt: Array.from(batch.tgtOut.subarray(i * batch.tgtLen, i * batch.tgtLen + t - 1)),
  };
}

for (const [label, overrides] of variants) {
  test(`${label}: loss counts real tokens and a padded batch scores each sentence as alone`, () => {
    const config = tinyTransformerConfig(overrides);
    const m = new Transformer(config, 2);
    const batch = randomBatch(new Rng(3), [4, 2, 3], [3, 5, 1], config.srcVocabSize, config.tgtVocabSize);
    const r = m.loss(batch);
    assert.equal(r.ntokens, batch.ntokens);
    assert.ok(Number.isFinite(r.nll) && r.nll > 0);
    assert.ok(Math.abs(r.loss.item() - r.nll) < 1e-3 * r.nll, 'without smoothing the loss is the nll');
    let separate = 0;
    for (let i = 0; i < batch.size; i++) separate += m.loss(makeBatch([row(batch, i)], [0])).nll;
    assert.ok(Math.abs(separate - r.nll) < 1e-4 * r.nll, `batched ${r.nll} vs separate ${separate}`);
  });

  test(`${label}: gradients of the whole model match finite differences`, () => {
    const config = tinyTransformerConfig(overrides);
    const m = new Transformer(config, 4);
    const batch = randomBatch(new Rng(5), [3, 2], [2, 3], config.srcVocabSize, config.tgtVocabSize);
    const r = gradcheck(() => m.loss(batch).loss, [...m.parameters().values()], { eps: 1e-2, rtol: 5e-2, atol: 2e-3, maxPerInput: 4 });
    assert.ok(r.ok, r.report);
  });

  test(`${label}: cached incremental decoding gives what recomputing the whole prefix every step gives`, () => {
    const config = tinyTransformerConfig(overrides);
    const m = new Transformer(config, 6);
    const srcs = [[4, 5, 6, 7, 8], [9, 4], [5, 5, 6]];
    const hyps = greedy(m, makeSourceBatch(srcs), { maxLen: 7 });
    srcs.forEach((src, i) => {
      const h = hyps[i];
      assert.ok(h !== undefined);
      // Uncached: at each step the full teacher-forced pass over BOS + the words so far.
      const words: number[] = [];
      let score = 0;
      for (let step = 0; step < 7; step++) {
        const batch = makeBatch([{ src, tgt: words }], [0]); // tgtIn = BOS w1 .. wn
        const { decoded } = m.inferenceMode(() => m.forward(batch));
        const last = decoded.states.data.subarray(step * config.dModel, (step + 1) * config.dModel);
        const logits = m.decoder.logits(new Tensor(Float32Array.from(last), [1, config.dModel]));
        const lp = logSoftmax(logits).data;
        let best = -1;
        for (let j = 0; j < config.tgtVocabSize; j++) if (j !== 0 && j !== BOS && (best < 0 || (lp[j] as number) > (lp[best] as number))) best = j;
        score += lp[best] as number;
        if (best === 3) break;
        words.push(best);
      }
      assert.deepEqual(h.tokens, words, `sentence ${i}`);
      assert.ok(Math.abs(h.score - score) < 1e-4, `sentence ${i}: cached score ${h.score}, uncached ${score}`);
    });
  });
}

test('beam search with beam 1 is greedy decoding, on the WebAssembly engine too', async () => {
  const config = tinyTransformerConfig();
  const m = new Transformer(config, 8);
  const batch = makeSourceBatch([[4, 5, 6], [7], [8, 9, 10, 4, 5, 6, 7], [6, 6]]);
  const check = (): void => {
    const g = greedy(m, batch, { maxLen: 9 });
    const b = beamSearch(m, batch, { beamSize: 1, alpha: 0, maxLen: 9 });
    g.forEach((h, i) => {
      const bh = b[i]?.[0];
      assert.ok(bh !== undefined);
      assert.deepEqual(bh.tokens, h.tokens);
      assert.ok(Math.abs(bh.score - h.score) < 1e-5);
      assert.deepEqual(bh.attention.map((r) => Array.from(r)), h.attention.map((r) => Array.from(r)));
    });
  };
  check();
  await initEngine({ threads: 1 });
  try {
    check();
  } finally {
    await shutdownEngine();
  }
});

/** Σ log p(token) of `tokens` (then EOS when `eos`) given src, by one teacher-forced pass. */
function rescore(m: Transformer, src: number[], tokens: number[], eos: boolean): number {
  const batch = makeBatch([{ src, tgt: tokens }], [0]);
  const { decoded } = m.inferenceMode(() => m.forward(batch));
  const v = m.config.tgtVocabSize;
  const lp = logSoftmax(m.decoder.logits(new Tensor(decoded.states.data.slice(), [batch.tgtLen, m.config.dModel]))).data;
  let score = 0;
  const steps = eos ? tokens.length + 1 : tokens.length;
  for (let t = 0; t < steps; t++) score += lp[t * v + (batch.tgtOut[t] as number)] as number;
  return score;
}

test('beam search reorders the key/value cache by backpointer: every hypothesis scores what the model gives its words', () => {
  const config = tinyTransformerConfig();
  const m = new Transformer(config, 10);
  const srcs = [[4, 5, 6, 7], [8, 9], [10, 4, 4]];
  const b = beamSearch(m, makeSourceBatch(srcs), { beamSize: 4, alpha: 0, maxLen: 6, nbest: 4 });
  let checked = 0;
  b.forEach((list, i) => {
    assert.equal(list.length, 4);
    for (const h of list) {
      const want = rescore(m, srcs[i] as number[], h.tokens, h.finished);
      assert.ok(Math.abs(want - h.score) < 1e-4, `sentence ${i} ${h.tokens.join(' ')}: beam score ${h.score}, rescored ${want}`);
      checked++;
    }
  });
  assert.equal(checked, 12);
});

test('decodeStep: log-probabilities sum to 1; weights (N, S) are the head mean of the alignment layer, 0 on padding', () => {
  const config = tinyTransformerConfig({ decoderLayers: 3 });
  const m = new Transformer(config, 1);
  assert.equal(m.alignmentLayer, 1, 'the penultimate decoder layer by default');
  const batch = makeSourceBatch([[4, 5, 6, 7], [8]]);
  const decoder: StepDecoder<TransformerState, TransformerMemory> = m;
  const start = decoder.startDecoding(batch);
  const r = m.decodeStep(Int32Array.from([BOS, BOS]), start.state, start.memory);
  for (let i = 0; i < 2; i++) {
    let p = 0;
    for (let j = 0; j < config.tgtVocabSize; j++) p += Math.exp(r.logProbs.data[i * config.tgtVocabSize + j] as number);
    assert.ok(Math.abs(p - 1) < 1e-5);
  }
  assert.deepEqual(r.weights.shape, [2, 5]);
  assert.deepEqual(Array.from(r.weights.data.subarray(5 + 2)), [0, 0, 0], 'source padding gets exactly 0');
  const cross = r.attention.cross[1];
  assert.ok(cross !== undefined);
  assert.deepEqual(cross.shape, [2, 2, 1, 5]);
  for (let j = 0; j < 5; j++) {
    const mean = ((cross.data[j] as number) + (cross.data[5 + j] as number)) / 2;
    assert.ok(Math.abs(mean - (r.weights.data[j] as number)) < 1e-7);
  }
  assert.equal(r.attention.self.length, 3);
  assert.equal(start.memory.encoderSelf.length, 2);
});

test('padding gets exactly zero attention in every layer and head: encoder self, cross, and no decoder position sees a later one', () => {
  const config = tinyTransformerConfig({ heads: 4 });
  const m = new Transformer(config, 3);
  const batch = randomBatch(new Rng(4), [5, 2, 3], [4, 1, 2], config.srcVocabSize, config.tgtVocabSize);
  const all = m.forcedAttentionAll(batch);
  const [b, h, s] = [3, 4, batch.srcLen];
  const t = batch.tgtLen;
  for (const w of all.encoderSelf) {
    for (let i = 0; i < b; i++) for (let head = 0; head < h; head++) for (let q = 0; q < s; q++) for (let k = batch.srcLengths[i] as number; k < s; k++) {
      assert.equal(w.data[((i * h + head) * s + q) * s + k], 0);
    }
  }
  for (const w of all.cross) {
    for (let i = 0; i < b; i++) for (let head = 0; head < h; head++) for (let q = 0; q < t; q++) for (let k = batch.srcLengths[i] as number; k < s; k++) {
      assert.equal(w.data[((i * h + head) * t + q) * s + k], 0);
    }
  }
  for (const w of all.decoderSelf) {
    for (let i = 0; i < b; i++) for (let head = 0; head < h; head++) for (let q = 0; q < t; q++) for (let k = q + 1; k < t; k++) {
      assert.equal(w.data[((i * h + head) * t + q) * t + k], 0);
    }
  }
  // And changing a padding id changes nothing.
  const other = { ...batch, src: batch.src.slice() };
  other.src[1 * batch.srcLen + 3] = 7; // row 1 has length 3 (2 words + EOS): position 3 is padding
  assert.equal(m.loss(other).nll, m.loss(batch).nll);
});

test('forcedAttention: one row per target token (EOS included) over the real source tokens, each summing to 1', () => {
  const config = tinyTransformerConfig();
  const m = new Transformer(config, 5);
  const batch = randomBatch(new Rng(6), [4, 2], [3, 1], config.srcVocabSize, config.tgtVocabSize);
  const rows = m.forcedAttention(batch);
  assert.deepEqual(rows.map((r) => r.length), [4, 2]);
  assert.deepEqual(rows.map((r) => r[0]?.length), [5, 3]);
  for (const r of rows.flat()) assert.ok(Math.abs(r.reduce((a, x) => a + x, 0) - 1) < 1e-5);
});

test('dropout only in training mode; backward fills every parameter gradient', () => {
  const config = tinyTransformerConfig({ dropout: 0.3, attentionDropout: 0.2 });
  const m = new Transformer(config, 1);
  const batch = randomBatch(new Rng(2), [4, 3], [3, 2], config.srcVocabSize, config.tgtVocabSize);
  const evalLoss = m.loss(batch).nll;
  assert.equal(m.loss(batch).nll, evalLoss);
  m.setTraining(true);
  const tape = new Tape();
  const r = withTape(tape, () => m.loss(batch));
  assert.notEqual(r.nll, evalLoss);
  tape.backward(r.loss);
  for (const [name, p] of m.parameters()) {
    assert.ok(p.grad !== null && p.grad.some((x) => x !== 0), `${name} has no gradient`);
  }
  tape.reset();
});

test('config errors name the key: heads must divide dModel, the alignment layer must exist', () => {
  assert.throws(() => tinyTransformerConfig({ dModel: 10, heads: 4 }), /heads \(4\) must divide dModel \(10\)/);
  assert.throws(() => tinyTransformerConfig({ alignmentLayer: 2 }), /alignmentLayer \(2\) must be a decoder layer, 0\.\.1/);
  assert.throws(() => tinyTransformerConfig({ tieAllEmbeddings: true }), /tieAllEmbeddings needs one joint vocabulary \(data\.jointVocab: true\)/);
});

test('checkpoint round trip: the same config, parameters, loss and translations; a wrong shape is named', () => {
  const config = tinyTransformerConfig({ positions: 'learned', maxPositions: 20, alignmentLayer: 0 });
  const m = new Transformer(config, 12);
  const c = {
    config, srcVocab: testVocab(11, 's'), tgtVocab: testVocab(12, 't'), tokenizer: { kind: 'word', lowercase: true }, params: m.parameters(),
  };
  const decoded = decodeCheckpoint(encodeCheckpoint(c), 'tiny.safetensors');
  assert.deepEqual(decoded.config, config);
  const loaded = loadModel(decoded);
  assert.ok(loaded instanceof Transformer);
  const batch = randomBatch(new Rng(13), [4, 2], [3, 5], config.srcVocabSize, config.tgtVocabSize);
  assert.equal(loaded.loss(batch).nll, m.loss(batch).nll);
  const srcs = makeSourceBatch([[4, 5, 6], [7, 8]]);
  assert.deepEqual(greedy(loaded, srcs).map((h) => h.tokens), greedy(m, srcs).map((h) => h.tokens));
  const wrong = { ...c, config: { ...config, ffn: 16 } };
  assert.throws(() => decodeCheckpoint(encodeCheckpoint(wrong), 'wrong.safetensors'), /wrong\.safetensors: weights do not match the config:[\s\S]*'encoder\.layers\.0\.ffn\.in\.weight' has shape \[8, 12\], the config needs \[8, 16\]/);
});
