import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add, layerNorm, mean, mul, scale, sub } from '../../src/engine/ops.js';
import { Rng } from '../../src/engine/random.js';
import { ShapeError, Tensor } from '../../src/engine/tensor.js';
import { assertClose, assertGrads, assertSameOnEngine, countRowKernels, param } from './ops-helpers.js';

test('layerNorm normalizes each row to mean 0 and variance 1 before gamma and beta', () => {
  const rng = new Rng(1);
  const x = param(rng, [3, 4, 8], -3, 5);
  const ones = Tensor.fromArray(new Array(8).fill(1), [8]);
  const zeros = Tensor.zeros([8]);
  const y = layerNorm(x, ones, zeros, 1e-12);
  for (let r = 0; r < 12; r++) {
    const row = Array.from(y.data.subarray(r * 8, r * 8 + 8));
    const m = row.reduce((a, b) => a + b, 0) / 8;
    const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / 8;
    assert.ok(Math.abs(m) < 1e-5 && Math.abs(v - 1) < 1e-4, `row ${r}: mean ${m} variance ${v}`);
  }
  const gamma = param(rng, [8]);
  const beta = param(rng, [8]);
  const z = layerNorm(x, gamma, beta, 1e-12);
  const want = y.data.map((v, i) => v * (gamma.data[i % 8] as number) + (beta.data[i % 8] as number));
  assertClose(z.data, want, 1e-5);
});

test('layerNorm matches the same computation from basic ops on one row', () => {
  const rng = new Rng(2);
  const x = param(rng, [1, 6]);
  const gamma = param(rng, [6]);
  const beta = param(rng, [6]);
  // (x - mean) / sqrt(var + eps) * gamma + beta, all through elementwise ops.
  const eps = 1e-5;
  const y = layerNorm(x, gamma, beta, eps).data;
  const m = mean(x).item();
  const centered = sub(x, Tensor.fromArray(new Array(6).fill(m), [1, 6]));
  const v = mean(mul(centered, centered)).item();
  const ref = add(mul(scale(centered, 1 / Math.sqrt(v + eps)), gamma), beta);
  assertClose(y, ref.data, 1e-5);
});

test('layerNorm gradients pass finite differences for x, gamma and beta', () => {
  const rng = new Rng(3);
  const x = param(rng, [2, 3, 7], -2, 2);
  const gamma = param(rng, [7]);
  const beta = param(rng, [7]);
  assertGrads(() => layerNorm(x, gamma, beta), [x, gamma, beta], { eps: 1e-2, rtol: 2e-2 });
});

test('layerNorm in WebAssembly SIMD gives the TypeScript results', async () => {
  const rng = new Rng(4);
  const x = param(rng, [7, 9, 43], -3, 3);
  const gamma = param(rng, [43]);
  const beta = param(rng, [43]);
  await assertSameOnEngine(() => [layerNorm(x, gamma, beta)], [x, gamma, beta], countRowKernels, 2e-5);
});

test('layerNorm in WebAssembly SIMD gives the TypeScript gradient whether it writes dx or adds to it', async () => {
  const rng = new Rng(5);
  const x = param(rng, [6, 11, 40], -3, 3);
  const gamma = param(rng, [40]);
  const beta = param(rng, [40]);
  // h is an op output: its gradient is written by layerNorm (fresh), or added after the residual add's (pre-norm).
  await assertSameOnEngine(() => [layerNorm(scale(x, 1.5), gamma, beta)], [x, gamma, beta], countRowKernels, 2e-5);
  await assertSameOnEngine(() => {
    const h = scale(x, 1.5);
    const y = layerNorm(h, gamma, beta);
    return [add(h, scale(y, 0.5))];
  }, [x, gamma, beta], countRowKernels, 2e-5);
});

test('layerNorm rejects gamma and beta of the wrong size', () => {
  assert.throws(() => layerNorm(Tensor.zeros([2, 4]), Tensor.zeros([3]), Tensor.zeros([4])), (e: unknown) => e instanceof ShapeError && /^layerNorm/.test(e.message));
});
