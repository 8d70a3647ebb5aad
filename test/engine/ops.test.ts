import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  add, addDropout, addN, bmm, dropout, linear, matmul, mean, mul, relu, scale, sigmoid, sub, sum, tanh,
} from '../../src/engine/ops.js';
import { gradcheck } from '../../src/engine/gradcheck.js';
import { addRowSums } from '../../src/engine/ops/linalg.js';
import { Rng } from '../../src/engine/random.js';
import { onBackward, output, ShapeError, Tape, Tensor, withTape } from '../../src/engine/tensor.js';
import { assertClose, assertGrads, param } from './ops-helpers.js';

const shapeErr = (op: string, ...shapes: string[]) => (e: unknown): boolean =>
  e instanceof ShapeError && e.message.startsWith(op) && shapes.every((s) => e.message.includes(s));

test('matmul computes (M,K)x(K,N) and its gradients, with every trans combination', () => {
  const rng = new Rng(1);
  const a = Tensor.fromArray([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = Tensor.fromArray([1, 0, 0, 1, 1, 1], [3, 2]);
  assert.deepEqual(matmul(a, b).toArray(), [4, 5, 10, 11]);
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const x = param(rng, transA ? [3, 2] : [2, 3]);
      const y = param(rng, transB ? [4, 3] : [3, 4]);
      const out = matmul(x, y, { transA, transB });
      assert.deepEqual(out.shape, [2, 4]);
      assertGrads(() => matmul(x, y, { transA, transB }), [x, y]);
    }
  }
});

test('matmul rejects mismatched inner sizes naming op and both shapes', () => {
  assert.throws(() => matmul(Tensor.zeros([2, 3]), Tensor.zeros([4, 2])), shapeErr('matmul', '[2, 3]', '[4, 2]'));
});

test('bmm multiplies each batch matrix and has correct gradients', () => {
  const rng = new Rng(2);
  const a = Tensor.fromArray([1, 2, 3, 4, 1, 0, 0, 1], [2, 2, 2]);
  const b = Tensor.fromArray([1, 1, 0, 1, 2, 3, 4, 5], [2, 2, 2]);
  assert.deepEqual(bmm(a, b).toArray(), [1, 3, 3, 7, 2, 3, 4, 5]);
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const x = param(rng, transA ? [2, 3, 2] : [2, 2, 3]);
      const y = param(rng, transB ? [2, 4, 3] : [2, 3, 4]);
      assertGrads(() => bmm(x, y, { transA, transB }), [x, y]);
    }
  }
  assert.throws(() => bmm(Tensor.zeros([2, 2, 3]), Tensor.zeros([3, 3, 2])), shapeErr('bmm', '[2, 2, 3]', '[3, 3, 2]'));
});

test('linear over 2-D and 3-D inputs equals x·w + b with correct gradients', () => {
  const rng = new Rng(3);
  const x = Tensor.fromArray([1, 2, 3, 4], [2, 2]);
  const w = Tensor.fromArray([1, 0, 2, 0, 1, 3], [2, 3]);
  const b = Tensor.fromArray([0.5, -1, 0], [3]);
  assert.deepEqual(linear(x, w, b).toArray(), [1.5, 1, 8, 3.5, 3, 18]);
  const x3 = param(rng, [2, 3, 4]);
  const w3 = param(rng, [4, 5]);
  const b3 = param(rng, [5]);
  assert.deepEqual(linear(x3, w3, b3).shape, [2, 3, 5]);
  assertGrads(() => linear(x3, w3, b3), [x3, w3, b3]);
  assertGrads(() => linear(x3, w3), [x3, w3]);
  assert.throws(() => linear(Tensor.zeros([2, 3]), Tensor.zeros([4, 5])), shapeErr('linear', '[2, 3]', '[4, 5]'));
});

test('linear with a transposed weight (Out, In) equals x·wᵀ + b with correct gradients', () => {
  const rng = new Rng(13);
  const x = param(rng, [2, 3, 4]);
  const w = param(rng, [5, 4]);
  const b = param(rng, [5]);
  const y = linear(x, w, b, { transposed: true });
  assert.deepEqual(y.shape, [2, 3, 5]);
  const want = matmul(x.view([6, 4]), w, { transB: true }).data.map((v, i) => v + (b.data[i % 5] as number));
  assert.ok(y.data.every((v, i) => Math.abs(v - (want[i] as number)) < 1e-6));
  assertGrads(() => linear(x, w, b, { transposed: true }), [x, w, b]);
  assert.throws(() => linear(Tensor.zeros([2, 5]), w, b, { transposed: true }), shapeErr('linear', '[2, 5]', '[5, 4]'));
});

