/**
 * The engine and data modules of a build's dist/ directory, loaded by path, so an A/B bench (train-step.ts,
 * rnn-step.ts) can run another build's code next to this one's; and the median both report.
 */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

export type EngineModules = {
  batch: typeof import('../src/data/batch.js');
  engine: typeof import('../src/engine/engine.js');
  optim: typeof import('../src/engine/optim.js');
  random: typeof import('../src/engine/random.js');
  tensor: typeof import('../src/engine/tensor.js');
  config: typeof import('../src/model/config.js');
  loop: typeof import('../src/train/loop.js');
};

/** Module `path` (relative to dist/, e.g. 'src/model/seq2seq.js') of build `dist`. */
export async function importFrom<T>(dist: string, path: string): Promise<T> {
  return (await import(pathToFileURL(join(dist, path)).href)) as T;
}

export async function loadEngineModules(dist: string): Promise<EngineModules> {
  return {
    batch: await importFrom(dist, 'src/data/batch.js'),
    engine: await importFrom(dist, 'src/engine/engine.js'),
    optim: await importFrom(dist, 'src/engine/optim.js'),
    random: await importFrom(dist, 'src/engine/random.js'),
    tensor: await importFrom(dist, 'src/engine/tensor.js'),
    config: await importFrom(dist, 'src/model/config.js'),
    loop: await importFrom(dist, 'src/train/loop.js'),
  };
}

/** The median; for an even count the mean of the two middle values. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

type Tensor = import('../src/engine/tensor.js').Tensor;

/**
 * One timed training step as the build's trainer takes it (its `accumulateGradients`: zeroed gradients, forward and
 * backward of the batch; then Adam): wall and process CPU milliseconds, and the loss (the batch's summed NLL).
 */
export function timedStep<B>(
  m: EngineModules, model: { loss(batch: B): { loss: Tensor; ntokens: number } }, adam: { zeroGrad(): void; step(): void },
  tape: import('../src/engine/tensor.js').Tape, batch: B,
): { ms: number; cpu: number; loss: number } {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = m.loop.accumulateGradients(model as unknown as Parameters<EngineModules['loop']['accumulateGradients']>[0], tape, 1, () => batch as never, 0);
  adam.step();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms, cpu: (c.user + c.system) / 1000, loss: r.nll };
}
