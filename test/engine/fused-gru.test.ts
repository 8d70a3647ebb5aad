import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  add, embedding, gruCell, gruSequence, linear, mul, reshape, sigmoid, slice, stack, sub, tanh,
} from '../../src/engine/ops.js';
import { Rng } from '../../src/engine/random.js';
import { ShapeError, Tensor } from '../../src/engine/tensor.js';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { currentGruKernels, GRU_KERNEL_MIN, setGruKernels } from '../../src/engine/fused/gru.js';
import { assertClose, assertGrads, assertSameAsReference, param, valuesAndGrads } from './ops-helpers.js';

/** Position row b reads at step k (-1 when past its end), as documented for gruSequence. */
function pos(k: number, len: number, reverse: boolean): number {
  if (k >= len) return -1;
  return reverse ? len - 1 - k : k;
}

/** One GRU step from basic ops (PyTorch equations). x (B, 3H), h (B, H). */
function gruStepRef(x: Tensor, h: Tensor, wHh: Tensor, bHh: Tensor, hidden: number): Tensor {
  const gh = linear(h, wHh, bHh);
  const r = sigmoid(add(slice(x, 0, hidden), slice(gh, 0, hidden)));
  const z = sigmoid(add(slice(x, hidden, 2 * hidden), slice(gh, hidden, 2 * hidden)));
  const n = tanh(add(slice(x, 2 * hidden, 3 * hidden), mul(r, slice(gh, 2 * hidden, 3 * hidden))));
  return add(n, mul(z, sub(h, n)));
}

/** The whole masked (and optionally reversed) sequence from basic ops; gathers rows with embedding(). */
export function gruSequenceRef(
  xProj: Tensor, h0: Tensor, wHh: Tensor, bHh: Tensor, lengths: Int32Array, reverse: boolean,
): Tensor[] {
  const [batch, steps, g] = xProj.shape as [number, number, number];
  const hidden = g / 3;
  const flat = reshape(xProj, [batch * steps, g]);
  let h = h0;
  const stepOutputs: Tensor[] = [];
  for (let k = 0; k < steps; k++) {
    const ids = Int32Array.from({ length: batch }, (_, b) => b * steps + Math.max(0, pos(k, lengths[b] as number, reverse)));
    const x = embedding(flat, ids, [batch]);
    const hNew = gruStepRef(x, h, wHh, bHh, hidden);
    const mask = Tensor.fromArray(
      Array.from({ length: batch * hidden }, (_, i) => (k < (lengths[Math.floor(i / hidden)] as number) ? 1 : 0)),
      [batch, hidden],
    );
    h = add(h, mul(mask, sub(hNew, h)));
    stepOutputs.push(mul(mask, h));
  }
  const bySteps = reshape(stack(stepOutputs), [batch * steps, hidden]); // row b*S + k
  const ids = new Int32Array(batch * steps);
  for (let b = 0; b < batch; b++) {
    const len = lengths[b] as number;
    for (let p = 0; p < steps; p++) ids[b * steps + p] = b * steps + (p < len ? (reverse ? len - 1 - p : p) : p);
  }
  return [embedding(bySteps, ids, [batch, steps]), h];
}

function setup(seed: number, batch: number, steps: number, hidden: number) {
  const rng = new Rng(seed);
  return {
    xProj: param(rng, [batch, steps, 3 * hidden]),
    h0: param(rng, [batch, hidden]),
    wHh: param(rng, [hidden, 3 * hidden]),
    bHh: param(rng, [3 * hidden]),
  };
}

test('gruSequence matches the basic-op GRU (values and gradients), full length, both directions', () => {
  const { xProj, h0, wHh, bHh } = setup(1, 2, 3, 4);
  const full = new Int32Array([3, 3]);
  for (const reverse of [false, true]) {
    assertSameAsReference(
      () => { const r = gruSequence(xProj, h0, wHh, bHh, { reverse }); return [r.outputs, r.final]; },
      () => gruSequenceRef(xProj, h0, wHh, bHh, full, reverse),
      [xProj, h0, wHh, bHh],
    );
  }
});

test('gruSequence with lengths matches the masked reference, zero outputs at padding, final at last real step', () => {
  const { xProj, h0, wHh, bHh } = setup(2, 3, 4, 2);
  const lengths = new Int32Array([4, 2, 0]);
  for (const reverse of [false, true]) {
    const r = gruSequence(xProj, h0, wHh, bHh, { lengths, reverse });
    for (let j = 0; j < 2 * 2; j++) assert.equal(r.outputs.data[(1 * 4 + 2) * 2 + j], 0);
    assert.deepEqual(Array.from(r.final.data.subarray(4, 6)), Array.from(h0.data.subarray(4, 6)));
    assert.deepEqual(Array.from(r.outputs.data.subarray(16, 24)), new Array(8).fill(0));
    assertSameAsReference(
      () => { const o = gruSequence(xProj, h0, wHh, bHh, { lengths, reverse }); return [o.outputs, o.final]; },
      () => gruSequenceRef(xProj, h0, wHh, bHh, lengths, reverse),
      [xProj, h0, wHh, bHh],
    );
  }
});

