import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeBatch, makeSourceBatch } from '../../src/data/batch.js';
import { BOS, EOS, PAD } from '../../src/data/vocab.js';
import { beamSearch } from '../../src/decode/beam.js';
import { InferenceArena, lengthPenalty, type StepDecoder } from '../../src/decode/common.js';
import { greedy } from '../../src/decode/greedy.js';
import { Rng } from '../../src/engine/random.js';
import type { RnnModelConfig } from '../../src/model/config.js';
import { Seq2Seq } from '../../src/model/seq2seq.js';
import { tinyConfig } from '../model/helpers.js';

/** A random (untrained) model: its sentences stop at different steps, some only at the length limit. */
function model(overrides: Partial<RnnModelConfig>, seed: number): Seq2Seq {
  return new Seq2Seq(tinyConfig({ tgtVocabSize: 9, ...overrides }), seed);
}

function sources(seed: number, n: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: 1 + rng.int(6) }, () => 4 + rng.int(7)));
}

const configs: Array<[string, Partial<RnnModelConfig>]> = [
  ['additive GRU', {}],
  ['general LSTM 2 layers', { rnn: 'lstm', layers: 2, attention: 'general' }],
  ['dot, no input feeding', { attention: 'dot', inputFeeding: false }],
  ['fixed-context baseline', { attention: 'none' }],
];

for (const [label, overrides] of configs) {
  test(`${label}: beam search with beam size 1 gives exactly the greedy output`, () => {
    const lengths = new Set<number>();
    for (let seed = 1; seed <= 3; seed++) {
      const m = model(overrides, seed);
      const batch = makeSourceBatch(sources(seed, 7));
      const g = greedy(m, batch, { maxLenRatio: 1.5 });
      const b = beamSearch(m, batch, { beamSize: 1, maxLenRatio: 1.5 });
      assert.equal(g.length, 7);
      b.forEach((list, i) => {
        const gi = g[i];
        assert.equal(list.length, 1);
        assert.deepEqual(list[0]?.tokens, gi?.tokens, `sentence ${i}`);
        assert.equal(list[0]?.score, gi?.score);
        assert.equal(list[0]?.finished, gi?.finished);
        assert.deepEqual(list[0]?.attention, gi?.attention);
        lengths.add(gi?.tokens.length ?? -1);
      });
    }
    assert.ok(lengths.size >= 3, `sentences should stop at different steps, got lengths ${[...lengths]}`);
  });
}

test('greedy: scores are the teacher-forced log-probabilities; attention rows cover the real source only', () => {
  const m = model({}, 4);
  const srcs = sources(4, 6);
  const hyps = greedy(m, makeSourceBatch(srcs), { maxLen: 8 });
  hyps.forEach((h, i) => {
    const src = srcs[i] as number[];
    assert.ok(h.tokens.length <= 8);
    assert.ok(!h.tokens.includes(PAD) && !h.tokens.includes(BOS), 'PAD and BOS are never output');
    assert.equal(h.attention.length, h.tokens.length + (h.finished ? 1 : 0));
    for (const row of h.attention) {
      assert.equal(row.length, src.length + 1);
      assert.ok(Math.abs(row.reduce((s, x) => s + x, 0) - 1) < 1e-5);
    }
    if (h.finished) {
      const nll = m.loss(makeBatch([{ src, tgt: h.tokens }], [0])).nll;
      assert.ok(Math.abs(nll + h.score) < 1e-4 * Math.max(1, nll), `sentence ${i}: ${-nll} vs ${h.score}`);
    }
  });
});

