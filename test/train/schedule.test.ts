import { test } from 'node:test';
import assert from 'node:assert/strict';
import { budgetFraction, linearLr } from '../../src/train/schedule.js';

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
