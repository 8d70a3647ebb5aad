import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gelu } from '../../src/engine/ops.js';
import { geluDerivative, geluValue } from '../../src/engine/ops/gelu.js';
import { Rng } from '../../src/engine/random.js';
import { assertGrads, assertSameOnEngine, countRowKernels, param } from './ops-helpers.js';

/** x Φ(x) in float64 with erf from its Taylor series (exact enough for |x| <= 4) and the continued fraction beyond. */
function geluExact(x: number): number {
  const z = x / Math.SQRT2;
  let erf: number;
  if (Math.abs(z) < 3) {
    let term = z;
    let sum = z;
    for (let n = 1; n < 100; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    erf = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(a) = exp(-a²)/(a√π) · 1/(1 + 1/(2a²)/(1 + 2/(2a²)/(1 + ...))) (continued fraction)
    const a = Math.abs(z);
    let f = 0;
    for (let k = 60; k >= 1; k--) f = (k / 2) / (a * a) / (1 + f);
    const erfc = Math.exp(-a * a) / (a * Math.sqrt(Math.PI)) / (1 + f);
    erf = z > 0 ? 1 - erfc : erfc - 1;
  }
  return 0.5 * x * (1 + erf);
}

test('geluValue is x Φ(x) within 2e-7 (absolute, and relative in the negative tail)', () => {
  for (let x = -9; x <= 6; x += 0.01) {
    const want = geluExact(x);
    const got = geluValue(x);
    assert.ok(Math.abs(got - want) <= 2e-7 * Math.max(1, Math.abs(x)) || Math.abs(got - want) <= 1e-6 * Math.abs(want), `gelu(${x}) = ${got}, want ${want}`);
  }
  assert.equal(geluValue(0), 0);
  assert.ok(Math.abs(geluDerivative(0) - 0.5) < 1e-7);
});

test('gelu gradients pass finite differences', () => {
  const x = param(new Rng(1), [3, 11], -4, 4);
  assertGrads(() => gelu(x), [x]);
});

test('gelu in WebAssembly SIMD gives the TypeScript results', async () => {
  const x = param(new Rng(2), [37, 61], -8, 8);
  await assertSameOnEngine(() => [gelu(x)], [x], countRowKernels, 2e-6);
});