test('beam search: n-best lists ranked by the length-normalized score, distinct, scores match teacher forcing', () => {
  const m = model({ attention: 'general' }, 5);
  const srcs = sources(5, 5);
  const lists = beamSearch(m, makeSourceBatch(srcs), { beamSize: 4, nbest: 3, alpha: 0.7, maxLenRatio: 2 });
  lists.forEach((list, i) => {
    assert.ok(list.length >= 1 && list.length <= 3);
    for (let j = 1; j < list.length; j++) assert.ok((list[j - 1]?.normScore ?? 0) >= (list[j]?.normScore ?? 0));
    assert.equal(new Set(list.map((h) => h.tokens.join(' '))).size, list.length);
    for (const h of list) {
      const steps = h.tokens.length + (h.finished ? 1 : 0);
      assert.ok(Math.abs(h.normScore - h.score / lengthPenalty(steps, 0.7)) < 1e-9);
      assert.equal(h.attention.length, steps);
      for (const row of h.attention) assert.equal(row.length, (srcs[i] as number[]).length + 1);
      if (h.finished) {
        const nll = m.loss(makeBatch([{ src: srcs[i] as number[], tgt: h.tokens }], [0])).nll;
        assert.ok(Math.abs(nll + h.score) < 1e-4 * Math.max(1, nll), `sentence ${i}: ${-nll} vs ${h.score}`);
      }
    }
  });
});

test('beam search with a wider beam never finds a worse best raw score than greedy here', () => {
  const m = model({}, 6);
  const batch = makeSourceBatch(sources(6, 6));
  const g = greedy(m, batch, { maxLen: 6 });
  const b = beamSearch(m, batch, { beamSize: 6, alpha: 0, maxLen: 6 });
  b.forEach((list, i) => {
    if (g[i]?.finished) assert.ok((list[0]?.score ?? -Infinity) >= (g[i]?.score ?? 0) - 1e-9, `sentence ${i}`);
  });
});

test('decoding leaves the training mode alone and gives the same output twice (pooled buffers reused)', () => {
  const m = model({ dropout: 0.5 }, 7);
  m.setTraining(true);
  const batch = makeSourceBatch(sources(7, 4));
  const a = beamSearch(m, batch, { beamSize: 3, nbest: 2 });
  const b = beamSearch(m, batch, { beamSize: 3, nbest: 2 });
  assert.deepEqual(a, b);
  assert.equal(m.isTraining, true);
  assert.throws(() => beamSearch(m, batch, { beamSize: 2, nbest: 3 }), /nbest must be in 1\.\.beamSize/);
  assert.throws(() => greedy(m, batch, { maxLen: 0 }), /maxLen must be/);
});

test('length penalty: ((5 + len) / 6)^alpha', () => {
  assert.equal(lengthPenalty(1, 0.6), 1);
  assert.ok(Math.abs(lengthPenalty(7, 0.5) - Math.sqrt(2)) < 1e-12);
  assert.equal(lengthPenalty(30, 0), 1);
});

test('decoder steps on the inference arena reuse their buffers: memory stops growing after the first steps', () => {
  const m = model({}, 8);
  const batch = makeSourceBatch(sources(8, 5));
  const arena = new InferenceArena();
  const start = arena.inBatch(() => m.initDecoder(m.encode(batch.src, batch.srcLengths, batch.size, batch.srcLen)));
  let state = start.state;
  const prev = new Int32Array(batch.size).fill(BOS);
  const held: number[] = [];
  for (let step = 0; step < 12; step++) {
    state = arena.nextStep(() => m.decodeStep(prev, state, start.memory)).state;
    held.push(arena.heldFloats());
  }
  assert.equal(held[11], held[3], `held floats per step: ${held.join(' ')}`);
  arena.reset();
});

/** decodeStep + argmaxRow only: the model seen without its greedyStep. */
function withoutGreedyStep<S, M>(m: StepDecoder<S, M>): StepDecoder<unknown, unknown> {
  return {
    inferenceMode: (fn) => m.inferenceMode(fn),
    startDecoding: (b) => m.startDecoding(b),
    decodeStep: (prev, state, memory) => m.decodeStep(prev, state as S, memory as M),
    selectState: (state, rows) => m.selectState(state as S, rows),
    selectMemory: (memory, rows) => m.selectMemory(memory as M, rows),
  };
}

