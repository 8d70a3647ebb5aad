/**
 * One training step and the learning-rate bookkeeping, browser-safe: `attnmt train` (trainer.ts, which
 * adds files, checkpoints, validation and progress) and the page's "Train here" worker
 * (web/src/train-worker.ts) run this same code.
 *
 *   batches -> loss (teacher forcing, label smoothing, dropout) -> backward -> clip -> lr schedule -> Adam step
 *
 * and after each validation score: best score, plateau counters, lr decay on plateau.
 */
import { Tape, withTape } from '../engine/tensor.js';
import { withResidentParameters } from '../engine/gemm.js';
import { Adam, clipGradNorm, gradNorm } from '../engine/optim.js';
import { InputError } from '../util/errors.js';
import type { TrainableModel } from '../model/model.js';
import type { Batch } from '../data/batch.js';
import { Batcher, type BatcherState } from '../data/batcher.js';
import type { IdPair } from '../data/batch.js';
import type { ModelConfig } from '../model/config.js';
import type { Config, TrainingConfig } from './config-schema.js';
import type { PreparedData } from './prepare.js';
import { inverseSqrtLr, linearLr, warmupFactor, type Budget } from './schedule.js';

/** Everything that must survive a restart besides the tensors. */
export interface TrainingState {
  step: number;
  batcher: BatcherState;
  dropoutRng: Array<number | null>;
  lr: number;
  bestScore: number | null;
  bestStep: number | null;
  /** Validations since the score last improved (for lr decay). */
  plateau: number;
  /** Validations since the score last improved (for early stopping; not reset by lr decay). */
  sinceBest: number;
  /** Training seconds of earlier runs (maxTime counts the whole training). */
  seconds: number;
  tokens: number;
}

export interface StepResult {
  /** Target tokens of the step's batches. */
  ntokens: number;
  /** Their summed negative log-likelihood (nats). */
  nll: number;
  /** The learning rate the step used. */
  lr: number;
}

/** The optimizer, the batches and the schedule of one training run, stepped one update at a time. */
export class TrainingLoop {
  readonly optim: Adam;
  private readonly tape = new Tape();

  /**
   * `state` is updated in place (step, tokens, lr, best score, plateau counters); `elapsed` gives the
   * run's seconds so far (the linear schedule's time budget).
   */
  constructor(
    readonly model: TrainableModel,
    readonly batcher: Batcher,
    readonly training: TrainingConfig,
    readonly state: TrainingState,
    readonly budget: Budget,
    private readonly elapsed: () => number,
  ) {
    const t = training;
    this.optim = new Adam(model.parameters(), { lr: t.lr, beta1: t.adamBetas[0], beta2: t.adamBetas[1], weightDecay: t.weightDecay });
  }

  /** The rate of update `step` (1-based): the schedule's, times the warmup ramp (inverse-sqrt has its own). */
  lrAt(step: number): number {
    const t = this.training;
    if (t.lrSchedule === 'inverse-sqrt') return inverseSqrtLr(t.lr, t.warmup, step);
    const base = t.lrSchedule === 'linear' ? linearLr(t.lr, t.minLr, this.budget, { step: step - 1, seconds: this.elapsed() }) : this.state.lr;
    return base * warmupFactor(t.warmup, step);
  }

  /**
   * One optimizer step: the gradients of `accumulate` batches (the mean over all their target tokens), clipped, then Adam.
   * A non-finite loss or gradient norm is a TrainingDivergedError thrown before the update: the weights, the optimizer and
   * `state` stay those of the step before.
   */
  step(): StepResult {
    const t = this.training;
    this.model.setTraining(true);
    const { ntokens, nll } = accumulateGradients(this.model, this.tape, t.accumulate, () => this.batcher.next(), t.labelSmoothing);
    const step = this.state.step + 1;
    if (!Number.isFinite(nll)) throw TrainingDivergedError.at(step, `the training loss is ${nll}`, t);
    // Clipping computes the norm anyway; without clipping it takes one pass over the gradients.
    const params = this.model.parameters().values();
    const norm = t.clipNorm > 0 ? clipGradNorm(params, t.clipNorm) : gradNorm(params);
    if (!Number.isFinite(norm)) throw TrainingDivergedError.at(step, `the gradient norm is ${norm}`, t);
    this.optim.lr = this.lrAt(this.state.step + 1);
    this.optim.step();
    this.state.step++;
    this.state.tokens += ntokens;
    return { ntokens, nll, lr: this.optim.lr };
  }

