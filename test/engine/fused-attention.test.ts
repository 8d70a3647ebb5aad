import { test } from 'node:test';
import assert from 'node:assert/strict';
import { add, additiveAttention, bmm, linear, reshape, softmax, stack, tanh } from '../../src/engine/ops.js';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { ATTENTION_KERNEL_MIN, ATTENTION_SESSION_MIN, AttentionSession, currentAttentionKernels, currentAttentionStepKernels, setAttentionKernels, setAttentionStepKernels } from '../../src/engine/fused/attention.js';
import { gradcheck } from '../../src/engine/gradcheck.js';
import { Rng } from '../../src/engine/random.js';
import { ShapeError, Tensor } from '../../src/engine/tensor.js';
import { assertClose, assertGrads, assertSameAsReference, param, valuesAndGrads } from './ops-helpers.js';

/** Bahdanau A.1.2 from basic ops: e = tanh(q + k_i)·v, masked softmax, context = bmm(α, values). */
function attentionRef(query: Tensor, keys: Tensor, v: Tensor, values: Tensor, lengths: Int32Array): Tensor[] {
  const [batch, s, a] = keys.shape as [number, number, number];
  const hv = values.shape[2] as number;
  const qRep = stack(new Array<Tensor>(s).fill(query)); // (B, S, A)
  const e = reshape(linear(tanh(add(keys, qRep)), reshape(v, [a, 1])), [batch, s]);
  const alpha = softmax(e, { lengths });
  const context = reshape(bmm(reshape(alpha, [batch, 1, s]), values), [batch, hv]);
  return [context, alpha];
}

function setup(seed: number, batch: number, s: number, a: number, hv: number) {
  const rng = new Rng(seed);
  return {
    query: param(rng, [batch, a]),
    keys: param(rng, [batch, s, a]),
    v: param(rng, [a]),
    values: param(rng, [batch, s, hv]),
  };
}

test('additiveAttention matches the basic-op reference (values and gradients)', () => {
  const { query, keys, v, values } = setup(1, 3, 4, 3, 2);
  for (const lengths of [new Int32Array([4, 4, 4]), new Int32Array([4, 1, 2])]) {
    assertSameAsReference(
      () => { const r = additiveAttention(query, keys, v, values, lengths); return [r.context, r.weights]; },
      () => attentionRef(query, keys, v, values, lengths),
      [query, keys, v, values],
    );
  }
});

test('attention weights are exactly 0 at padding, rows sum to 1, context is the weighted sum', () => {
  const { query, keys, v, values } = setup(2, 2, 3, 2, 2);
  const lengths = new Int32Array([3, 2]);
  const r = additiveAttention(query, keys, v, values, lengths);
  assert.equal(r.weights.data[5], 0);
  for (let b = 0; b < 2; b++) {
    const row = Array.from(r.weights.data.subarray(b * 3, b * 3 + 3));
    assert.ok(Math.abs(row.reduce((x, y) => x + y, 0) - 1) < 1e-6);
  }
  const expected: number[] = [];
  for (let b = 0; b < 2; b++) {
    for (let j = 0; j < 2; j++) {
      let c = 0;
      for (let i = 0; i < 3; i++) c += (r.weights.data[b * 3 + i] as number) * (values.data[(b * 3 + i) * 2 + j] as number);
      expected.push(c);
    }
  }
  assertClose(r.context.data, expected, 1e-6, 'context');
  const one = additiveAttention(query, keys, v, values, new Int32Array([1, 1]));
  assert.deepEqual(Array.from(one.weights.data), [1, 0, 0, 1, 0, 0]);
});

test('additiveAttention gradients pass finite differences, through context and weights, with padding', () => {
  const { query, keys, v, values } = setup(3, 2, 3, 3, 2);
  const lengths = new Int32Array([3, 2]);
  assertGrads(() => { const r = additiveAttention(query, keys, v, values, lengths); return [r.context, r.weights]; },
    [query, keys, v, values]);
  assertGrads(() => additiveAttention(query, keys, v, values, lengths).context, [query, keys, v, values]);
});

test('additiveAttention rejects bad shapes naming op and shapes, and empty rows', () => {
  const { query, keys, v, values } = setup(4, 2, 3, 2, 2);
  const lengths = new Int32Array([3, 2]);
  assert.throws(() => additiveAttention(query, Tensor.zeros([2, 3, 4]), v, values, lengths),
    (e: unknown) => e instanceof ShapeError && /^additiveAttention/.test(e.message) && e.message.includes('[2, 3, 4]') && e.message.includes('[2, 2]'));
  assert.throws(() => additiveAttention(query, keys, v, Tensor.zeros([2, 4, 2]), lengths), ShapeError);
  assert.throws(() => additiveAttention(query, keys, v, values, new Int32Array([3, 0])), RangeError);
});

