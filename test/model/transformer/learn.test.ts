import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeBatch, makeSourceBatch } from '../../../src/data/batch.js';
import { greedy } from '../../../src/decode/greedy.js';
import { initEngine, shutdownEngine } from '../../../src/engine/engine.js';
import { Adam, clipGradNorm } from '../../../src/engine/optim.js';
import { Rng } from '../../../src/engine/random.js';
import { Tape, withTape } from '../../../src/engine/tensor.js';
import { Transformer } from '../../../src/model/transformer/model.js';
import { inverseSqrtLr } from '../../../src/train/schedule.js';
import { tinyTransformerConfig } from './helpers.js';

const SYMBOLS = 8; // ids 4..11
const V = 4 + SYMBOLS;

function sequence(rng: Rng): number[] {
  return Array.from({ length: 3 + rng.int(4) }, () => 4 + rng.int(SYMBOLS));
}

/** Train a small Transformer on src -> task(src) with Adam and the inverse-sqrt schedule; returns it in inference mode. */
function train(task: (s: number[]) => number[], steps: number): Transformer {
  const config = tinyTransformerConfig({ dModel: 32, heads: 4, ffn: 64, srcVocabSize: V, tgtVocabSize: V, dropout: 0.1, attentionDropout: 0 });
  const model = new Transformer(config, 1);
  const opt = new Adam(model.parameters(), { lr: 0, beta2: 0.98 });
  const rng = new Rng(2);
  const tape = new Tape();
  model.setTraining(true);
  for (let step = 0; step < steps; step++) {
    const pairs = Array.from({ length: 32 }, () => {
      const src = sequence(rng);
      return { src, tgt: task(src) };
    });
    const batch = makeBatch(pairs, pairs.map((_, i) => i));
    opt.zeroGrad();
    const r = withTape(tape, () => model.loss(batch, { labelSmoothing: 0.1 }));
    tape.backward(r.loss, 1 / r.ntokens);
    clipGradNorm(model.parameters().values(), 1);
    opt.lr = inverseSqrtLr(3e-3, 60, step + 1);
    opt.step();
    tape.reset();
  }
  model.setTraining(false);
  return model;
}

function exactMatch(model: Transformer, task: (s: number[]) => number[]): number {
  const rng = new Rng(99);
  const srcs = Array.from({ length: 50 }, () => sequence(rng));
  const hyps = greedy(model, makeSourceBatch(srcs));
  return hyps.filter((h, i) => h.tokens.join(' ') === task(srcs[i] as number[]).join(' ')).length / srcs.length;
}

test('a tiny Transformer learns to copy and to reverse sequences (greedy exact match on unseen ones)', async () => {
  await initEngine({ threads: 1 });
  try {
    const copy = (s: number[]): number[] => [...s];
    const reverse = (s: number[]): number[] => [...s].reverse();
    const copied = exactMatch(train(copy, 500), copy);
    assert.ok(copied >= 0.9, `copy exact match ${copied}`);
    const reversed = exactMatch(train(reverse, 500), reverse);
    assert.ok(reversed >= 0.9, `reverse exact match ${reversed}`);
  } finally {
    await shutdownEngine();
  }
});