test('reverse GRU on a padded row equals the forward GRU on that row reversed', () => {
  const hidden = 2;
  const { xProj, h0, wHh, bHh } = setup(3, 1, 3, hidden);
  const len = 2;
  const rev = gruSequence(xProj, h0, wHh, bHh, { lengths: new Int32Array([len]), reverse: true });
  const flipped = Tensor.zeros([1, len, 3 * hidden]);
  for (let p = 0; p < len; p++) flipped.data.set(xProj.data.subarray((len - 1 - p) * 6, (len - p) * 6), p * 6);
  const fwd = gruSequence(flipped, h0, wHh, bHh);
  assert.deepEqual(Array.from(rev.final.data), Array.from(fwd.final.data));
  assert.deepEqual(Array.from(rev.outputs.data.subarray(0, 2)), Array.from(fwd.outputs.data.subarray(2, 4)));
});

test('gruSequence gradients pass finite differences (masking and reverse)', () => {
  const { xProj, h0, wHh, bHh } = setup(4, 3, 3, 2);
  for (const reverse of [false, true]) {
    const lengths = new Int32Array([3, 1, 2]);
    assertGrads(() => { const r = gruSequence(xProj, h0, wHh, bHh, { lengths, reverse }); return [r.outputs, r.final]; },
      [xProj, h0, wHh, bHh]);
  }
  assertGrads(() => gruSequence(xProj, h0, wHh, bHh).final, [xProj, h0, wHh, bHh]);
});

test('gruCell matches one basic-op step and passes finite differences', () => {
  const rng = new Rng(5);
  const hidden = 3;
  const x = param(rng, [2, 3 * hidden]);
  const h = param(rng, [2, hidden]);
  const wHh = param(rng, [hidden, 3 * hidden]);
  const bHh = param(rng, [3 * hidden]);
  assertSameAsReference(() => [gruCell(x, h, wHh, bHh)], () => [gruStepRef(x, h, wHh, bHh, hidden)], [x, h, wHh, bHh]);
  assertGrads(() => gruCell(x, h, wHh, bHh), [x, h, wHh, bHh]);
});

test('GRU kernels reject bad shapes naming op and shapes', () => {
  const { xProj, h0, wHh, bHh } = setup(6, 2, 3, 2);
  assert.throws(() => gruSequence(xProj, h0, Tensor.zeros([2, 4]), bHh),
    (e: unknown) => e instanceof ShapeError && /^gruSequence/.test(e.message) && e.message.includes('[2, 4]'));
  assert.throws(() => gruCell(Tensor.zeros([2, 5]), h0, wHh, bHh),
    (e: unknown) => e instanceof ShapeError && /^gruCell/.test(e.message) && e.message.includes('[2, 5]'));
  assert.throws(() => gruSequence(xProj, h0, wHh, bHh, { lengths: new Int32Array([1]) }), ShapeError);
  assert.throws(() => gruSequence(xProj, h0, wHh, bHh, { lengths: new Int32Array([1, 4]) }), RangeError);
});

test('the WebAssembly gate kernels give the TypeScript loops\' values and gradients (padding, reverse, cell)', async () => {
  // B x H above GRU_KERNEL_MIN, H a multiple of 4, rows of different lengths (one empty) in both directions.
  const batch = 5;
  const steps = 4;
  const hidden = 64;
  assert.ok(batch * hidden >= GRU_KERNEL_MIN);
  const { xProj, h0, wHh, bHh } = setup(9, batch, steps, hidden);
  const lengths = new Int32Array([4, 1, 0, 3, 4]);
  const inputs = [xProj, h0, wHh, bHh];
  const runs = [false, true].map((reverse) => () => { const r = gruSequence(xProj, h0, wHh, bHh, { lengths, reverse }); return [r.outputs, r.final]; });
  const cellX = param(new Rng(10), [batch, 3 * hidden]);
  const cell = () => [gruCell(cellX, h0, wHh, bHh)];
  const all = [...runs, cell];
  const inputsOf = (i: number) => (i < 2 ? inputs : [cellX, h0, wHh, bHh]);
  const ts = all.map((run, i) => valuesAndGrads(run, inputsOf(i)));
  await initEngine({ threads: 1 });
  try {
    const installed = currentGruKernels();
    assert.ok(installed !== null, 'initEngine installs the GRU kernels');
    let forward = 0;
    let backward = 0;
    setGruKernels({
      forward: (...args) => { forward++; return installed.forward(...args); },
      backward: (...args) => { backward++; return installed.backward(...args); },
    });
    all.forEach((run, i) => {
      const wasm = valuesAndGrads(run, inputsOf(i));
      const ref = ts[i] as ReturnType<typeof valuesAndGrads>;
      wasm.values.forEach((x, k) => assertClose(x, ref.values[k] as Float32Array, 2e-6, `run ${i} output ${k}`));
      wasm.grads.forEach((g, k) => assertClose(g, ref.grads[k] as Float32Array, 2e-5, `run ${i} gradient of input ${k}`));
    });
    assert.equal(forward, 2 * steps + 1);
    assert.equal(backward, 2 * steps + 1);
  } finally {
    await shutdownEngine();
  }
  assert.equal(currentGruKernels(), null, 'shutdownEngine removes the kernels');
});
