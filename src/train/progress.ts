/**
 * Training progress against the run's budget (steps from maxSteps/maxEpochs, seconds from maxTime,
 * whichever ends the run first): a cli-progress bar on a terminal, plain log lines every `logEvery`
 * steps otherwise (CI logs, files, pipes). Both show the elapsed time against a time budget and an
 * ETA from this run's pace.
 */
import cliProgress from 'cli-progress';
import { budgetFraction, type Budget } from './schedule.js';

export interface ProgressValues {
  /** Mean training loss (nats per target token) since the last log line. */
  loss: number;
  lr: number;
  epoch: number;
  /** Target tokens seen so far (whole training). */
  tokens: number;
  /** Training seconds so far (whole training). */
  seconds: number;
}

export interface Progress {
  update(step: number, v: ProgressValues): void;
  /** Hide the bar while something else prints (validation). */
  pause(): void;
  resume(): void;
  stop(): void;
}

export interface ProgressOptions {
  tty: boolean;
  /** What ends the run: planned steps and/or seconds (0: no such limit). */
  budget: Budget;
  log: (line: string) => void;
  logEvery: number;
}

/** Tokens per second over a sliding window of recent updates. */
class Rate {
  private readonly points: Array<[number, number]> = [];
  add(seconds: number, tokens: number): number {
    this.points.push([seconds, tokens]);
    if (this.points.length > 50) this.points.shift();
    const [s0, t0] = this.points[0] as [number, number];
    return seconds > s0 ? (tokens - t0) / (seconds - s0) : 0;
  }
}

/** Where a run is against its budget: the fraction spent and an ETA from this run's pace. */
export class BudgetClock {
  private start: { fraction: number; seconds: number } | null = null;

  constructor(readonly budget: Budget) {}

  get bounded(): boolean {
    return this.budget.plannedSteps > 0 || this.budget.maxTime > 0;
  }

  /** Fraction of the budget spent (0..1) and seconds left at this run's pace (null until it can tell). */
  at(step: number, seconds: number): { fraction: number; eta: number | null } {
    const fraction = budgetFraction(this.budget, { step, seconds });
    this.start ??= { fraction, seconds };
    const done = fraction - this.start.fraction;
    const eta = done > 0 ? ((seconds - this.start.seconds) * (1 - fraction)) / done : null;
    return { fraction, eta };
  }

  /** "1m02s / 3m00s" against a time budget, "1m02s" without one. */
  elapsed(seconds: number): string {
    return this.budget.maxTime > 0 ? `${formatSeconds(seconds)} / ${formatSeconds(this.budget.maxTime)}` : formatSeconds(seconds);
  }

  /** "step 620/1500" against a step budget, "step 620" without one. */
  steps(step: number): string {
    return this.budget.plannedSteps > 0 ? `step ${step}/${this.budget.plannedSteps}` : `step ${step}`;
  }
}

export function makeProgress(opts: ProgressOptions): Progress {
  const clock = new BudgetClock(opts.budget);
  return opts.tty && clock.bounded ? barProgress(clock) : lineProgress(opts, clock);
}

function barProgress(clock: BudgetClock): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: '{steps} [{bar}] {percentage}% | {elapsed} | epoch {epoch} | loss {loss} | {tps} tok/s | ETA {eta}',
      barsize: 24,
      hideCursor: true,
      fps: 5,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const rate = new Rate();
  let started = false;
  let last = { value: 0, payload: {} as Record<string, string | number> };
  return {
    update(step, v) {
      const { fraction, eta } = clock.at(step, v.seconds);
      const payload = {
        steps: clock.steps(step),
        elapsed: clock.elapsed(v.seconds),
        loss: v.loss.toFixed(3),
        tps: Math.round(rate.add(v.seconds, v.tokens)).toString(),
        epoch: v.epoch,
        eta: eta === null ? '-' : formatSeconds(eta),
      };
      last = { value: Math.round(fraction * 1000), payload };
      if (!started) {
        bar.start(1000, last.value, payload);
        started = true;
      } else {
        bar.update(last.value, payload);
      }
    },
    pause() {
      if (started) bar.stop();
    },
    resume() {
      if (started) bar.start(1000, last.value, last.payload);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

function lineProgress(opts: ProgressOptions, clock: BudgetClock): Progress {
  const rate = new Rate();
  return {
    update(step, v) {
      const tps = rate.add(v.seconds, v.tokens);
      const { eta } = clock.at(step, v.seconds);
      if (step % opts.logEvery !== 0) return;
      opts.log(
        `${clock.steps(step)} | ${clock.elapsed(v.seconds)} | epoch ${v.epoch} | loss ${v.loss.toFixed(3)} | lr ${v.lr.toExponential(2)} | ${Math.round(tps)} tok/s${eta === null ? '' : ` | ETA ${formatSeconds(eta)}`}`,
      );
    },
    pause() {},
    resume() {},
    stop() {},
  };
}

export function formatSeconds(s: number): string {
  const sec = Math.max(0, Math.round(s));
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const r = sec % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}
