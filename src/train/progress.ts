/**
 * Training progress: a cli-progress bar (loss, tokens/s, ETA) on a terminal, plain log lines every
 * `logEvery` steps otherwise (CI logs, files, pipes).
 */
import cliProgress from 'cli-progress';

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
  /** Planned steps (0: unknown, no bar and no ETA). */
  total: number;
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

export function makeProgress(opts: ProgressOptions): Progress {
  return opts.tty && opts.total > 0 ? barProgress(opts) : lineProgress(opts);
}

function barProgress(opts: ProgressOptions): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: 'step {value}/{total} [{bar}] {percentage}% | epoch {epoch} | loss {loss} | {tps} tok/s | ETA {eta_formatted}',
      barsize: 24,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
      stream: process.stderr,
    },
    cliProgress.Presets.shades_classic,
  );
  const rate = new Rate();
  let started = false;
  let lastStep = 0;
  let lastPayload = { loss: '-', tps: '-', epoch: 1 };
  return {
    update(step, v) {
      lastPayload = { loss: v.loss.toFixed(3), tps: Math.round(rate.add(v.seconds, v.tokens)).toString(), epoch: v.epoch };
      lastStep = step;
      if (!started) {
        bar.start(opts.total, step, lastPayload);
        started = true;
      } else {
        bar.update(step, lastPayload);
      }
    },
    pause() {
      if (started) bar.stop();
    },
    resume() {
      if (started) {
        bar.start(opts.total, lastStep, lastPayload);
      }
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

function lineProgress(opts: ProgressOptions): Progress {
  const rate = new Rate();
  return {
    update(step, v) {
      const tps = rate.add(v.seconds, v.tokens);
      if (step % opts.logEvery !== 0) return;
      const eta = opts.total > 0 && step > 0 ? ` | ETA ${formatSeconds((v.seconds / step) * (opts.total - step))}` : '';
      opts.log(
        `step ${step}${opts.total > 0 ? `/${opts.total}` : ''} | epoch ${v.epoch} | loss ${v.loss.toFixed(3)} | lr ${v.lr.toExponential(2)} | ${Math.round(tps)} tok/s${eta}`,
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
