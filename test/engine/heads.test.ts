import { test } from 'node:test';
import assert from 'node:assert/strict';
import { headContext, headScores } from '../../src/engine/ops.js';
import { Rng } from '../../src/engine/random.js';
import { ShapeError, Tensor } from '../../src/engine/tensor.js';
import { assertClose, assertGrads, assertSameOnEngine, countBatchedGemm, param } from './ops-helpers.js';

/** scores[b,h,t,s] = Σ_x q[b,t,h·dh+x] k[b,s,h·dh+x], by plain loops. */
function scoresLoop(q: Tensor, k: Tensor, heads: number): number[] {
  const [b, t, d] = q.shape as [number, number, number];
  const s = k.shape[1] as number;
  const dh = d / heads;
  const out: number[] = [];
  for (let i = 0; i < b; i++) for (let h = 0; h < heads; h++) for (let r = 0; r < t; r++) for (let c = 0; c < s; c++) {
    let sum = 0;
    for (let x = 0; x < dh; x++) sum += (q.data[(i * t + r) * d + h * dh + x] as number) * (k.data[(i * s + c) * d + h * dh + x] as number);
    out.push(sum);
  }
  return out;
}

/** context[b,t,h·dh+x] = Σ_s p[b,h,t,s] v[b,s,h·dh+x], by plain loops. */
function contextLoop(p: Tensor, v: Tensor, heads: number): number[] {
  const [b, , t, s] = p.shape as [number, number, number, number];
  const d = v.shape[2] as number;
  const dh = d / heads;
  const out = new Array<number>(b * t * d).fill(0);
  for (let i = 0; i < b; i++) for (let h = 0; h < heads; h++) for (let r = 0; r < t; r++) for (let x = 0; x < dh; x++) {
    let sum = 0;
    for (let c = 0; c < s; c++) sum += (p.data[((i * heads + h) * t + r) * s + c] as number) * (v.data[(i * s + c) * d + h * dh + x] as number);
    out[(i * t + r) * d + h * dh + x] = sum;
  }
  return out;
}

test('headScores and headContext compute every head of every sentence in place', () => {
  const rng = new Rng(1);
  const q = param(rng, [2, 3, 8]);
  const k = param(rng, [2, 5, 8]);
  const p = param(rng, [2, 4, 3, 5]);
  const v = param(rng, [2, 5, 8]);
  const scores = headScores(q, k, 4);
  assert.deepEqual(scores.shape, [2, 4, 3, 5]);
  assertClose(scores.data, scoresLoop(q, k, 4), 1e-6);
  const ctx = headContext(p, v, 4);
  assert.deepEqual(ctx.shape, [2, 3, 8]);
  assertClose(ctx.data, contextLoop(p, v, 4), 1e-6);
});

test('headScores and headContext gradients pass finite differences', () => {
  const rng = new Rng(2);
  const q = param(rng, [2, 3, 6]);
  const k = param(rng, [2, 4, 6]);
  const p = param(rng, [2, 3, 3, 4]);
  const v = param(rng, [2, 4, 6]);
  assertGrads(() => headScores(q, k, 3), [q, k]);
  assertGrads(() => headContext(p, v, 3), [p, v]);
  assertGrads(() => headContext(headScores(q, k, 2), v, 2), [q, k, v]);
});

test('the batched WebAssembly GEMM gives the TypeScript results for both products and their gradients', async () => {
  const rng = new Rng(3);
  const q = param(rng, [5, 7, 24]);
  const k = param(rng, [5, 9, 24]);
  const p = param(rng, [5, 4, 7, 9]);
  const v = param(rng, [5, 9, 24]);
  await assertSameOnEngine(() => [headScores(q, k, 4), headContext(p, v, 4)], [q, k, p, v], countBatchedGemm);
});

test('heads that do not divide the model size are refused, naming the op and the shapes', () => {
  assert.throws(() => headScores(Tensor.zeros([1, 2, 6]), Tensor.zeros([1, 3, 6]), 4), (e: unknown) => e instanceof ShapeError && /^headScores: 4 heads/.test(e.message));
  assert.throws(() => headContext(Tensor.zeros([1, 2, 2, 3]), Tensor.zeros([1, 4, 6]), 2), (e: unknown) => e instanceof ShapeError && /^headContext/.test(e.message));
});
