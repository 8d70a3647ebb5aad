import { test } from 'node:test';
import assert from 'node:assert/strict';
import { orthogonal, uniform, xavierUniform, zeros } from '../../src/engine/init.js';
import { Rng } from '../../src/engine/random.js';
import { ShapeError, Tensor } from '../../src/engine/tensor.js';

/** Gram matrix of the columns c0..c0+n of t (R, C): Σ_r t[r, i] t[r, j]. */
function columnGram(t: Tensor, c0: number, n: number): number[][] {
  const [rows, cols] = t.shape as [number, number];
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => {
    let s = 0;
    for (let r = 0; r < rows; r++) s += (t.data[r * cols + c0 + i] as number) * (t.data[r * cols + c0 + j] as number);
    return s;
  }));
}

function assertIdentity(g: number[][], gain = 1): void {
  g.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - (i === j ? gain * gain : 0)) < 1e-5, `[${i}][${j}] = ${v}`)));
}

test('orthogonal gives each (H, H) gate block of a (H, 3H) weight orthonormal columns', () => {
  const h = 5;
  const w = orthogonal(Tensor.zeros([h, 3 * h]), new Rng(1));
  for (let k = 0; k < 3; k++) assertIdentity(columnGram(w, k * h, h));
  // Blocks differ from each other (independent draws).
  assert.notDeepEqual(Array.from(w.data.subarray(0, h)), Array.from(w.data.subarray(h, 2 * h)));
});

test('orthogonal handles tall and wide matrices and a gain', () => {
  const tall = orthogonal(Tensor.zeros([6, 4]), new Rng(2), { gain: 2 });
  assertIdentity(columnGram(tall, 0, 4), 2);
  const wide = orthogonal(Tensor.zeros([3, 7]), new Rng(3));
  // Rows orthonormal: Σ_c w[i, c] w[j, c] = δ_ij.
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let s = 0;
      for (let c = 0; c < 7; c++) s += (wide.data[i * 7 + c] as number) * (wide.data[j * 7 + c] as number);
      assert.ok(Math.abs(s - (i === j ? 1 : 0)) < 1e-5);
    }
  }
  assert.throws(() => orthogonal(Tensor.zeros([4]), new Rng(1)), ShapeError);
  assert.throws(() => orthogonal(Tensor.zeros([2, 5]), new Rng(1), { blocks: 2 }), ShapeError);
});

test('initializers are reproducible from the seed and differ across seeds', () => {
  for (const init of [
    (t: Tensor, r: Rng) => uniform(t, 0.1, r),
    (t: Tensor, r: Rng) => xavierUniform(t, r),
    (t: Tensor, r: Rng) => orthogonal(t, r),
  ]) {
    const a = init(Tensor.zeros([4, 8]), new Rng(42)).toArray();
    const b = init(Tensor.zeros([4, 8]), new Rng(42)).toArray();
    const c = init(Tensor.zeros([4, 8]), new Rng(43)).toArray();
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  }
});

test('uniform and xavierUniform stay within their bound and use most of it', () => {
  const u = uniform(Tensor.zeros([50, 40]), 0.3, new Rng(5));
  const maxU = Math.max(...u.data.map(Math.abs));
  assert.ok(maxU <= 0.3 && maxU > 0.29, `max |u| = ${maxU}`);
  const x = xavierUniform(Tensor.zeros([20, 30]), new Rng(6));
  const a = Math.sqrt(6 / 50);
  const maxX = Math.max(...x.data.map(Math.abs));
  assert.ok(maxX <= a && maxX > 0.95 * a, `max |x| = ${maxX}, bound ${a}`);
  const v = xavierUniform(Tensor.zeros([10]), new Rng(6), 4, 2);
  assert.ok(Math.max(...v.data.map(Math.abs)) <= 1);
  assert.throws(() => xavierUniform(Tensor.zeros([10]), new Rng(6)), ShapeError);
});

test('zeros clears a tensor', () => {
  const t = uniform(Tensor.zeros([3, 3]), 1, new Rng(7));
  assert.deepEqual(zeros(t).toArray(), new Array(9).fill(0));
});
