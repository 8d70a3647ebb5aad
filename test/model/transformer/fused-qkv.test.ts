/**
 * The fused query/key/value projection of cached decoding steps (MultiHeadAttention.projectQkv): one
 * GEMM over [Wq | Wk | Wv] where the engine says that gives each column bit for bit what its own
 * product gives (gemm.ts concatExact), three products otherwise; either way the result must equal the
 * three `linear` calls it replaces exactly (decoding at batch 1 must not change with it).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, shutdownEngine } from '../../../src/engine/engine.js';
import { concatExact, parametersChanged, withResidentParameters } from '../../../src/engine/gemm.js';
import { quantizeMatrix, registerInt8 } from '../../../src/engine/int8.js';
import { linear } from '../../../src/engine/ops.js';
import { Rng } from '../../../src/engine/random.js';
import { Tensor } from '../../../src/engine/tensor.js';
import { ParamStore } from '../../../src/model/params.js';
import { MultiHeadAttention } from '../../../src/model/transformer/layers.js';

function random(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
}

/** An attention sublayer of width d with random weights and biases (biases are zero at init). */
function attention(d: number, heads: number, seed: number): { att: MultiHeadAttention; params: Map<string, Tensor> } {
  const store = new ParamStore(new Rng(seed));
  const att = new MultiHeadAttention(store, 'a', d, heads);
  const params = store.params;
  const rng = new Rng(seed + 1);
  for (const name of ['query', 'key', 'value']) (params.get(`a.${name}.bias`) as Tensor).data.set(random(d, rng));
  return { att, params };
}

/** The three separate projections side by side (N, 3D), as `linear` gives them. */
function separate(x: Tensor, params: Map<string, Tensor>, n: number, d: number): Float32Array {
  const out = new Float32Array(n * 3 * d);
  ['query', 'key', 'value'].forEach((name, i) => {
    const y = linear(x, params.get(`a.${name}.weight`) as Tensor, params.get(`a.${name}.bias`) as Tensor).data;
    for (let r = 0; r < n; r++) out.set(y.subarray(r * d, r * d + d), r * 3 * d + i * d);
  });
  return out;
}

function assertSame(got: Float32Array, want: Float32Array, what: string): void {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) assert.fail(`${what}: element ${i} is ${got[i]}, the separate products give ${want[i]}`);
  }
}

/** projectQkv against the separate products for every row count and width, in and out of a resident scope. */
function checkWidths(widths: Array<[number, number]>, rows: number[]): void {
  for (const [d, heads] of widths) {
    const { att, params } = attention(d, heads, d);
    for (const n of rows) {
      const x = new Tensor(random(n * d, new Rng(n)), [n, 1, d]);
      const want = separate(x, params, n, d);
      assertSame(att.projectQkv(x).data, want, `d ${d}, ${n} rows`);
      for (let rep = 0; rep < 3; rep++) assertSame(withResidentParameters(() => att.projectQkv(x)).data, want, `d ${d}, ${n} rows, resident, call ${rep}`);
    }
  }
}

describe('fused query/key/value projection, TypeScript reference GEMM', () => {
  it('every width and row count is fused and gives the separate products bit for bit', () => {
    assert.ok(concatExact(12, 6) && concatExact(1, 256));
    checkWidths([[6, 2], [16, 4], [64, 4]], [1, 3, 12]);
  });
});

for (const threads of [1, 2]) {
  describe(`fused query/key/value projection, WebAssembly engine (${threads} thread${threads > 1 ? 's' : ''})`, () => {
    before(async () => {
      await initEngine({ threads });
    });
    after(async () => {
      await shutdownEngine();
    });

    it('fused on the small-M path (widths a multiple of 4), separate otherwise; both give the separate products bit for bit', () => {
      assert.ok(concatExact(1, 256) && concatExact(8, 20), 'the small-M path fuses');
      assert.ok(!concatExact(9, 256), 'the packed path is not claimed');
      assert.ok(!concatExact(1, 6), 'a width that is not a multiple of 4 has scalar tail columns');
      // 8 rows x 3·256 x 256 is big enough for the pool to be timed (2 threads): run it both ways.
      checkWidths([[256, 4], [20, 2], [6, 2]], [1, 3, 8, 9, 16]);
      const { att, params } = attention(256, 4, 7);
      const x = new Tensor(random(8 * 256, new Rng(9)), [8, 1, 256]);
      const want = separate(x, params, 8, 256);
      for (let rep = 0; rep < 40; rep++) assertSame(withResidentParameters(() => att.projectQkv(x)).data, want, `pool-sized call ${rep}`);
    });

    it('follows weights written in place (after parametersChanged) and weights replaced by new buffers', () => {
      const d = 16;
      const { att, params } = attention(d, 4, 3);
      const x = new Tensor(random(d, new Rng(4)), [1, 1, d]);
      withResidentParameters(() => att.projectQkv(x));
      const wk = params.get('a.key.weight') as Tensor;
      wk.data.set(random(d * d, new Rng(5)));
      parametersChanged();
      assertSame(withResidentParameters(() => att.projectQkv(x)).data, separate(x, params, 1, d), 'after an in-place write');
      wk.data = random(d * d, new Rng(6));
      assertSame(withResidentParameters(() => att.projectQkv(x)).data, separate(x, params, 1, d), 'after a new buffer');
    });

    it('int8 weights take the int8 GEMM one by one, as linear does', () => {
      const d = 32;
      const { att, params } = attention(d, 4, 11);
      const wv = params.get('a.value.weight') as Tensor;
      registerInt8(wv.data, quantizeMatrix(wv.data, [d, d], 1));
      const x = new Tensor(random(d, new Rng(12)), [1, 1, d]);
      const want = separate(x, params, 1, d);
      const plain = new Float32Array(want.length);
      // the int8 product differs from the float one, so the fused float GEMM would be caught here
      ['query', 'key', 'value'].forEach((name, i) => {
        const w = params.get(`a.${name}.weight`) as Tensor;
        const copy = new Tensor(w.data.slice(), w.shape);
        plain.set(linear(x, copy, params.get(`a.${name}.bias`) as Tensor).data, i * d);
      });
      assert.ok(want.some((v, i) => v !== plain[i]), 'the int8 value projection differs from the float one');
      assertSame(withResidentParameters(() => att.projectQkv(x)).data, want, 'int8 value weight');
    });
  });
}