  /**
   * Record a validation score (higher is better): best score and step, the plateau counters, and on the
   * plateau schedule the lr decay once the score has not improved for more than lrDecay.patience validations.
   */
  recordScore(score: number): { improved: boolean; decayedTo: number | null } {
    const s = this.state;
    const t = this.training;
    if (s.bestScore === null || score > s.bestScore) {
      s.bestScore = score;
      s.bestStep = s.step;
      s.plateau = 0;
      s.sinceBest = 0;
      return { improved: true, decayedTo: null };
    }
    s.plateau++;
    s.sinceBest++;
    if (t.lrSchedule === 'plateau' && s.plateau > t.lrDecay.patience && s.lr > t.minLr) {
      s.lr = Math.max(t.minLr, s.lr * t.lrDecay.factor);
      s.plateau = 0;
      return { improved: false, decayedTo: s.lr };
    }
    return { improved: false, decayedTo: null };
  }
}

/**
 * The training diverged: a non-finite loss, gradient norm or weight at `step`. One line naming the step and what
 * to try (a lower training.lr, gradient clipping); the CLI exits 1 on it.
 */
export class TrainingDivergedError extends InputError {
  constructor(readonly step: number, message: string) {
    super(message);
    this.name = 'TrainingDivergedError';
  }

  /** The error for `what` (e.g. "the training loss is NaN") at `step`, with what to try. */
  static at(step: number, what: string, t: Pick<TrainingConfig, 'lr' | 'clipNorm'>): TrainingDivergedError {
    const clip = t.clipNorm > 0 ? `a lower training.clipNorm (now ${t.clipNorm})` : 'gradient clipping (training.clipNorm, now 0: off; try 1)';
    return new TrainingDivergedError(step, `step ${step}: ${what}: the training diverged; try a lower training.lr (now ${t.lr}) or ${clip}`);
  }
}

/** The model config of a new training: the config's model section, its dropout and the vocab sizes. */
export function modelConfigFrom(cfg: Config, data: Pick<PreparedData, 'srcVocab' | 'tgtVocab'>): ModelConfig {
  return { ...cfg.model, dropout: cfg.training.dropout, srcVocabSize: data.srcVocab.size, tgtVocabSize: data.tgtVocab.size };
}

/** The training batches: training.batchTokens tokens or training.batchSize sentences, shuffled with seed + 1. */
export function makeBatcher(train: IdPair[], t: TrainingConfig): Batcher {
  return new Batcher(train, t.batchTokens > 0 ? { batchSize: t.batchTokens, unit: 'tokens', seed: t.seed + 1 } : { batchSize: t.batchSize, seed: t.seed + 1 });
}

/** The model's dropout random state, as JSON-safe numbers (NaN: null). */
export function rngState(model: TrainableModel): Array<number | null> {
  return model.rng.getState().map((v) => (Number.isNaN(v) ? null : v));
}

/** The state of a new training. */
export function freshState(lr: number, batcher: Batcher, model: TrainableModel): TrainingState {
  return { step: 0, batcher: batcher.state(), dropoutRng: rngState(model), lr, bestScore: null, bestStep: null, plateau: 0, sinceBest: 0, seconds: 0, tokens: 0 };
}

/**
 * The gradients of one optimizer step: zeroes the parameters' gradients, then runs forward and backward
 * on `count` batches from `next` (one at a time, the tape reset before each) and leaves the gradient of
 * the mean token loss over all of them. Returns their target tokens and summed NLL.
 */
export function accumulateGradients(
  model: TrainableModel, tape: Tape, count: number, next: () => Batch, labelSmoothing: number,
): { ntokens: number; nll: number } {
  const params = model.parameters();
  for (const p of params.values()) p.zeroGrad();
  let ntokens = 0;
  let nll = 0;
  // Nothing writes the parameters until the optimizer's step (which marks them changed): the engine keeps its copy
  // of each weight a product reads (bResident) from one product to the next instead of copying it in at every
  // call (a decoder step's weights, 30 times per batch).
  withResidentParameters(() => {
    for (let a = 0; a < count; a++) {
      const batch = next();
      tape.reset();
      const r = withTape(tape, () => model.loss(batch, { labelSmoothing }));
      tape.backward(r.loss, count === 1 ? 1 / r.ntokens : 1); // mean over target tokens (accumulated: scaled below)
      ntokens += r.ntokens;
      nll += r.nll;
    }
  });
  if (count > 1) {
    for (const p of params.values()) {
      const g = p.grad;
      if (g !== null) for (let i = 0; i < g.length; i++) g[i] /= ntokens;
    }
  }
  return { ntokens, nll };
}
