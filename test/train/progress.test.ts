import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BudgetClock, formatSeconds, makeProgress } from '../../src/train/progress.js';

const values = (seconds: number) => ({ loss: 2.5, lr: 1e-3, epoch: 1, tokens: seconds * 100, seconds });

test('a time budget: elapsed / budget and an ETA from this run\'s pace', () => {
  const clock = new BudgetClock({ plannedSteps: 0, maxTime: 180 });
  assert.equal(clock.at(0, 0).eta, null);
  const { fraction, eta } = clock.at(100, 60);
  assert.ok(Math.abs(fraction - 1 / 3) < 1e-9);
  assert.ok(Math.abs((eta ?? NaN) - 120) < 1e-9);
  assert.equal(clock.elapsed(62), '1m02s / 3m00s');
  assert.equal(clock.steps(100), 'step 100');
});

test('a resumed run: the ETA counts only this run\'s progress; steps and time, whichever ends first', () => {
  const clock = new BudgetClock({ plannedSteps: 1000, maxTime: 600 });
  clock.at(500, 100); // resumed at half the steps, a sixth of the time
  const { fraction, eta } = clock.at(600, 130);
  assert.ok(Math.abs(fraction - 0.6) < 1e-9);
  assert.ok(Math.abs((eta ?? NaN) - 120) < 1e-9); // 30 s for a tenth, four tenths left
  assert.equal(clock.steps(600), 'step 600/1000');
});

test('log lines every logEvery steps show the budget and the ETA', () => {
  const lines: string[] = [];
  const p = makeProgress({ tty: false, budget: { plannedSteps: 0, maxTime: 100 }, log: (l) => lines.push(l), logEvery: 2 });
  for (let step = 1; step <= 4; step++) p.update(step, values(step * 10));
  p.stop();
  assert.deepEqual(lines, [
    'step 2 | 20s / 1m40s | epoch 1 | loss 2.500 | lr 1.00e-3 | 100 tok/s | ETA 1m20s',
    'step 4 | 40s / 1m40s | epoch 1 | loss 2.500 | lr 1.00e-3 | 100 tok/s | ETA 1m00s',
  ]);
  assert.equal(formatSeconds(3725), '1h02m');
});