test('add, sub, mul: same shape and bias broadcast over the last axis', () => {
  const rng = new Rng(4);
  const a = Tensor.fromArray([1, 2, 3, 4], [2, 2]);
  const bias = Tensor.fromArray([10, 20], [2]);
  assert.deepEqual(add(a, bias).toArray(), [11, 22, 13, 24]);
  assert.deepEqual(sub(a, bias).toArray(), [-9, -18, -7, -16]);
  assert.deepEqual(mul(a, bias).toArray(), [10, 40, 30, 80]);
  assert.deepEqual(mul(a, a).toArray(), [1, 4, 9, 16]);
  const x = param(rng, [2, 3, 4]);
  const y = param(rng, [2, 3, 4]);
  const d = param(rng, [4]);
  for (const op of [add, sub, mul]) {
    assertGrads(() => op(x, y), [x, y]);
    assertGrads(() => op(x, d), [x, d]);
  }
  assert.throws(() => add(Tensor.zeros([2, 3]), Tensor.zeros([2])), shapeErr('add', '[2, 3]', '[2]'));
  assert.throws(() => mul(Tensor.zeros([2, 3]), Tensor.zeros([3, 2])), shapeErr('mul', '[2, 3]', '[3, 2]'));
});

test('the same tensor used twice accumulates both gradients', () => {
  const x = Tensor.fromArray([3], [1], { requiresGrad: true });
  const tape = new Tape();
  const y = withTape(tape, () => sum(mul(x, x)));
  tape.backward(y);
  assert.deepEqual(Array.from(x.grad ?? []), [6]);
});

test('scale, addN, sum, mean values and gradients', () => {
  const rng = new Rng(5);
  const a = Tensor.fromArray([1, 2, 3], [3]);
  assert.deepEqual(scale(a, -2).toArray(), [-2, -4, -6]);
  assert.deepEqual(addN([a, a, a]).toArray(), [3, 6, 9]);
  assert.equal(sum(a).item(), 6);
  assert.equal(mean(a).item(), 2);
  assert.deepEqual(sum(a).shape, []);
  const x = param(rng, [2, 3]);
  const y = param(rng, [2, 3]);
  const z = param(rng, [2, 3]);
  assertGrads(() => scale(x, 1.5), [x]);
  assertGrads(() => addN([x, y, z, x]), [x, y, z]);
  assertGrads(() => sum(x), [x]);
  assertGrads(() => mean(x), [x]);
  assert.throws(() => addN([x, Tensor.zeros([3, 2])]), shapeErr('addN', '[2, 3]', '[3, 2]'));
});

test('tanh, sigmoid, relu values and gradients', () => {
  const rng = new Rng(6);
  const a = Tensor.fromArray([-1, 0, 2], [3]);
  assertClose(tanh(a).data, [Math.tanh(-1), 0, Math.tanh(2)]);
  assertClose(sigmoid(a).data, [1 / (1 + Math.E), 0.5, 1 / (1 + Math.exp(-2))]);
  assert.deepEqual(relu(a).toArray(), [0, 0, 2]);
  assert.equal(sigmoid(Tensor.fromArray([-1000, 1000], [2])).data[0], 0);
  const x = param(rng, [3, 4], -2, 2);
  assertGrads(() => tanh(x), [x]);
  assertGrads(() => sigmoid(x), [x]);
  const away = Tensor.fromArray([-1.5, -0.5, 0.4, 1.2, 2, -0.3], [2, 3], { requiresGrad: true });
  assertGrads(() => relu(away), [away]);
});

test('relu on the float bits: max(x, 0) for negatives, -0, zero, infinities; gradient 1 exactly where x > 0, written or added', () => {
  const specials = [-0, 0, -Infinity, Infinity, -3.5e-42, 3.5e-42, -1e30, 1e30];
  const rng = new Rng(16);
  const values = [...specials, ...Array.from({ length: 200 }, () => rng.uniform(-1, 1))];
  const x = Tensor.fromArray(values, [values.length], { requiresGrad: true });
  const y = relu(x).toArray();
  values.forEach((v, i) => assert.ok(Object.is(y[i], v > 0 ? Math.fround(v) : 0), `relu(${v}) = ${y[i]}`));
  // Fresh gradient (relu is x's only consumer) and accumulated one (x also feeds a scale op).
  const g = values.map(() => rng.uniform(-1, 1));
  for (const twice of [false, true]) {
    const tape = new Tape();
    x.zeroGrad();
    withTape(tape, () => {
      const r = relu(x);
      const loss = twice ? addN([mul(r, Tensor.fromArray(g, [values.length])), scale(x, 0.5)]) : mul(r, Tensor.fromArray(g, [values.length]));
      tape.backward(sum(loss));
    });
    values.forEach((v, i) => assert.equal(x.grad?.[i], Math.fround((v > 0 ? Math.fround(g[i] as number) : 0) + (twice ? 0.5 : 0)), `d relu/dx at ${v}`));
    tape.reset();
  }
});

