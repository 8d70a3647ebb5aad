import assert from 'node:assert/strict';
import { test } from 'node:test';
import { enginePoolJobs, initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { forcePoolChoice } from '../../src/engine/pool-choice.js';
import { parametersChanged } from '../../src/engine/gemm.js';
import { dequantizeMatrix, int8Of, registerInt8 } from '../../src/engine/int8.js';
import { Rng } from '../../src/engine/random.js';
import { Tape, Tensor, withTape } from '../../src/engine/tensor.js';
import { SMALL_M } from '../../src/engine/wasm.js';
import type { RnnModelConfig } from '../../src/model/config.js';
import { INPUT_TABLE_AFTER, INPUT_TABLE_MAX_FLOATS, type DecoderState, type DecoderStepResult } from '../../src/model/decoder.js';
import { quantizeParameters } from '../../src/model/quantize.js';
import { Seq2Seq } from '../../src/model/seq2seq.js';
import { randomBatch, tinyConfig } from './helpers.js';

const identity = <T>(x: T): T => x;

/** The numbers a step gives (state, attentional vector, weights) as plain arrays. */
function numbers(r: DecoderStepResult): number[][] {
  return [...r.state.layers.flatMap((l) => [l.h, ...(l.c === null ? [] : [l.c])]), r.attentional, r.query, r.context, ...(r.weights === null ? [] : [r.weights])].map((t) => Array.from(t.data));
}

/**
 * Runs `steps` decoder steps on a batch of `rows` sentences two ways, each on its own tape: Decoder.inferStep
 * (the table of every target word's input projection) and step(embedInputs(prev)) as training runs it; both
 * are fed the same previous words and must give the same bits. With `int8`, the products with the decoder's
 * W_ih (and the other large matrices) take the int8 GEMM. Float steps of at most SMALL_M rows give null.
 */
function compare(config: RnnModelConfig, rows: number, steps: number, label: string, int8 = false): void {
  const m = new Seq2Seq(config, 3);
  const rng = new Rng(rows);
  if (int8) {
    for (const [name, q] of quantizeParameters(m.parameters())) {
      const p = m.parameters().get(name) as Tensor;
      p.data.set(dequantizeMatrix(q));
      registerInt8(p.data, q);
    }
    assert.ok(int8Of((m.parameters().get('decoder.rnn.l0.weight_ih') as Tensor).data) !== undefined, `${label}: W_ih is int8`);
  }
  // Biases as after training (not zero): the table's product adds b_ih as a step's product of the same path adds it.
  for (const [name, p] of m.parameters()) if (name.includes('bias')) for (let i = 0; i < p.data.length; i++) p.data[i] = rng.uniform(-0.5, 0.5);
  const lens = Array.from({ length: rows }, (_, i) => 1 + ((i * 5) % 7));
  const batch = randomBatch(rng, lens, lens.map(() => 1), config.srcVocabSize, config.tgtVocabSize);
  const tape = new Tape({ record: false });
  withTape(tape, () => {
    const start = m.startDecoding(batch);
    let a: DecoderState = start.state;
    let b: DecoderState = start.state;
    let projected = 0;
    let tableSteps = 0;
    for (let t = 0; t < steps; t++) {
      const prev = Int32Array.from({ length: rows }, () => rng.int(config.tgtVocabSize));
      const fast = m.decoder.inferStep(prev, a, start.memory);
      const slow = m.decoder.step(m.decoder.embedInputs(prev, [rows], identity), b, start.memory, identity);
      if (!int8 && rows <= SMALL_M) {
        assert.equal(fast, null, `${label}: few rows project their own`);
        a = b = slow.state;
        continue;
      }
      projected += rows;
      if (projected < INPUT_TABLE_AFTER * config.tgtVocabSize) {
        assert.equal(fast, null, `${label}: step ${t}, the table does not pay yet`);
        a = b = slow.state;
        continue;
      }
      assert.ok(fast !== null, `${label}: step ${t}, the table is made`);
      tableSteps++;
      assert.deepEqual(numbers(fast), numbers(slow), `${label}: step ${t}`);
      a = fast.state;
      b = slow.state;
    }
    if (int8 || rows > SMALL_M) assert.ok(tableSteps >= 2, `${label}: steps on the table`);
  });
  tape.reset();
}

// Vocabularies of at most 4 x 12 words: the table is made at the first step of 12 rows (INPUT_TABLE_AFTER).
const variants: Array<[string, Partial<RnnModelConfig>]> = [
  ['GRU, additive, input feeding', { hidden: 32, embedding: 16, attentionHidden: 32, tgtVocabSize: 40 }],
  ['LSTM, 2 layers, general, input feeding', { rnn: 'lstm', layers: 2, attention: 'general', hidden: 16, embedding: 8, tgtVocabSize: 30 }],
  ['GRU, dot, no input feeding', { bidirectional: false, attention: 'dot', inputFeeding: false, hidden: 16, tgtVocabSize: 20 }],
];

test('inferStep gives the bits of step(embedInputs(prev)) without an engine; steps of a few rows give null', () => {
  assert.ok(INPUT_TABLE_AFTER * 40 <= 12);
  for (const [label, overrides] of variants) {
    for (const rows of [1, 3, 12]) compare(tinyConfig(overrides), rows, 4, `${label}, ${rows} rows`);
  }
});

test('inferStep gives the bits of step(embedInputs(prev)) on the WebAssembly engine (one thread and a pool), int8 at any batch size', async () => {
  for (const threads of [1, 2]) {
    await initEngine({ threads });
    try {
      // 12 and 64 rows take the packed GEMM as the table's product does; 1 and 3 rows (the few-row path) give null.
      for (const [label, overrides] of variants) {
        for (const rows of [1, 3, 12, 64]) compare(tinyConfig(overrides), rows, 3, `${label}, ${rows} rows, ${threads} threads`);
      }
      // int8: hidden 128, so W_ih (16 x 384) and W_feed (128 x 384) are large enough to be quantized.
      const big = { hidden: 128, embedding: 16, attentionHidden: 32, tgtVocabSize: 40 };
      for (const rows of [1, 3, 12, 64]) compare(tinyConfig(big), rows, 12, `int8, ${rows} rows, ${threads} threads`, true);
    } finally {
      await shutdownEngine();
    }
  }
});

test('inferStep runs the feed and recurrent products as a pair on the pool with the bits of step(embedInputs(prev))', async () => {
  await initEngine({ threads: 4 });
  try {
    for (const choice of ['pool', 'alone'] as const) {
      forcePoolChoice(choice);
      const before = enginePoolJobs();
      for (const rows of [12, 64]) compare(tinyConfig(variants[0]?.[1]), rows, 3, `pair forced ${choice}, ${rows} rows`);
      if (choice === 'pool') assert.ok(enginePoolJobs() > before, 'the pool ran jobs');
    }
  } finally {
    forcePoolChoice(null);
    await shutdownEngine();
  }
});

test('the table is made once the steps since the weights last changed projected Vt x INPUT_TABLE_AFTER rows', () => {
  const config = tinyConfig({ hidden: 16, embedding: 8, tgtVocabSize: 200 });
  const m = new Seq2Seq(config, 2);
  const rng = new Rng(5);
  const lens = Array.from({ length: 12 }, (_, i) => 1 + (i % 4));
  const batch = randomBatch(rng, lens, lens.map(() => 1), config.srcVocabSize, config.tgtVocabSize);
  const made = (): boolean[] => {
    const tape = new Tape({ record: false });
    const out: boolean[] = [];
    withTape(tape, () => {
      const start = m.startDecoding(batch);
      let state = start.state;
      for (let t = 0; t < 6; t++) {
        const prev = Int32Array.from({ length: 12 }, () => rng.int(config.tgtVocabSize));
        const r = m.decoder.inferStep(prev, state, start.memory);
        out.push(r !== null);
        state = (r ?? m.decoder.step(m.decoder.embedInputs(prev, [12], identity), state, start.memory, identity)).state;
      }
    });
    tape.reset();
    return out;
  };
  // 200 x 0.25 = 50 rows: four steps of 12 rows project their own, the fifth makes the table.
  assert.deepEqual(made(), [false, false, false, false, true, true]);
  assert.deepEqual(made(), [true, true, true, true, true, true]);
  parametersChanged();
  assert.deepEqual(made(), [false, false, false, false, true, true]);
});

test('inferStep follows weights written in place (parametersChanged) and replaced; Seq2Seq uses it only outside training', () => {
  const config = tinyConfig({ hidden: 16, embedding: 8, tgtVocabSize: 25 });
  const m = new Seq2Seq(config, 5);
  const batch = randomBatch(new Rng(1), [3, 5, 2, 4, 1, 6, 2, 3, 5, 4, 2, 1], Array<number>(12).fill(1), config.srcVocabSize, config.tgtVocabSize);
  const prev = Int32Array.from([4, 7, 9, 5, 6, 11, 20, 4, 8, 13, 24, 17]);
  const run = (): { fast: number[][]; slow: number[][] } => {
    const tape = new Tape({ record: false });
    const out = withTape(tape, () => {
      const start = m.startDecoding(batch);
      const fast = m.decoder.inferStep(prev, start.state, start.memory) as DecoderStepResult;
      const slow = m.decoder.step(m.decoder.embedInputs(prev, [12], identity), start.state, start.memory, identity);
      return { fast: numbers(fast), slow: numbers(slow) };
    });
    tape.reset();
    return out;
  };
  const before = run();
  assert.deepEqual(before.fast, before.slow);
  for (const name of ['decoder.embedding.weight', 'decoder.rnn.l0.weight_ih', 'decoder.rnn.l0.bias_ih']) {
    const p = m.parameters().get(name);
    assert.ok(p !== undefined);
    for (let i = 0; i < p.data.length; i++) p.data[i] = (p.data[i] as number) * 0.5 + 0.01;
    parametersChanged();
    const after = run();
    assert.deepEqual(after.fast, after.slow, `after writing ${name}`);
    assert.notDeepEqual(after.fast, before.fast, `${name} changed the step`);
  }
  // Seq2Seq's inference methods give the numbers of the training path's step.
  const tape = new Tape({ record: false });
  withTape(tape, () => {
    const start = m.startDecoding(batch);
    const r = m.decodeStep(prev, start.state, start.memory);
    const slow = m.decoder.step(m.decoder.embedInputs(prev, [12], identity), start.state, start.memory, identity);
    assert.deepEqual(Array.from(r.state.feed?.data ?? []), Array.from(slow.attentional.data));
  });
  tape.reset();
});

test('no table past INPUT_TABLE_MAX_FLOATS: inferStep gives null and decoding projects each step', () => {
  const hidden = 16;
  const tgtVocabSize = Math.floor(INPUT_TABLE_MAX_FLOATS / (3 * hidden)) + 1;
  const config = tinyConfig({ hidden, embedding: 4, attentionHidden: 4, tgtVocabSize });
  const m = new Seq2Seq(config, 1, { initialize: false });
  const batch = randomBatch(new Rng(3), Array<number>(12).fill(2), Array<number>(12).fill(1), config.srcVocabSize, config.tgtVocabSize);
  const prev = new Int32Array(12).fill(5);
  const tape = new Tape({ record: false });
  withTape(tape, () => {
    const start = m.startDecoding(batch);
    for (let t = 0; t < 3; t++) assert.equal(m.decoder.inferStep(prev, start.state, start.memory), null);
    const r = m.decodeStep(prev, start.state, start.memory);
    assert.deepEqual(r.logProbs.shape, [12, tgtVocabSize]);
  });
  tape.reset();
  const small = new Seq2Seq(tinyConfig(), 1);
  const tape2 = new Tape({ record: false });
  withTape(tape2, () => {
    const start = small.startDecoding(randomBatch(new Rng(3), Array<number>(12).fill(2), Array<number>(12).fill(1), 11, 12));
    const bad = new Int32Array(12).fill(4);
    bad[7] = 12;
    assert.throws(() => small.decoder.inferStep(bad, start.state, start.memory), /id 12 at position 7 outside \[0, 12\)/);
  });
  tape2.reset();
});
