import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeBatch, makeSourceBatch } from '../../src/data/batch.js';
import { greedy } from '../../src/decode/greedy.js';
import { Adam, clipGradNorm } from '../../src/engine/optim.js';
import { Rng } from '../../src/engine/random.js';
import { Tape, withTape } from '../../src/engine/tensor.js';
import type { RnnModelConfig } from '../../src/model/config.js';
import { Seq2Seq } from '../../src/model/seq2seq.js';
import { tinyConfig } from './helpers.js';

const SYMBOLS = 8; // ids 4..11
const V = 4 + SYMBOLS;

function sequence(rng: Rng): number[] {
  return Array.from({ length: 3 + rng.int(4) }, () => 4 + rng.int(SYMBOLS));
}

/** Train a small model on src -> task(src) with Adam; returns it in inference mode. */
function train(task: (s: number[]) => number[], overrides: Partial<RnnModelConfig>, steps: number): Seq2Seq {
  const config = tinyConfig({ embedding: 16, hidden: 16, attentionHidden: 16, srcVocabSize: V, tgtVocabSize: V, ...overrides });
  const model = new Seq2Seq(config, 1);
  const opt = new Adam(model.parameters(), { lr: 0.01 });
  const rng = new Rng(2);
  const tape = new Tape();
  model.setTraining(true);
  for (let step = 0; step < steps; step++) {
    const pairs = Array.from({ length: 16 }, () => {
      const src = sequence(rng);
      return { src, tgt: task(src) };
    });
    const batch = makeBatch(pairs, pairs.map((_, i) => i));
    opt.zeroGrad();
    const r = withTape(tape, () => model.loss(batch));
    tape.backward(r.loss, 1 / r.ntokens);
    clipGradNorm(model.parameters().values(), 5);
    opt.step();
    tape.reset();
  }
  model.setTraining(false);
  return model;
}

function exactMatch(model: Seq2Seq, task: (s: number[]) => number[]): { accuracy: number; srcs: number[][]; hyps: ReturnType<typeof greedy> } {
  const rng = new Rng(99);
  const srcs = Array.from({ length: 40 }, () => sequence(rng));
  const hyps = greedy(model, makeSourceBatch(srcs));
  const correct = hyps.filter((h, i) => h.tokens.join(' ') === task(srcs[i] as number[]).join(' ')).length;
  return { accuracy: correct / srcs.length, srcs, hyps };
}

const copy = (s: number[]): number[] => [...s];
const reverse = (s: number[]): number[] => [...s].reverse();

/** Fraction of attention rows (real output words) whose argmax is the expected source position. */
function peakFraction(srcs: number[][], hyps: ReturnType<typeof greedy>, expected: (t: number, n: number) => number): number {
  let rows = 0;
  let hits = 0;
  hyps.forEach((h, i) => {
    const n = (srcs[i] as number[]).length;
    for (let t = 0; t < Math.min(n, h.tokens.length); t++) {
      const row = h.attention[t] as Float32Array;
      let best = 0;
      for (let j = 1; j < row.length; j++) if (row[j] > row[best]) best = j;
      rows++;
      if (best === expected(t, n)) hits++;
    }
  });
  return hits / rows;
}

test('a tiny attention model learns to copy, and its attention is diagonal', () => {
  const { accuracy, srcs, hyps } = exactMatch(train(copy, {}, 300), copy);
  assert.ok(accuracy >= 0.85, `copy accuracy ${accuracy}`);
  const diagonal = peakFraction(srcs, hyps, (t) => t);
  assert.ok(diagonal >= 0.9, `only ${diagonal} of the attention rows peak at the same source position`);
});

test('a tiny attention model learns to reverse, and its attention is anti-diagonal', () => {
  const { accuracy, srcs, hyps } = exactMatch(train(reverse, {}, 300), reverse);
  assert.ok(accuracy >= 0.85, `reverse accuracy ${accuracy}`);
  const anti = peakFraction(srcs, hyps, (t, n) => n - 1 - t);
  assert.ok(anti >= 0.9, `only ${anti} of the attention rows peak at the mirrored source position`);
});

test('the fixed-context baseline trains through the same code (loss falls, output has no attention rows)', () => {
  const before = new Seq2Seq(tinyConfig({ attention: 'none', embedding: 16, hidden: 16, srcVocabSize: V, tgtVocabSize: V }), 1);
  const batch = makeBatch([{ src: [4, 5, 6], tgt: [4, 5, 6] }], [0]);
  const model = train(copy, { attention: 'none' }, 60);
  assert.ok(model.loss(batch).nll < before.loss(batch).nll);
  const { hyps } = exactMatch(model, copy);
  for (const h of hyps) assert.deepEqual(h.attention, []);
});
