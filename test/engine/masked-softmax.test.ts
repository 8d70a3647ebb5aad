import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskedSoftmax, scale, softmax } from '../../src/engine/ops.js';
import { Rng } from '../../src/engine/random.js';
import { ShapeError, Tensor } from '../../src/engine/tensor.js';
import { assertClose, assertGrads, assertSameAsReference, assertSameOnEngine, countRowKernels, param } from './ops-helpers.js';

test('maskedSoftmax equals softmax of the scaled scores with the same key lengths (values and gradients)', () => {
  const rng = new Rng(1);
  const x = param(rng, [3, 2, 4, 5], -3, 3);
  const lengths = new Int32Array([5, 1, 3]);
  assertSameAsReference(
    () => [maskedSoftmax(x, { lengths, scale: 0.5 })],
    () => [softmax(scale(x, 0.5), { lengths })],
    [x],
  );
  assertSameAsReference(() => [maskedSoftmax(x)], () => [softmax(x)], [x]);
});

test('padding keys and future positions get exactly 0 weight; rows sum to 1', () => {
  const rng = new Rng(2);
  const x = param(rng, [2, 3, 4, 6], -5, 5);
  const lengths = new Int32Array([6, 2]);
  const y = maskedSoftmax(x, { lengths, causal: true, scale: 0.3 });
  // T = 4 queries are the last 4 of S = 6 positions: query t sees keys j <= t + 2.
  for (let b = 0; b < 2; b++) {
    for (let h = 0; h < 3; h++) {
      for (let t = 0; t < 4; t++) {
        const o = ((b * 3 + h) * 4 + t) * 6;
        const valid = Math.min(lengths[b] as number, t + 3);
        let sum = 0;
        for (let j = 0; j < 6; j++) {
          const w = y.data[o + j] as number;
          if (j >= valid) assert.equal(w, 0, `b ${b} h ${h} t ${t} key ${j} must be masked`);
          else assert.ok(w > 0);
          sum += w;
        }
        assert.ok(Math.abs(sum - 1) < 1e-6);
      }
    }
  }
});

test('maskedSoftmax gradients pass finite differences, with padding and the causal mask', () => {
  const rng = new Rng(3);
  const x = param(rng, [2, 2, 3, 4], -2, 2);
  assertGrads(() => maskedSoftmax(x, { lengths: new Int32Array([4, 2]), scale: 0.7 }), [x]);
  assertGrads(() => maskedSoftmax(x, { causal: true, scale: 1.3 }), [x]);
  assertGrads(() => maskedSoftmax(x, { lengths: new Int32Array([3, 4]), causal: true }), [x]);
});

test('maskedSoftmax in WebAssembly SIMD gives the TypeScript results (odd widths, padding, causal)', async () => {
  const rng = new Rng(4);
  const x = param(rng, [5, 4, 9, 13], -4, 4);
  const lengths = new Int32Array([13, 1, 6, 9, 4]);
  await assertSameOnEngine(() => [maskedSoftmax(x, { lengths, causal: true, scale: 0.125 })], [x], countRowKernels);
  await assertSameOnEngine(() => [maskedSoftmax(x, { lengths, scale: 2 })], [x], countRowKernels);
});

test('maskedSoftmax rejects bad lengths and scales, naming the op', () => {
  const x = Tensor.zeros([2, 3, 4]);
  assert.throws(() => maskedSoftmax(x, { lengths: new Int32Array([1]) }), (e: unknown) => e instanceof ShapeError && /^maskedSoftmax/.test(e.message));
  assert.throws(() => maskedSoftmax(x, { lengths: new Int32Array([1, 5]) }), /length 5 outside \[0, 4\]/);
  assert.throws(() => maskedSoftmax(x, { scale: 0 }), /scale must be/);
  assertClose(maskedSoftmax(x, { lengths: new Int32Array([0, 4]) }).data.subarray(0, 12), new Float32Array(12), 0, 'a row with no valid key');
});
