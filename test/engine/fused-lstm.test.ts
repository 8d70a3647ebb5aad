import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  add, embedding, linear, lstmCell, lstmSequence, mul, reshape, sigmoid, slice, stack, sub, tanh,
} from '../../src/engine/ops.js';
import { Rng } from '../../src/engine/random.js';
import { ShapeError, Tensor } from '../../src/engine/tensor.js';
import { assertGrads, assertSameAsReference, param } from './ops-helpers.js';

/** One LSTM step from basic ops (PyTorch equations, gates i|f|g|o). x (B, 4H), h and c (B, H). */
function lstmStepRef(x: Tensor, h: Tensor, c: Tensor, wHh: Tensor, bHh: Tensor, hidden: number): [Tensor, Tensor] {
  const a = add(x, linear(h, wHh, bHh));
  const i = sigmoid(slice(a, 0, hidden));
  const f = sigmoid(slice(a, hidden, 2 * hidden));
  const g = tanh(slice(a, 2 * hidden, 3 * hidden));
  const o = sigmoid(slice(a, 3 * hidden, 4 * hidden));
  const cNew = add(mul(f, c), mul(i, g));
  return [mul(o, tanh(cNew)), cNew];
}

/** The masked (optionally reversed) sequence from basic ops; gathers rows with embedding(). */
function lstmSequenceRef(
  xProj: Tensor, h0: Tensor, c0: Tensor, wHh: Tensor, bHh: Tensor, lengths: Int32Array, reverse: boolean,
): Tensor[] {
  const [batch, steps, g] = xProj.shape as [number, number, number];
  const hidden = g / 4;
  const flat = reshape(xProj, [batch * steps, g]);
  let h = h0;
  let c = c0;
  const stepOutputs: Tensor[] = [];
  for (let k = 0; k < steps; k++) {
    const ids = Int32Array.from({ length: batch }, (_, b) => {
      const len = lengths[b] as number;
      return b * steps + (k < len ? (reverse ? len - 1 - k : k) : 0);
    });
    const [hNew, cNew] = lstmStepRef(embedding(flat, ids, [batch]), h, c, wHh, bHh, hidden);
    const mask = Tensor.fromArray(
      Array.from({ length: batch * hidden }, (_, i) => (k < (lengths[Math.floor(i / hidden)] as number) ? 1 : 0)),
      [batch, hidden],
    );
    h = add(h, mul(mask, sub(hNew, h)));
    c = add(c, mul(mask, sub(cNew, c)));
    stepOutputs.push(mul(mask, h));
  }
  const bySteps = reshape(stack(stepOutputs), [batch * steps, hidden]);
  const ids = new Int32Array(batch * steps);
  for (let b = 0; b < batch; b++) {
    const len = lengths[b] as number;
    for (let p = 0; p < steps; p++) ids[b * steps + p] = b * steps + (p < len ? (reverse ? len - 1 - p : p) : p);
  }
  return [embedding(bySteps, ids, [batch, steps]), h, c];
}

function setup(seed: number, batch: number, steps: number, hidden: number) {
  const rng = new Rng(seed);
  return {
    xProj: param(rng, [batch, steps, 4 * hidden]),
    h0: param(rng, [batch, hidden]),
    c0: param(rng, [batch, hidden]),
    wHh: param(rng, [hidden, 4 * hidden]),
    bHh: param(rng, [4 * hidden]),
  };
}

test('lstmSequence matches the basic-op LSTM (values and gradients), with and without lengths, both directions', () => {
  const { xProj, h0, c0, wHh, bHh } = setup(1, 3, 4, 2);
  for (const lengths of [new Int32Array([4, 4, 4]), new Int32Array([4, 2, 1])]) {
    for (const reverse of [false, true]) {
      assertSameAsReference(
        () => {
          const r = lstmSequence(xProj, { h: h0, c: c0 }, wHh, bHh, { lengths, reverse });
          return [r.outputs, r.final.h, r.final.c];
        },
        () => lstmSequenceRef(xProj, h0, c0, wHh, bHh, lengths, reverse),
        [xProj, h0, c0, wHh, bHh],
      );
    }
  }
});

test('lstmSequence keeps the state of padded rows and outputs zeros there', () => {
  const { xProj, h0, c0, wHh, bHh } = setup(2, 2, 3, 2);
  const r = lstmSequence(xProj, { h: h0, c: c0 }, wHh, bHh, { lengths: new Int32Array([3, 0]) });
  assert.deepEqual(Array.from(r.final.h.data.subarray(2, 4)), Array.from(h0.data.subarray(2, 4)));
  assert.deepEqual(Array.from(r.final.c.data.subarray(2, 4)), Array.from(c0.data.subarray(2, 4)));
  assert.deepEqual(Array.from(r.outputs.data.subarray(6, 12)), [0, 0, 0, 0, 0, 0]);
  assert.ok(r.outputs.data.subarray(0, 6).every((v) => v !== 0));
});

test('lstmSequence gradients pass finite differences (masking and reverse)', () => {
  const { xProj, h0, c0, wHh, bHh } = setup(3, 2, 3, 2);
  for (const reverse of [false, true]) {
    const lengths = new Int32Array([3, 2]);
    assertGrads(() => {
      const r = lstmSequence(xProj, { h: h0, c: c0 }, wHh, bHh, { lengths, reverse });
      return [r.outputs, r.final.h, r.final.c];
    }, [xProj, h0, c0, wHh, bHh]);
  }
});

test('lstmCell matches one basic-op step and passes finite differences', () => {
  const rng = new Rng(4);
  const hidden = 3;
  const x = param(rng, [2, 4 * hidden]);
  const h = param(rng, [2, hidden]);
  const c = param(rng, [2, hidden]);
  const wHh = param(rng, [hidden, 4 * hidden]);
  const bHh = param(rng, [4 * hidden]);
  const fused = (): Tensor[] => { const r = lstmCell(x, { h, c }, wHh, bHh); return [r.h, r.c]; };
  assertSameAsReference(fused, () => lstmStepRef(x, h, c, wHh, bHh, hidden), [x, h, c, wHh, bHh]);
  assertGrads(fused, [x, h, c, wHh, bHh]);
  assertGrads(() => lstmCell(x, { h, c }, wHh, bHh).c, [x, h, c, wHh, bHh]);
});

test('LSTM kernels reject bad shapes naming op and shapes', () => {
  const { xProj, h0, c0, wHh, bHh } = setup(5, 2, 3, 2);
  assert.throws(() => lstmSequence(xProj, { h: h0, c: c0 }, Tensor.zeros([2, 6]), bHh),
    (e: unknown) => e instanceof ShapeError && /^lstmSequence/.test(e.message) && e.message.includes('[2, 6]'));
  assert.throws(() => lstmCell(Tensor.zeros([2, 8]), { h: h0, c: Tensor.zeros([2, 3]) }, wHh, bHh),
    (e: unknown) => e instanceof ShapeError && /^lstmCell/.test(e.message) && e.message.includes('[2, 3]'));
});
