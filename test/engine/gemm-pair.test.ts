import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enginePoolJobs, initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { gemm, gemmReference, withResidentParameters, type GemmArgs } from '../../src/engine/gemm.js';
import { gemmPair } from '../../src/engine/gemm-pair.js';
import { gruFeedCell, gruSequence, gruSequencePair } from '../../src/engine/fused/gru.js';
import { StepGrads, stepLinear } from '../../src/engine/fused/step-grads.js';
import { add, gruCell } from '../../src/engine/ops.js';
import { forcePoolChoice } from '../../src/engine/pool-choice.js';
import { Rng } from '../../src/engine/random.js';
import { activeTape, Tape, Tensor, withTape } from '../../src/engine/tensor.js';
import { assertClose, assertGrads, param, valuesAndGrads } from './ops-helpers.js';

/** Runs `compare` with no engine, then on a pool of 4 workers with every product sent to the pool. */
async function withoutEngineAndOnPool(compare: () => void): Promise<void> {
  compare();
  try {
    await initEngine({ threads: 4 });
    forcePoolChoice('pool');
    compare();
  } finally {
    forcePoolChoice(null);
    await shutdownEngine();
  }
}

function randomArray(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

/** Two products of the shapes a recurrence steps with (and odd ones): transposes, beta, bias, strides, offsets. */
function pairCases(rng: Rng): Array<[GemmArgs, GemmArgs]> {
  const args = (m: number, n: number, k: number, o: Partial<GemmArgs> = {}): GemmArgs => {
    const ldc = o.ldc ?? n;
    const co = o.cOffset ?? 0;
    const rowsA = o.transA ? k : m;
    const colsA = o.transA ? m : k;
    const rowsB = o.transB ? n : k;
    const colsB = o.transB ? k : n;
    return {
      m, n, k, ...o,
      a: randomArray(rng, (o.aOffset ?? 0) + rowsA * (o.lda ?? colsA)),
      b: randomArray(rng, (o.bOffset ?? 0) + rowsB * (o.ldb ?? colsB)),
      c: randomArray(rng, co + m * ldc),
    };
  };
  return [
    [args(64, 384, 128), args(64, 384, 128)],
    [args(64, 768, 256, { bResident: true }), args(64, 768, 256, { bResident: true })],
    [args(64, 128, 384, { transB: true, beta: 1 }), args(37, 130, 301, { transB: true, beta: 1 })],
    [args(128, 384, 960, { transA: true, beta: 1 }), args(9, 17, 3, { transA: true, transB: true, alpha: 0.5, beta: -2 })],
    [args(20, 40, 30, { beta: 1, bias: randomArray(rng, 40) }), args(33, 50, 260, { lda: 270, ldc: 60, cOffset: 5, aOffset: 3, bOffset: 7 })],
  ];
}

/** C of both products by `gemm` one after the other, from copies of the operands. */
function sequential(x: GemmArgs, y: GemmArgs): Float32Array[] {
  const cs = [x.c.slice(), y.c.slice()];
  gemm({ ...x, c: cs[0] as Float32Array });
  gemm({ ...y, c: cs[1] as Float32Array });
  return cs;
}

test('gemmPair gives the bits of two gemm calls: reference, one thread, and a pool of 4 running the pair job', async () => {
  const rng = new Rng(5);
  const cases = pairCases(rng);
  const check = (label: string): void => {
    for (const [x, y] of cases) {
      const want = sequential(x, y);
      const cx = x.c.slice();
      const cy = y.c.slice();
      withResidentParameters(() => gemmPair({ ...x, c: cx }, { ...y, c: cy }));
      assert.deepEqual(cx, want[0], `${label}: first product ${x.m}x${x.n}x${x.k}`);
      assert.deepEqual(cy, want[1], `${label}: second product ${y.m}x${y.n}x${y.k}`);
      // and it is the product: against the reference loop
      const ref = x.c.slice();
      gemmReference({ ...x, c: ref });
      assertClose(cx, ref, 1e-4, `${label}: against the reference`);
    }
  };
  check('no engine');
  try {
    await initEngine({ threads: 1 });
    check('one thread');
    await initEngine({ threads: 4 });
    forcePoolChoice('pool');
    const before = enginePoolJobs();
    check('4 threads');
    assert.ok(enginePoolJobs() > before, 'the pool ran jobs');
    forcePoolChoice('alone');
    check('4 threads, the pair measured slower');
  } finally {
    forcePoolChoice(null);
    await shutdownEngine();
  }
});

test('gruSequencePair gives the values and gradients of two gruSequence calls, bit for bit (no engine, pool of 4)', async () => {
  const rng = new Rng(7);
  const batch = 12;
  const steps = 5;
  const hidden = 16;
  const make = (): Tensor[] => [param(rng, [batch, steps, 3 * hidden]), param(rng, [batch, hidden]), param(rng, [hidden, 3 * hidden]), param(rng, [3 * hidden])];
  const f = make();
  const b = make();
  const lengths = Int32Array.from({ length: batch }, (_, i) => 1 + (i % steps));
  const inputs = [...f, ...b];
  const seqArgs = (t: Tensor[], reverse: boolean) => ({ xProj: t[0] as Tensor, h0: t[1] as Tensor, wHh: t[2] as Tensor, bHh: t[3] as Tensor, opts: { lengths, reverse } });
  const paired = (): Tensor[] => gruSequencePair(seqArgs(f, false), seqArgs(b, true)).flatMap((r) => [r.outputs, r.final]);
  const apart = (): Tensor[] =>
    [seqArgs(f, false), seqArgs(b, true)].flatMap((s) => {
      const r = gruSequence(s.xProj, s.h0, s.wHh, s.bHh, s.opts);
      return [r.outputs, r.final];
    });
  const compare = (): void => {
    const p = valuesAndGrads(paired, inputs);
    const a = valuesAndGrads(apart, inputs);
    assert.deepEqual(p.values, a.values);
    assert.deepEqual(p.grads, a.grads);
    // sequences of different lengths: one after the other, the same results
    const short = [param(rng, [batch, steps - 2, 3 * hidden]), ...b.slice(1)];
    const shortArgs = { ...seqArgs(short, true), opts: { lengths: lengths.map((l) => Math.min(l, steps - 2)), reverse: true } };
    const mixed = valuesAndGrads(() => gruSequencePair(seqArgs(f, false), shortArgs).flatMap((r) => [r.outputs, r.final]), [...f, ...short]);
    const r2 = gruSequence(shortArgs.xProj, shortArgs.h0, shortArgs.wHh, shortArgs.bHh, shortArgs.opts);
    assert.deepEqual(mixed.values[2], r2.outputs.data);
  };
  await withoutEngineAndOnPool(compare);
});

/** A decoder's first-layer step as the ops give it: gruCell(add(x, stepLinear(feed, feedSums)), h, ...). */
function feedCellRef(x: Tensor, feed: Tensor, wf: Tensor, h: Tensor, wHh: Tensor, bHh: Tensor): Tensor {
  const fs = new StepGrads(wf, null);
  const hs = new StepGrads(wHh, bHh);
  return gruCell(add(x, stepLinear(feed, fs)), h, wHh, bHh, hs);
}

test('gruFeedCell gives the values and gradients of gruCell(add(x, stepLinear(feed))) over steps, bit for bit (no engine, pool of 4)', async () => {
  const rng = new Rng(11);
  const batch = 16;
  const hidden = 12;
  const f = 20;
  const xs = [0, 1, 2].map(() => param(rng, [batch, 3 * hidden]));
  const feed0 = param(rng, [batch, f]);
  const wf = param(rng, [f, 3 * hidden]);
  const h0 = param(rng, [batch, hidden]);
  const wHh = param(rng, [hidden, 3 * hidden]);
  const bHh = param(rng, [3 * hidden]);
  const proj = param(rng, [hidden, f]);
  const inputs = [...xs, feed0, wf, h0, wHh, bHh, proj];
  // Three steps; the next feed is a function of the new state (as the attentional vector is), so gradients reach
  // the feed products too.
  const run = (fused: boolean) => (): Tensor[] => {
    const tape = activeTape();
    assert.ok(tape !== null);
    const fs = new StepGrads(wf, null);
    const hs = new StepGrads(wHh, bHh);
    let h = h0;
    let feed = feed0;
    const outs: Tensor[] = [];
    for (const x of xs) {
      h = fused ? gruFeedCell(x, feed, fs, h, wHh, bHh, hs) : gruCell(add(x, stepLinear(feed, fs)), h, wHh, bHh, hs);
      feed = stepLinear(h, new StepGrads(proj, null));
      outs.push(h);
    }
    return outs;
  };
  const compare = (): void => {
    const p = valuesAndGrads(run(true), inputs);
    const a = valuesAndGrads(run(false), inputs);
    assert.deepEqual(p.values, a.values);
    assert.deepEqual(p.grads, a.grads);
    assert.ok(p.grads.every((g) => g.some((v) => v !== 0)), 'every input has a gradient');
  };
  await withoutEngineAndOnPool(compare);
  // and the reference ops' single step is what gruFeedCell computes (shapes checked on the way)
  const tape = new Tape();
  const one = withTape(tape, () => gruFeedCell(xs[0] as Tensor, feed0, new StepGrads(wf, null), h0, wHh, bHh, new StepGrads(wHh, bHh)));
  const ref = withTape(tape, () => feedCellRef(xs[0] as Tensor, feed0, wf, h0, wHh, bHh));
  assert.deepEqual(one.data, ref.data);
  assert.throws(() => gruFeedCell(xs[0] as Tensor, h0, new StepGrads(wf, null), h0, wHh, bHh, new StepGrads(wHh, bHh)), /feed must be/);
});

test('gruFeedCell passes the gradient check (the weights through their step sums)', () => {
  const rng = new Rng(13);
  const batch = 3;
  const hidden = 4;
  const f = 5;
  const x = param(rng, [batch, 3 * hidden]);
  const feed = param(rng, [batch, f]);
  const wf = param(rng, [f, 3 * hidden]);
  const h = param(rng, [batch, hidden]);
  const wHh = param(rng, [hidden, 3 * hidden]);
  const bHh = param(rng, [3 * hidden]);
  assertGrads(() => gruFeedCell(x, feed, new StepGrads(wf, null), h, wHh, bHh, new StepGrads(wHh, bHh)), [x, feed, wf, h, wHh, bHh]);
});
