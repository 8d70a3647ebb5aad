/** Shared helpers of the engine op tests: seeded random parameters and a gradcheck assertion. */
import assert from 'node:assert/strict';
import { gradcheck, type GradcheckOptions } from '../../src/engine/gradcheck.js';
import { Rng } from '../../src/engine/random.js';
import { Tensor } from '../../src/engine/tensor.js';

/** A parameter of the given shape with values uniform in [lo, hi). */
export function param(rng: Rng, shape: number[], lo = -1, hi = 1): Tensor {
  const t = Tensor.zeros(shape, { requiresGrad: true });
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(lo, hi);
  return t;
}

export function assertGrads(fn: () => Tensor | readonly Tensor[], inputs: Tensor[], opts: GradcheckOptions = {}): void {
  const r = gradcheck(fn, inputs, opts);
  assert.ok(r.ok, r.report);
  assert.ok(r.checked > 0, 'nothing was checked');
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: lengths differ`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (a === e) continue;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${what}[${i}]: ${a} vs ${e}`);
  }
}
