import assert from 'node:assert/strict';
import { test } from 'node:test';
import { makeBatch, makeSourceBatch, type Batch } from '../../src/data/batch.js';
import { BOS } from '../../src/data/vocab.js';
import { beamSearch } from '../../src/decode/beam.js';
import { withArena, type StepDecoder } from '../../src/decode/common.js';
import { forceDecode } from '../../src/decode/forced.js';
import { greedy } from '../../src/decode/greedy.js';
import { Rng } from '../../src/engine/random.js';
import { Tape, withTape } from '../../src/engine/tensor.js';
import type { RnnModelConfig } from '../../src/model/config.js';
import { Ensemble } from '../../src/model/ensemble.js';
import { Seq2Seq } from '../../src/model/seq2seq.js';
import { tinyConfig } from './helpers.js';

function model(overrides: Partial<RnnModelConfig>, seed: number): Seq2Seq {
  return new Seq2Seq(tinyConfig({ tgtVocabSize: 9, ...overrides }), seed);
}

function sources(seed: number, n: number): number[][] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => Array.from({ length: 1 + rng.int(6) }, () => 4 + rng.int(7)));
}

/** The first decoder step of any StepDecoder on a batch, copied out of the arena. */
function stepOnce<S, M>(m: StepDecoder<S, M>, batch: Batch): { logProbs: number[]; weights: number[] | null; v: number } {
  const prev = new Int32Array(batch.size).fill(BOS);
  return m.inferenceMode(() =>
    withArena((arena) => {
      const start = arena.inBatch(() => m.startDecoding(batch));
      const r = arena.nextStep(() => m.decodeStep(prev, start.state, start.memory));
      return { logProbs: Array.from(r.logProbs.data), weights: r.weights === null ? null : Array.from(r.weights.data), v: r.logProbs.shape[1] as number };
    }),
  );
}

function firstStep(members: Seq2Seq[], ensemble: Ensemble, batch: Batch) {
  return { members: members.map((m) => stepOnce(m, batch)), ensemble: stepOnce(ensemble, batch) };
}

test("the ensemble's log-probabilities are the renormalized mean of the members' and its weights their mean", () => {
  const members = [model({}, 1), model({ rnn: 'lstm', attention: 'general', hidden: 6 }, 2), model({ attention: 'none' }, 3)];
  const ensemble = new Ensemble(members);
  const batch = makeSourceBatch(sources(4, 5));
  const { members: ms, ensemble: e } = firstStep(members, ensemble, batch);
  const v = e.v;
  for (let row = 0; row < batch.size; row++) {
    const mean = Array.from({ length: v }, (_, j) => ms.reduce((acc, m) => acc + (m.logProbs[row * v + j] as number), 0) / ms.length);
    const max = Math.max(...mean);
    const lse = max + Math.log(mean.reduce((acc, x) => acc + Math.exp(x - max), 0));
    for (let j = 0; j < v; j++) {
      assert.ok(Math.abs((e.logProbs[row * v + j] as number) - ((mean[j] as number) - lse)) < 1e-5, `row ${row} word ${j}`);
    }
  }
  // Two members have attention, the baseline has none: the ensemble shows the mean of the two.
  const w0 = ms[0]?.weights as number[];
  const w1 = ms[1]?.weights as number[];
  assert.equal(ms[2]?.weights, null);
  assert.equal(e.weights?.length, w0.length);
  e.weights?.forEach((w, i) => assert.ok(Math.abs(w - ((w0[i] as number) + (w1[i] as number)) / 2) < 1e-6, `weight ${i}`));
  assert.equal(ensemble.parameterCount(), members.reduce((n, m) => n + m.parameterCount(), 0));
});

test('an ensemble of one model, or of one model twice, decodes exactly as the model (greedy and beam)', () => {
  const m = model({}, 5);
  const batch = makeSourceBatch(sources(6, 7));
  const alone = beamSearch(m, batch, { beamSize: 3, nbest: 2, maxLenRatio: 1.5 });
  const greedyAlone = greedy(m, batch, { maxLenRatio: 1.5 });
  for (const ens of [new Ensemble([m]), new Ensemble([m, m])]) {
    const b = beamSearch(ens, batch, { beamSize: 3, nbest: 2, maxLenRatio: 1.5 });
    const g = greedy(ens, batch, { maxLenRatio: 1.5 });
    b.forEach((list, i) => {
      assert.deepEqual(list.map((h) => h.tokens), alone[i]?.map((h) => h.tokens), `beam, sentence ${i}`);
      list.forEach((h, k) => assert.ok(Math.abs(h.score - (alone[i]?.[k]?.score ?? NaN)) < 1e-4));
    });
    g.forEach((h, i) => {
      assert.deepEqual(h.tokens, greedyAlone[i]?.tokens, `greedy, sentence ${i}`);
      assert.equal(h.attention.length, greedyAlone[i]?.attention.length);
    });
  }
});

test('members must share the vocabulary sizes; the baseline-only ensemble has no weights', () => {
  assert.throws(() => new Ensemble([model({}, 1), model({ tgtVocabSize: 10 }, 2)]), /different vocabulary sizes/);
  assert.throws(() => new Ensemble([]), /at least one model/);
  const baselines = new Ensemble([model({ attention: 'none' }, 1), model({ attention: 'none' }, 2)]);
  assert.equal(baselines.hasAttention, false);
  const g = greedy(baselines, makeSourceBatch(sources(2, 3)), { maxLenRatio: 1.5 });
  for (const h of g) assert.deepEqual(h.attention, []);
});

test('the loss of an ensemble of one model is that model\'s loss; of two, the loss of their renormalized mean', () => {
  const a = model({}, 1);
  const b = model({ attention: 'dot' }, 2);
  const rng = new Rng(9);
  const pairs = [0, 1, 2].map(() => ({ src: [4 + rng.int(6), 4 + rng.int(6), 4 + rng.int(6)], tgt: [4 + rng.int(5), 4 + rng.int(5)] }));
  const batch = makeBatch(pairs, [0, 1, 2]);
  const lossOf = (m: { loss: Seq2Seq['loss'] }): number => withTape(new Tape({ record: false }), () => m.loss(batch).nll);
  assert.ok(Math.abs(lossOf(new Ensemble([a])) - lossOf(a)) < 1e-4);
  // Teacher-forced log-probabilities of the pair's tokens, through decodeStep of each member.
  const forced = forceDecode(new Ensemble([a, b]), batch);
  const nll = -forced.reduce((n, f) => n + f.logProbs.reduce((x, y) => x + y, 0), 0);
  assert.ok(Math.abs(lossOf(new Ensemble([a, b])) - nll) < 1e-3, `${lossOf(new Ensemble([a, b]))} vs ${nll}`);
  assert.notEqual(lossOf(new Ensemble([a, b])), lossOf(a));
});
