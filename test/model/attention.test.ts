import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../src/engine/random.js';
import { Tensor } from '../../src/engine/tensor.js';
import { makeAttention } from '../../src/model/attention.js';
import { ParamStore } from '../../src/model/params.js';
import { tinyConfig } from './helpers.js';

const B = 3;
const S = 5;
const H = 8;
const lengths = Int32Array.from([5, 2, 3]);

function randomTensor(rng: Rng, shape: number[]): Tensor {
  const t = Tensor.zeros(shape);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(-1, 1);
  return t;
}

/** Reference score e(b, i) in float64 from the parameters, per the paper equations. */
function referenceScores(kind: 'additive' | 'dot' | 'general', p: Map<string, Tensor>, q: Tensor, h: Tensor, b: number): number[] {
  const qv = Array.from(q.data.subarray(b * H, b * H + H));
  const scores: number[] = [];
  for (let i = 0; i < S; i++) {
    const hv = Array.from(h.data.subarray((b * S + i) * H, (b * S + i) * H + H));
    if (kind === 'dot') {
      scores.push(qv.reduce((s, x, j) => s + x * (hv[j] as number), 0));
    } else if (kind === 'general') {
      const w = (p.get('att.key.weight') as Tensor).data; // (H, H): keys = h W
      let s = 0;
      for (let j = 0; j < H; j++) {
        let k = 0;
        for (let m = 0; m < H; m++) k += (hv[m] as number) * w[m * H + j];
        s += (qv[j] as number) * k;
      }
      scores.push(s);
    } else {
      const wq = (p.get('att.query.weight') as Tensor).data;
      const wk = (p.get('att.key.weight') as Tensor).data;
      const v = (p.get('att.v') as Tensor).data;
      const a = v.length;
      let s = 0;
      for (let j = 0; j < a; j++) {
        let pre = 0;
        for (let m = 0; m < H; m++) pre += (qv[m] as number) * wq[m * a + j] + (hv[m] as number) * wk[m * a + j];
        s += v[j] * Math.tanh(pre);
      }
      scores.push(s);
    }
  }
  return scores;
}

for (const kind of ['additive', 'dot', 'general'] as const) {
  test(`${kind} attention: masked weights match the paper equation and sum to 1`, () => {
    const rng = new Rng(7);
    const store = new ParamStore(new Rng(3));
    const att = makeAttention(tinyConfig({ attention: kind }), store, 'att');
    const states = randomTensor(rng, [B, S, H]);
    const query = randomTensor(rng, [B, H]);
    const mem = att.precompute(states, lengths, randomTensor(rng, [B, H]));
    const { context, weights } = att.step(query, mem);
    assert.ok(weights !== null);
    assert.deepEqual(weights.shape, [B, S]);
    assert.deepEqual(context.shape, [B, H]);
    for (let b = 0; b < B; b++) {
      const len = lengths[b] as number;
      const e = referenceScores(kind, store.params, query, states, b).slice(0, len);
      const mx = Math.max(...e);
      const z = e.reduce((s, x) => s + Math.exp(x - mx), 0);
      let total = 0;
      for (let i = 0; i < S; i++) {
        const w = weights.data[b * S + i] as number;
        if (i >= len) assert.equal(w, 0, `row ${b} padding position ${i} must have weight exactly 0`);
        else assert.ok(Math.abs(w - Math.exp((e[i] as number) - mx) / z) < 1e-5, `row ${b} position ${i}: ${w}`);
        total += w;
      }
      assert.ok(Math.abs(total - 1) < 1e-5, `row ${b} sums to ${total}`);
      for (let j = 0; j < H; j++) {
        let c = 0;
        for (let i = 0; i < len; i++) c += (weights.data[b * S + i] as number) * (states.data[(b * S + i) * H + j] as number);
        assert.ok(Math.abs(c - (context.data[b * H + j] as number)) < 1e-5, `context ${b},${j}`);
      }
    }
  });

  test(`${kind} attention: padded encoder states do not change the context`, () => {
    const rng = new Rng(8);
    const att = makeAttention(tinyConfig({ attention: kind }), new ParamStore(new Rng(4)), 'att');
    const states = randomTensor(rng, [B, S, H]);
    const query = randomTensor(rng, [B, H]);
    const summary = randomTensor(rng, [B, H]);
    const before = att.step(query, att.precompute(states, lengths, summary)).context.toArray();
    const noisy = states.clone();
    for (let b = 0; b < B; b++) {
      for (let i = lengths[b] as number; i < S; i++) for (let j = 0; j < H; j++) noisy.data[(b * S + i) * H + j] = 1e3;
    }
    const after = att.step(query, att.precompute(noisy, lengths, summary)).context.toArray();
    assert.deepEqual(after, before);
  });
}

test('fixed-context baseline: the context is the summary at every step, no weights, no parameters', () => {
  const rng = new Rng(9);
  const store = new ParamStore(new Rng(1));
  const att = makeAttention(tinyConfig({ attention: 'none' }), store, 'att');
  assert.equal(store.params.size, 0);
  const summary = randomTensor(rng, [B, H]);
  const mem = att.precompute(randomTensor(rng, [B, S, H]), lengths, summary);
  const r = att.step(randomTensor(rng, [B, H]), mem);
  assert.equal(r.weights, null);
  assert.deepEqual(r.context.toArray(), summary.toArray());
});

test('precompute rejects lengths that do not fit the states', () => {
  const att = makeAttention(tinyConfig({ attention: 'dot' }), new ParamStore(new Rng(1)), 'att');
  const rng = new Rng(2);
  assert.throws(() => att.precompute(randomTensor(rng, [B, S, H]), Int32Array.from([5, 6, 1]), randomTensor(rng, [B, H])), /length 6/);
  assert.throws(() => att.precompute(randomTensor(rng, [B, S, H]), Int32Array.from([5, 1]), randomTensor(rng, [B, H])), /2 entries/);
});