test("greedy through the model's greedyStep (fused output layer) gives exactly decodeStep + argmaxRow's tokens, scores and attention (RNN; Transformer with a tied and an own output layer)", async () => {
  const { initEngine, shutdownEngine } = await import('../../src/engine/engine.js');
  const { Transformer } = await import('../../src/model/transformer/model.js');
  const { tinyTransformerConfig } = await import('../model/transformer/helpers.js');
  for (const threads of [0, 1, 2]) {
    if (threads > 0) await initEngine({ threads });
    try {
      // 300 target words: the engine's kernel runs (rows of 256 or more); sentences end at different steps.
      // The EOS bias makes EOS a little likelier: some sentences end early, some at the limit.
      const models: Array<[string, StepDecoder<unknown, unknown>, Map<string, { data: Float32Array }>, number]> = [];
      const rnn = new Seq2Seq(tinyConfig({ tgtVocabSize: 300, hidden: 16, embedding: 8, attentionHidden: 12 }), 5);
      models.push(['rnn', rnn, rnn.parameters(), 0.01]);
      for (const tie of [true, false]) {
        const t = new Transformer(tinyTransformerConfig({ srcVocabSize: 40, tgtVocabSize: 300, dModel: 16, ffn: 24, tieTargetEmbeddings: tie }), 5);
        assert.equal(t.parameters().has('decoder.output.weight'), !tie);
        models.push([`transformer${tie ? ' (tied)' : ''}`, t, t.parameters(), tie ? 1 : 0.6]);
      }
      for (const [name, m, params, eosBias] of models) {
        const bias = params.get('decoder.output.bias');
        if (bias !== undefined) bias.data[EOS] = eosBias;
        const plain = withoutGreedyStep(m);
        assert.ok(m.greedyStep !== undefined);
        assert.equal(plain.greedyStep, undefined);
        for (const n of [1, 5, 40]) {
          const batch = makeSourceBatch(sources(11 + n, n));
          const fast = greedy(m, batch, { maxLenRatio: 3 });
          const slow = greedy(plain, batch, { maxLenRatio: 3 });
          assert.deepEqual(fast, slow, `${name}, ${threads} thread(s), batch ${n}`);
          if (n === 40) {
            assert.ok(fast.some((h) => h.finished) && fast.some((h) => !h.finished), `${name}: some sentences end with EOS, some at the limit`);
            assert.ok(new Set(fast.map((h) => h.tokens.length)).size > 3, `${name}: sentences end at different steps`);
          }
        }
      }
    } finally {
      if (threads > 0) await shutdownEngine();
    }
  }
});

test('additive attention keeps an engine session after rows are selected (greedy drops finished sentences, beam search): the bits of the stateless op', async () => {
  const { initEngine, shutdownEngine } = await import('../../src/engine/engine.js');
  const { ATTENTION_SESSION_MIN, currentAttentionStepKernels, setAttentionStepKernels } = await import('../../src/engine/fused/attention.js');
  await initEngine({ threads: 1 });
  try {
    const installed = currentAttentionStepKernels();
    assert.ok(installed !== null);
    // attentionHidden 128, sources of 4 to 12 words: 40 rows and most of the rows left after a selection are past ATTENTION_SESSION_MIN.
    const m = new Seq2Seq(tinyConfig({ tgtVocabSize: 300, hidden: 16, embedding: 8, attentionHidden: 128 }), 5);
    const bias = m.parameters().get('decoder.output.bias');
    if (bias !== undefined) bias.data[EOS] = 0.01;
    const rng = new Rng(4);
    const batch = makeSourceBatch(Array.from({ length: 40 }, () => Array.from({ length: 4 + rng.int(9) }, () => 4 + rng.int(7))));
    const sizes = new Set<number>();
    setAttentionStepKernels({ ...installed, scores: (sh, ...rest) => { sizes.add(sh.batch); return installed.scores(sh, ...rest); } });
    const withSession = { greedy: greedy(m, batch, { maxLenRatio: 2 }), beam: beamSearch(m, makeSourceBatch(sources(3, 8)), { beamSize: 4 }) };
    assert.ok([...sizes].some((n) => n < 40 && n * batch.srcLen * 128 >= ATTENTION_SESSION_MIN), `the session ran after a selection (row counts ${[...sizes].join(', ')})`);
    assert.ok([...sizes].some((n) => n === 32), 'beam search: 8 sentences x 4 hypotheses on the session');
    setAttentionStepKernels(null); // every step on the stateless op
    const stateless = { greedy: greedy(m, batch, { maxLenRatio: 2 }), beam: beamSearch(m, makeSourceBatch(sources(3, 8)), { beamSize: 4 }) };
    assert.deepEqual(withSession, stateless);
  } finally {
    await shutdownEngine();
  }
});
