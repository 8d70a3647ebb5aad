import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { expNonPositive, tanhValue } from '../../src/engine/ops/elementwise.js';
import { expRow } from '../../src/engine/ops/vector.js';

describe('tanhValue', () => {
  it('is within 3e-7 relative error of Math.tanh from -20 to 20', () => {
    let worst = 0;
    for (let i = -200000; i <= 200000; i++) {
      const x = i * 1e-4 + 1e-9 * i;
      const want = Math.tanh(x);
      const rel = want === 0 ? Math.abs(tanhValue(x)) : Math.abs(tanhValue(x) - want) / Math.abs(want);
      if (rel > worst) worst = rel;
    }
    assert.ok(worst < 3e-7, `worst relative error ${worst}`);
  });

  it('is odd, exact at 0, bounded by 1 and NaN for NaN', () => {
    for (const x of [1e-30, 1e-6, 0.3, 2.5, 7.9, 8, 50, 1e300, Infinity]) {
      assert.equal(tanhValue(-x), -tanhValue(x));
      assert.ok(Math.abs(tanhValue(x)) <= 1);
    }
    assert.equal(tanhValue(0), 0);
    assert.ok(Math.abs(tanhValue(1e-30) - 1e-30) < 1e-36);
    assert.ok(Number.isNaN(tanhValue(NaN)));
    assert.ok(Math.abs(tanhValue(1e300) - 1) < 3e-7);
  });
});

describe('expNonPositive', () => {
  it('is within 2e-8 relative error of Math.exp on [-100, 0]', () => {
    let worst = 0;
    for (let i = 0; i <= 1000000; i++) {
      const x = -i * 1e-4 - 3e-10 * i;
      const want = Math.exp(x);
      const rel = Math.abs(expNonPositive(x) - want) / want;
      if (rel > worst) worst = rel;
    }
    assert.ok(worst < 2e-8, `worst relative error ${worst}`);
  });

  it('gives exp(0) = 1, 0 at -Infinity, NaN for NaN and Math.exp above 0', () => {
    assert.equal(expNonPositive(0), 1);
    assert.equal(expNonPositive(-0), 1);
    assert.equal(expNonPositive(-Infinity), 0);
    assert.ok(Number.isNaN(expNonPositive(NaN)));
    assert.equal(expNonPositive(2.5), Math.exp(2.5));
  });
});

describe('expRow on the WebAssembly engine', () => {
  before(async () => {
    await initEngine({ threads: 1 });
  });
  after(async () => {
    await shutdownEngine();
  });

  for (const len of [1000, 1003, 257]) {
    it(`gives the maximum, the sum and exp(x - max) of a ${len}-float row as Math.exp does`, () => {
      const off = 5;
      const v = Float32Array.from({ length: len + off + 2 }, (_, i) => 40 * Math.sin(i * 1.7) - (i % 97 === 0 ? 200 : 0));
      let max = -Infinity;
      for (let j = 0; j < len; j++) max = Math.max(max, v[off + j] as number);
      let sum = 0;
      for (let j = 0; j < len; j++) sum += Math.exp((v[off + j] as number) - max);
      const dst = new Float32Array(len + 3).fill(7);
      const got = expRow(v, off, len, dst, 2);
      assert.equal(got.max, max);
      assert.ok(Math.abs(got.sum - sum) <= 3e-7 * sum, `sum ${got.sum}, want ${sum}`);
      for (let j = 0; j < len; j++) {
        const d = (v[off + j] as number) - max;
        const want = Math.exp(d);
        const e = dst[2 + j] as number;
        // 2e-7 from the polynomial, plus the float32 rounding of x - max (6e-8 |x - max|).
        assert.ok(Math.abs(e - want) <= (2e-7 + 1e-7 * Math.abs(d)) * want + 1e-37, `exp at ${j}: ${e}, want ${want}`);
      }
      assert.deepEqual([dst[0], dst[1], dst[len + 2]], [7, 7, 7]);
    });
  }

  it('gives NaN for a row with NaN and keeps -Infinity entries at exactly 0', () => {
    const v = new Float32Array(300).fill(1);
    v[17] = -Infinity;
    const dst = new Float32Array(300);
    const r = expRow(v, 0, 300, dst);
    assert.equal(r.max, 1);
    assert.equal(dst[17], 0);
    assert.ok(Math.abs(r.sum - 299) < 1e-9);
    v[40] = NaN;
    assert.ok(Number.isNaN(expRow(v, 0, 300).sum));
    assert.ok(Number.isNaN(expRow(new Float32Array(300).fill(-Infinity), 0, 300).sum));
  });
});