test('the WebAssembly score kernels give the TypeScript loops\' values and gradients, padding included', async () => {
  // Odd A (tails of the 8- and 4-wide loops), rows of different lengths, B x S x A above ATTENTION_KERNEL_MIN.
  const batch = 6;
  const s = 9;
  const a = 43;
  assert.ok(batch * s * a >= ATTENTION_KERNEL_MIN);
  const { query, keys, v, values } = setup(5, batch, s, a, 7);
  const lengths = new Int32Array([9, 1, 4, 9, 7, 2]);
  const run = () => { const r = additiveAttention(query, keys, v, values, lengths); return [r.context, r.weights]; };
  const ts = valuesAndGrads(run, [query, keys, v, values]);
  await initEngine({ threads: 1 });
  try {
    let forward = 0;
    let backward = 0;
    // Count the kernel calls: the engine's kernels, wrapped.
    const installed = currentAttentionKernels();
    assert.ok(installed !== null, 'initEngine installs the attention kernels');
    setAttentionKernels({
      forward: (...args) => { forward++; return installed.forward(...args); },
      backward: (...args) => { backward++; return installed.backward(...args); },
    });
    const wasm = valuesAndGrads(run, [query, keys, v, values]);
    assert.equal(forward, 1);
    assert.equal(backward, 1);
    wasm.values.forEach((x, k) => assertClose(x, ts.values[k] as Float32Array, 1e-5, `output ${k}`));
    wasm.grads.forEach((g, k) => assertClose(g, ts.grads[k] as Float32Array, 1e-5, `gradient of input ${k}`));
  } finally {
    await shutdownEngine();
  }
  assert.equal(currentAttentionKernels(), null, 'shutdownEngine removes the kernels');
});

test('batch-1 decoding steps (one sentence, from ATTENTION_SESSION_MIN score elements) run on the session kernels with the stateless op\'s bits', async () => {
  await initEngine({ threads: 1 });
  try {
    const installed = currentAttentionStepKernels();
    assert.ok(installed !== null);
    let calls = 0;
    setAttentionStepKernels({ ...installed, scores: (...x) => { calls++; return installed.scores(...x); } });
    for (const [s, len, a, hv] of [[8, 8, 256, 256], [13, 13, 160, 64], [40, 17, 128, 96]] as const) {
      assert.ok(s * a >= ATTENTION_SESSION_MIN);
      const { keys, v, values } = setup(8 + s, 1, s, a, hv);
      const lengths = new Int32Array([len]);
      const session = new AttentionSession(keys, v, values, lengths);
      const rng = new Rng(s);
      for (let step = 0; step < 3; step++) {
        const q = param(rng, [1, a]);
        const before = calls;
        const got = additiveAttention(q, keys, v, values, lengths, session);
        assert.equal(calls, before + 1, 'the step ran on the session kernels');
        const want = additiveAttention(q, keys, v, values, lengths);
        assert.deepEqual(got.context.data, want.context.data, `${s}x${a}x${hv} step ${step}: context`);
        assert.deepEqual(got.weights.data, want.weights.data, `${s}x${a}x${hv} step ${step}: weights`);
      }
    }
    setAttentionStepKernels(installed);
  } finally {
    await shutdownEngine();
  }
});