test('dropout: identity when not training or p = 0, seeded inverted mask otherwise', () => {
  const x = param(new Rng(7), [4, 50]);
  assert.equal(dropout(x, 0.5, new Rng(1), false), x);
  assert.equal(dropout(x, 0, new Rng(1), true), x);
  const y1 = dropout(x, 0.5, new Rng(9), true);
  const y2 = dropout(x, 0.5, new Rng(9), true);
  assert.deepEqual(y1.toArray(), y2.toArray());
  let zeros = 0;
  for (let i = 0; i < x.size; i++) {
    if (y1.data[i] === 0) zeros++;
    else assert.ok(Math.abs(y1.data[i] - 2 * x.data[i]) < 1e-6);
  }
  assert.ok(zeros > 60 && zeros < 140, `${zeros} of 200 dropped at p=0.5`);
  const small = param(new Rng(8), [3, 4]);
  assertGrads(() => dropout(small, 0.3, new Rng(5), true), [small]);
  assert.throws(() => dropout(x, 1, new Rng(1), true), RangeError);
});

test('ops under a tape take their buffers from its arena and allocate nothing new once warm', () => {
  const rng = new Rng(10);
  const x = param(rng, [3, 4]);
  const w = param(rng, [4, 2]);
  const tape = new Tape();
  const step = (): void => {
    const loss = withTape(tape, () => sum(tanh(linear(x, w))));
    tape.backward(loss);
    tape.reset();
  };
  step();
  const held = tape.heldFloats();
  step();
  step();
  assert.equal(tape.heldFloats(), held);
});

test('gradcheck detects a wrong backward', () => {
  const x = param(new Rng(11), [5]);
  const wrongSquare = (t: Tensor): Tensor => {
    const out = output(t.shape, [t]);
    for (let i = 0; i < t.size; i++) out.data[i] = t.data[i] * t.data[i];
    onBackward(out, () => {
      const g = out.grad;
      if (g === null) return;
      const dt = t.ensureGrad();
      for (let i = 0; i < t.size; i++) dt[i] += g[i] * t.data[i];
    });
    return out;
  };
  assert.equal(gradcheck(() => wrongSquare(x), [x]).ok, false);
});

test('dropout is x times the mask dropoutMask draws (float32 keep), bit for bit, and leaves the stream where it does', () => {
  const specials = [-0, 0, -1.5, Infinity, -Infinity, NaN, 3e-42, -7];
  const rng = new Rng(21);
  const values = [...specials, ...Array.from({ length: 1000 }, () => rng.uniform(-2, 2))];
  const x = Tensor.fromArray(values, [values.length], { requiresGrad: true });
  for (const p of [0.1, 0.2, 1 / 3, 0.9]) {
    const a = new Rng(5);
    const b = new Rng(5);
    const tape = new Tape();
    const y = withTape(tape, () => dropout(x, p, a, true));
    const mask = new Float32Array(values.length);
    b.dropoutMask(mask, values.length, p, 1 / (1 - p));
    values.forEach((v, i) => assert.ok(Object.is(y.data[i], Math.fround(Math.fround(v) * (mask[i] as number))), `p ${p}: y[${i}] = ${y.data[i]} for x ${v}`));
    assert.deepEqual(a.getState(), b.getState());
    // Backward: written when dx is fresh (x an op output of the tape): 0 + g·mask (+0 where g·mask is
    // -0, as the zeroed gradient gave); added when x (a parameter) already has a gradient: dx + g·mask.
    const g = Tensor.fromArray(values.map(() => rng.uniform(-1, 1)), [values.length]);
    const before = Float32Array.from(values, (_, i) => (i % 5 === 0 ? -0 : i));
    x.grad = before.slice();
    withTape(tape, () => {
      const onTape = mul(x, Tensor.fromArray(values.map(() => 1), [values.length]));
      tape.backward(sum(mul(dropout(onTape, p, new Rng(5), true), g)));
      values.forEach((_, i) => {
        assert.ok(Object.is(onTape.grad?.[i], Math.fround(0 + (g.data[i] as number) * (mask[i] as number))), `p ${p}: fresh dx[${i}]`);
      });
    });
    tape.reset();
    x.grad = before.slice();
    withTape(tape, () => tape.backward(sum(mul(dropout(x, p, new Rng(5), true), g))));
    values.forEach((_, i) => {
      assert.ok(Object.is(x.grad?.[i], Math.fround((before[i] as number) + (g.data[i] as number) * (mask[i] as number))), `p ${p}: added dx[${i}]`);
    });
    tape.reset();
  }
});

