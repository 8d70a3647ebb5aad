import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { expNonPositive, tanhValue } from '../../src/engine/ops/elementwise.js';

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