test('an attention session: the same forward bits as the stateless op, its gradients over several steps, and finite differences', async () => {
  // B x S x A above ATTENTION_SESSION_MIN, rows of different lengths; three steps share the session (as decoder steps do).
  const batch = 5;
  const s = 9;
  const a = 368;
  const hv = 24;
  assert.ok(batch * s * a >= ATTENTION_SESSION_MIN);
  const { keys, v, values } = setup(6, batch, s, a, hv);
  const rng = new Rng(16);
  const queries = [0, 1, 2].map(() => param(rng, [batch, a]));
  const lengths = new Int32Array([9, 1, 4, 8, 3]);
  const inputs = [...queries, keys, v, values];
  const steps = (withSession: boolean) => () => {
    const session = withSession ? new AttentionSession(keys, v, values, lengths) : undefined;
    return queries.flatMap((q) => { const r = additiveAttention(q, keys, v, values, lengths, session); return [r.context, r.weights]; });
  };
  await initEngine({ threads: 1 });
  try {
    const installed = currentAttentionStepKernels();
    assert.ok(installed !== null, 'initEngine installs the session kernels');
    let calls = 0;
    setAttentionStepKernels({
      scores: (...x) => { calls++; return installed.scores(...x); },
      context: (...x) => installed.context(...x),
      stepBackward: (...x) => installed.stepBackward(...x),
      flush: (...x) => { calls += 100; return installed.flush(...x); },
    });
    const stateless = valuesAndGrads(steps(false), inputs);
    assert.equal(calls, 0);
    const session = valuesAndGrads(steps(true), inputs);
    assert.equal(calls, 103, 'three steps on the session kernels, one flush');
    session.values.forEach((x, k) => assert.deepEqual(x, stateless.values[k], `output ${k}: the same bits`));
    session.grads.forEach((g, k) => assertClose(g, stateless.grads[k] as Float32Array, 1e-5, `gradient of input ${k}`));
    setAttentionStepKernels(installed);
    // Two sessions of the same shape in turn (they share the engine's block for that size): each step still reads its own keys and values.
    const other = setup(7, batch, s, a, hv);
    const first = new AttentionSession(keys, v, values, lengths);
    const second = new AttentionSession(other.keys, other.v, other.values, lengths);
    for (const q of queries) {
      for (const [session, k, vv, vals] of [[first, keys, v, values], [second, other.keys, other.v, other.values]] as const) {
        const got = additiveAttention(q, k, vv, vals, lengths, session);
        const want = additiveAttention(q, k, vv, vals, lengths);
        assert.deepEqual(got.context.data, want.context.data);
        assert.deepEqual(got.weights.data, want.weights.data);
      }
    }
    const r = gradcheck(steps(true), inputs, { maxPerInput: 40 });
    assert.ok(r.ok, r.report);
    // Without the engine the session is ignored (the TypeScript loops).
  } finally {
    await shutdownEngine();
  }
  assert.equal(currentAttentionStepKernels(), null, 'shutdownEngine removes the session kernels');
  const js = valuesAndGrads(steps(true), inputs);
  const plain = valuesAndGrads(steps(false), inputs);
  js.values.forEach((x, k) => assert.deepEqual(x, plain.values[k]));
});

test('a training step keeps its tanh(q + k) from the forward for the backward: the bits of recomputing it, also when another session of the shape took its blocks', async () => {
  const batch = 5;
  const s = 9;
  const a = 368;
  const hv = 24;
  const mine = setup(8, batch, s, a, hv);
  const other = setup(9, batch, s, a, hv);
  const rng = new Rng(17);
  const queries = [0, 1, 2].map(() => param(rng, [batch, a]));
  const lengths = new Int32Array([9, 2, 4, 8, 3]);
  const inputs = [...queries, mine.keys, mine.v, mine.values, other.keys, other.v, other.values];
  // Both sessions' steps in turn (the second's forward takes the blocks the first's steps kept theirs in), or one session.
  const steps = (both: boolean) => () => {
    const sessions = [mine, ...(both ? [other] : [])].map((t) => ({ t, session: new AttentionSession(t.keys, t.v, t.values, lengths) }));
    return queries.flatMap((q) =>
      sessions.flatMap(({ t, session }) => {
        const r = additiveAttention(q, t.keys, t.v, t.values, lengths, session);
        return [r.context, r.weights];
      }),
    );
  };
  await initEngine({ threads: 1 });
  try {
    const installed = currentAttentionStepKernels();
    assert.ok(installed !== null);
    let asked = 0;
    const keeping = (keep: boolean): void =>
      setAttentionStepKernels({
        ...installed,
        scores: (sh, q, v, e, k) => {
          if (k !== null) asked++;
          return installed.scores(sh, q, v, e, keep ? k : null);
        },
      });
    for (const both of [false, true]) {
      keeping(true);
      const kept = valuesAndGrads(steps(both), inputs);
      keeping(false);
      const recomputed = valuesAndGrads(steps(both), inputs);
      assert.equal(asked, (both ? 12 : 6), 'every training step asked to keep its tanh');
      asked = 0;
      kept.values.forEach((x, k) => assert.deepEqual(x, recomputed.values[k], `output ${k}`));
      kept.grads.forEach((g, k) => assert.deepEqual(g, recomputed.grads[k], `gradient of input ${k}`));
    }
  } finally {
    await shutdownEngine();
  }
});