test('relu backward added into an existing gradient: dx + g where y > 0, dx untouched (-0 and NaN g included) elsewhere', () => {
  const rng = new Rng(22);
  const n = 9000; // over two blocks of the masked copy
  const xs = Array.from({ length: n }, (_, i) => (i % 11 === 0 ? -0 : i % 13 === 0 ? NaN : rng.uniform(-1, 1)));
  const x = Tensor.fromArray(xs, [n], { requiresGrad: true });
  const before = Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -0 : rng.uniform(-1, 1)));
  const g = Float32Array.from({ length: n }, (_, i) => (i % 17 === 0 ? NaN : i % 19 === 0 ? -0 : rng.uniform(-1, 1)));
  x.grad = before.slice();
  const tape = new Tape();
  withTape(tape, () => {
    const y = relu(x);
    tape.backward(sum(mul(y, new Tensor(g, [n]))));
    for (let i = 0; i < n; i++) {
      // The gradient reaching relu is mul's 0 + g·1 (-0 arrives as +0).
      const up = 0 + (g[i] as number);
      const want = (y.data[i] as number) > 0 || Number.isNaN(y.data[i]) ? Math.fround((before[i] as number) + up) : before[i];
      assert.ok(Object.is(x.grad?.[i], want), `dx[${i}] = ${x.grad?.[i]}, want ${want} (x ${xs[i]}, g ${g[i]})`);
    }
  });
  tape.reset();
});

test('addRowSums adds the sums of four rows at a time as before, for any number of rows', () => {
  const rng = new Rng(23);
  for (const [rows, n] of [[0, 5], [1, 3], [3, 7], [4, 1], [7, 6], [8, 5], [13, 9], [30, 16]] as const) {
    const g = rng.uniformArray(rows * n);
    const db = rng.uniformArray(n);
    const want = db.slice();
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      for (let j = 0; j < n; j++) want[j] += (g[r * n + j] as number) + (g[(r + 1) * n + j] as number) + (g[(r + 2) * n + j] as number) + (g[(r + 3) * n + j] as number);
    }
    for (; r < rows; r++) for (let j = 0; j < n; j++) want[j] += g[r * n + j] as number;
    addRowSums(g, rows, n, db);
    assert.deepEqual(Array.from(db), Array.from(want), `${rows} rows of ${n}`);
  }
});

test('add hands its output gradient to a fresh operand: the operands still get their own sums when they feed other ops', () => {
  const rng = new Rng(24);
  const p = param(rng, [3, 4]);
  const q = param(rng, [3, 4]);
  const w = param(rng, [3, 4]);
  // a feeds the add and a later mul; b feeds the add and an earlier mul; add(a, a) and sub(b, b) too.
  assertGrads(() => {
    const a = mul(p, q);
    const b = mul(q, w);
    const s = add(a, b);
    return sum(add(add(mul(s, w), mul(a, p)), add(mul(add(a, a), q), mul(sub(b, b), p))));
  }, [p, q, w]);
});

test('addDropout(x, y) gives add(x, dropout(y)) bit for bit: values, stream, and the gradients of both', () => {
  const rng = new Rng(25);
  const n = 2000;
  const x = param(rng, [n / 20, 20]);
  const y = param(rng, [n / 20, 20]);
  const w = param(rng, [n / 20, 20]);
  const run = (fused: boolean): { out: number[]; grads: number[][]; state: number[] } => {
    const r = new Rng(77);
    for (const t of [x, y, w]) t.grad = Float32Array.from({ length: n }, (_, i) => (i % 4 === 0 ? -0 : i * 0.25));
    const tape = new Tape();
    const out = withTape(tape, () => {
      // y2 is an op output (its gradient is written fresh); x also feeds a later op (its gradient is added to).
      const y2 = mul(y, w);
      const s = fused ? addDropout(x, y2, 0.3, r, true) : add(x, dropout(y2, 0.3, r, true));
      tape.backward(sum(add(mul(s, w), mul(x, w))));
      return s.toArray();
    });
    tape.reset();
    return { out, grads: [x, y, w].map((t) => Array.from(t.grad ?? [])), state: r.getState() };
  };
  const fused = run(true);
  const apart = run(false);
  fused.out.forEach((v, i) => assert.ok(Object.is(v, apart.out[i]), `value ${i}`));
  fused.grads.forEach((g, k) => g.forEach((v, i) => assert.ok(Object.is(v, apart.grads[k]?.[i]), `gradient ${k}[${i}]: ${v} vs ${apart.grads[k]?.[i]}`)));
  assert.deepEqual(fused.state, apart.state);
  assert.equal(addDropout(x, y, 0.3, new Rng(1), false).toArray().join(), add(x, y).toArray().join());
  assert.throws(() => addDropout(x, Tensor.zeros([2, 3]), 0.3, new Rng(1), true), shapeErr('addDropout', '[100, 20]', '[2, 3]'));
});
