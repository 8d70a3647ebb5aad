import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { parametersChanged } from '../../src/engine/gemm.js';
import { Rng } from '../../src/engine/random.js';
import { Tape, withTape } from '../../src/engine/tensor.js';
import type { RnnModelConfig } from '../../src/model/config.js';
import { INPUT_TABLE_MAX_FLOATS, type DecoderState, type DecoderStepResult } from '../../src/model/decoder.js';
import { Seq2Seq } from '../../src/model/seq2seq.js';
import { randomBatch, tinyConfig } from './helpers.js';

const identity = <T>(x: T): T => x;

/** The numbers a step gives (state, attentional vector, weights) as plain arrays. */
function numbers(r: DecoderStepResult): number[][] {
  return [...r.state.layers.flatMap((l) => [l.h, ...(l.c === null ? [] : [l.c])]), r.attentional, r.query, r.context, ...(r.weights === null ? [] : [r.weights])].map((t) => Array.from(t.data));
}

/** Largest |a - b| / max(|b|, 0.1) over the numbers of two steps. */
function maxRelDiff(a: number[][], b: number[][]): number {
  let worst = 0;
  a.forEach((xs, i) => xs.forEach((x, j) => {
    const y = (b[i] as number[])[j] as number;
    worst = Math.max(worst, Math.abs(x - y) / Math.max(Math.abs(y), 0.1));
  }));
  return worst;
}

/**
 * Runs `steps` decoder steps on a batch of `rows` sentences two ways, each on its own tape: Decoder.inferStep
 * (the table of every target word's input projection) and step(embedInputs(prev)) as training runs it; both
 * are fed the same previous words, and must give the same bits (`exact`), else agree to rounding.
 */
function compare(config: RnnModelConfig, rows: number, steps: number, label: string, exact = true): void {
  const m = new Seq2Seq(config, 3);
  const rng = new Rng(rows);
  // Biases as after training (not zero): the table's product adds b_ih as a step's product of the same path adds it.
  for (const [name, p] of m.parameters()) if (name.includes('bias')) for (let i = 0; i < p.data.length; i++) p.data[i] = rng.uniform(-0.5, 0.5);
  const lens = Array.from({ length: rows }, (_, i) => 1 + ((i * 5) % 7));
  const batch = randomBatch(rng, lens, lens.map(() => 1), config.srcVocabSize, config.tgtVocabSize);
  const tape = new Tape({ record: false });
  withTape(tape, () => {
    const start = m.startDecoding(batch);
    let a: DecoderState = start.state;
    let b: DecoderState = start.state;
    for (let t = 0; t < steps; t++) {
      const prev = Int32Array.from({ length: rows }, () => rng.int(config.tgtVocabSize));
      const fast = m.decoder.inferStep(prev, a, start.memory);
      assert.ok(fast !== null, `${label}: the table is made`);
      const slow = m.decoder.step(m.decoder.embedInputs(prev, [rows], identity), b, start.memory, identity);
      if (exact) assert.deepEqual(numbers(fast), numbers(slow), `${label}: step ${t}`);
      else assert.ok(maxRelDiff(numbers(fast), numbers(slow)) < 1e-5, `${label}: step ${t}`);
      a = fast.state;
      b = slow.state;
    }
  });
  tape.reset();
}

const variants: Array<[string, Partial<RnnModelConfig>]> = [
  ['GRU, additive, input feeding', { hidden: 32, embedding: 16, attentionHidden: 32, tgtVocabSize: 40 }],
  ['LSTM, 2 layers, general, input feeding', { rnn: 'lstm', layers: 2, attention: 'general', hidden: 16, embedding: 8, tgtVocabSize: 30 }],
  ['GRU, dot, no input feeding', { bidirectional: false, attention: 'dot', inputFeeding: false, hidden: 16, tgtVocabSize: 20 }],
];

test('inferStep gives the bits of step(embedInputs(prev)) without an engine, at any batch size', () => {
  for (const [label, overrides] of variants) {
    for (const rows of [1, 3, 12]) compare(tinyConfig(overrides), rows, 4, `${label}, ${rows} rows`);
  }
});

test('inferStep gives the bits of step(embedInputs(prev)) on the WebAssembly engine for more than a few rows (one thread and a pool)', async () => {
  for (const threads of [1, 2]) {
    await initEngine({ threads });
    try {
      // 12 and 64 rows take the packed GEMM as the table's product does (the same bits); 1 and 3 rows take the
      // few-row path, which adds the bias before the products instead of after: the same up to rounding.
      for (const [label, overrides] of variants) {
        for (const rows of [1, 3, 12, 64]) compare(tinyConfig(overrides), rows, 3, `${label}, ${rows} rows, ${threads} threads`, rows > 8);
      }
    } finally {
      await shutdownEngine();
    }
  }
});

test('inferStep follows weights written in place (parametersChanged) and replaced; Seq2Seq uses it only outside training', () => {
  const config = tinyConfig({ hidden: 16, embedding: 8, tgtVocabSize: 25 });
  const m = new Seq2Seq(config, 5);
  const batch = randomBatch(new Rng(1), [3, 5, 2], [1, 1, 1], config.srcVocabSize, config.tgtVocabSize);
  const prev = Int32Array.from([4, 7, 9]);
  const run = (): { fast: number[][]; slow: number[][] } => {
    const tape = new Tape({ record: false });
    const out = withTape(tape, () => {
      const start = m.startDecoding(batch);
      const fast = m.decoder.inferStep(prev, start.state, start.memory) as DecoderStepResult;
      const slow = m.decoder.step(m.decoder.embedInputs(prev, [3], identity), start.state, start.memory, identity);
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
    const slow = m.decoder.step(m.decoder.embedInputs(prev, [3], identity), start.state, start.memory, identity);
    assert.deepEqual(Array.from(r.state.feed?.data ?? []), Array.from(slow.attentional.data));
  });
  tape.reset();
});

test('no table past INPUT_TABLE_MAX_FLOATS: inferStep gives null and decoding projects each step', () => {
  const hidden = 16;
  const tgtVocabSize = Math.floor(INPUT_TABLE_MAX_FLOATS / (3 * hidden)) + 1;
  const config = tinyConfig({ hidden, embedding: 4, attentionHidden: 4, tgtVocabSize });
  const m = new Seq2Seq(config, 1, { initialize: false });
  const batch = randomBatch(new Rng(3), [2, 3], [1, 1], config.srcVocabSize, config.tgtVocabSize);
  const tape = new Tape({ record: false });
  withTape(tape, () => {
    const start = m.startDecoding(batch);
    assert.equal(m.decoder.inferStep(Int32Array.from([5, 6]), start.state, start.memory), null);
    const r = m.decodeStep(Int32Array.from([5, 6]), start.state, start.memory);
    assert.deepEqual(r.logProbs.shape, [2, tgtVocabSize]);
  });
  tape.reset();
  const small = new Seq2Seq(tinyConfig(), 1);
  const tape2 = new Tape({ record: false });
  withTape(tape2, () => {
    const start = small.startDecoding(randomBatch(new Rng(3), [2], [1], 11, 12));
    assert.throws(() => small.decoder.inferStep(Int32Array.from([12]), start.state, start.memory), /id 12 at position 0 outside \[0, 12\)/);
  });
  tape2.reset();
});
