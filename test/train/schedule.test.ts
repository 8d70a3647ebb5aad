import { test } from 'node:test';
import assert from 'node:assert/strict';
import { budgetFraction, linearLr, inverseSqrtLr, warmupFactor } from '../../src/train/schedule.js';

test('the budget fraction is the larger of the step and time fractions, clamped to [0, 1]', () => {
  assert.equal(budgetFraction({ plannedSteps: 100, maxTime: 0 }, { step: 25, seconds: 1e9 }), 0.25);
  assert.equal(budgetFraction({ plannedSteps: 0, maxTime: 200 }, { step: 1e9, seconds: 50 }), 0.25);
  assert.equal(budgetFraction({ plannedSteps: 100, maxTime: 200 }, { step: 10, seconds: 150 }), 0.75);
  assert.equal(budgetFraction({ plannedSteps: 100, maxTime: 200 }, { step: 90, seconds: 20 }), 0.9);
  assert.equal(budgetFraction({ plannedSteps: 100, maxTime: 0 }, { step: 250, seconds: 0 }), 1);
});

test('the linear rate falls from lr to minLr over the budget', () => {
  const budget = { plannedSteps: 1000, maxTime: 0 };
  assert.equal(linearLr(2e-3, 0, budget, { step: 0, seconds: 0 }), 2e-3);
  assert.ok(Math.abs(linearLr(2e-3, 0, budget, { step: 250, seconds: 0 }) - 1.5e-3) < 1e-15);
  assert.ok(Math.abs(linearLr(2e-3, 1e-4, budget, { step: 500, seconds: 0 }) - 1.05e-3) < 1e-15);
  assert.equal(linearLr(2e-3, 1e-4, budget, { step: 1000, seconds: 0 }), 1e-4);
  assert.equal(linearLr(2e-3, 1e-4, budget, { step: 5000, seconds: 0 }), 1e-4);
  assert.throws(() => linearLr(1e-3, 0, { plannedSteps: 0, maxTime: 0 }, { step: 1, seconds: 1 }), /no budget/);
});

test('inverse-sqrt: linear warmup to lr, then lr · sqrt(warmup / step) (Vaswani et al. 2017 eq. 3 up to its scale)', () => {
  assert.equal(inverseSqrtLr(0.001, 4000, 1), 0.001 / 4000);
  assert.equal(inverseSqrtLr(0.001, 4000, 2000), 0.0005);
  assert.equal(inverseSqrtLr(0.001, 4000, 4000), 0.001);
  assert.equal(inverseSqrtLr(0.001, 4000, 16000), 0.0005);
  // Vaswani's lrate = d^-0.5 · min(step^-0.5, step · warmup^-1.5) is this with lr = (d · warmup)^-0.5.
  const d = 512;
  const w = 4000;
  for (const step of [1, 100, 4000, 9000, 100000]) {
    const vaswani = d ** -0.5 * Math.min(step ** -0.5, step * w ** -1.5);
    assert.ok(Math.abs(inverseSqrtLr((d * w) ** -0.5, w, step) - vaswani) < 1e-15);
  }
  assert.equal(inverseSqrtLr(0.001, 0, 4), 0.0005, 'no warmup: lr / sqrt(step)');
  assert.throws(() => inverseSqrtLr(0.001, 10, 0), /step must be >= 1/);
});

test('warmupFactor ramps linearly over the warmup steps, then stays 1', () => {
  assert.equal(warmupFactor(4, 1), 0.25);
  assert.equal(warmupFactor(4, 3), 0.75);
  assert.equal(warmupFactor(4, 4), 1);
  assert.equal(warmupFactor(4, 100), 1);
  assert.equal(warmupFactor(0, 1), 1);
});
