/**
 * Learning-rate schedules of the training loop.
 *
 * - plateau (the default): keep training.lr and multiply it by lrDecay.factor when the validation score has
 *   not improved for more than lrDecay.patience validations (Joey NMT's "plateau", OpenNMT's decay on
 *   plateau). The decision lives in the trainer's validation step.
 * - linear: a budget schedule. The rate falls linearly from training.lr at the start of the run to
 *   training.minLr when the run's budget is spent, whichever of its limits (maxSteps, maxEpochs,
 *   maxTime) comes first; Li et al. 2020 ("Budgeted training", ICLR) found linear decay to zero the best
 *   schedule for a fixed budget. It is a function of how far the run is, so a resumed run (or a run
 *   whose budget was extended) picks it up where that point lies. With maxTime the rate depends on
 *   wall time, so such a run is not bit-for-bit reproducible.
 */

export interface Budget {
  /** Steps the run may take (0: no step limit). */
  plannedSteps: number;
  /** Seconds the run may take (0: no time limit). */
  maxTime: number;
}

export interface RunPoint {
  step: number;
  seconds: number;
}

/** How much of the budget is spent, in [0, 1]: the larger of the step and time fractions. */
export function budgetFraction(budget: Budget, at: RunPoint): number {
  let f = 0;
  if (budget.plannedSteps > 0) f = Math.max(f, at.step / budget.plannedSteps);
  if (budget.maxTime > 0) f = Math.max(f, at.seconds / budget.maxTime);
  return Math.min(1, Math.max(0, f));
}

/** The linear schedule's rate: lr at the start, minLr when the budget is spent. */
export function linearLr(lr: number, minLr: number, budget: Budget, at: RunPoint): number {
  if (budget.plannedSteps <= 0 && budget.maxTime <= 0) {
    throw new Error('linear learning-rate schedule: the run has no budget (set training.maxSteps, maxEpochs or maxTime)');
  }
  const f = budgetFraction(budget, at);
  return Math.max(minLr, minLr + (lr - minLr) * (1 - f));
}
