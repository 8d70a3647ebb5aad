/**
 * Learning-rate schedules of the training loop.
 *
 * - plateau (the default): keep training.lr and multiply it by lrDecay.factor when the validation score has
 *   not improved for more than lrDecay.patience validations (Joey NMT's "plateau", OpenNMT's decay on
 *   plateau). The decision lives in the trainer's validation step.
 * - inverse-sqrt: the Transformer's (Vaswani et al. 2017, eq. 3): a linear warmup to training.lr over
 *   training.warmup steps, then lr · sqrt(warmup / step) (fairseq's inverse_sqrt, OpenNMT's noam up to
 *   its scale).
 * - every schedule but inverse-sqrt is multiplied by a linear warmup ramp over training.warmup steps
 *   (none by default).
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

/**
 * The inverse square root schedule of Vaswani et al. 2017 (eq. 3), with `lr` as its peak: the rate rises
 * linearly to lr over the first `warmup` steps, then decays as lr · sqrt(warmup / step).
 * `step` counts from 1 (the first update).
 */
export function inverseSqrtLr(lr: number, warmup: number, step: number): number {
  if (!(step >= 1)) throw new RangeError(`inverse-sqrt learning-rate schedule: step must be >= 1, got ${step}`);
  if (warmup <= 0) return lr / Math.sqrt(step);
  return step <= warmup ? (lr * step) / warmup : lr * Math.sqrt(warmup / step);
}

/** The warmup ramp of update `step` (1-based): step / warmup during the first `warmup` updates, then 1. */
export function warmupFactor(warmup: number, step: number): number {
  return warmup > 0 && step < warmup ? step / warmup : 1;
}
