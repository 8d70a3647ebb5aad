/**
 * `attnmt train [config] [flags]`: load the config (flags override it), start the engine, train.
 * Ctrl-C (SIGINT) or kill (SIGTERM) saves the last checkpoint, then exits with code 130;
 * `--resume` continues from it exactly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { loadConfig, parseOverride } from '../train/config.js';
import { requestStop, train } from '../train/trainer.js';
import { startEngine, stopEngine } from './common.js';
import { UserError } from './errors.js';
import { opt, parseOptions } from './options.js';

export const TrainOptionsSchema = z.object({
  train: opt.file.optional(),
  dev: opt.file.optional(),
  out: opt.file.optional(),
  maxSteps: opt.count.optional(),
  maxTime: opt.number.optional(),
  threads: opt.count.optional(),
  seed: z.number().int().nonnegative().optional(),
  /** true: <outDir>/last.safetensors. */
  resume: z.union([z.literal(true), opt.file]).optional(),
  set: z.array(z.string()).default([]),
  snapshotSentence: z.string().trim().min(1, 'give the sentence whose attention to snapshot').optional(),
  snapshotEvery: opt.count.optional(),
  checkpointConfig: z.boolean().optional(),
  overwrite: z.boolean().optional(),
});
export type TrainOptions = z.infer<typeof TrainOptionsSchema>;

/** Steps between attention snapshots when --snapshot-sentence comes without --snapshot-every. */
export const DEFAULT_SNAPSHOT_EVERY = 50;

/** Flags -> config overrides (key path and value). */
export function trainOverrides(o: TrainOptions): Array<{ keyPath: string[]; value: unknown }> {
  const out: Array<{ keyPath: string[]; value: unknown }> = [];
  const set = (keyPath: string, value: unknown): void => {
    if (value !== undefined) out.push({ keyPath: keyPath.split('.'), value });
  };
  set('data.train', o.train);
  set('data.dev', o.dev);
  set('training.outDir', o.out);
  set('training.maxSteps', o.maxSteps);
  set('training.maxTime', o.maxTime);
  set('training.threads', o.threads);
  set('training.seed', o.seed);
  for (const s of o.set) out.push(parseOverride(s));
  return out;
}

export async function trainCommand(configFile: string | undefined, raw: unknown): Promise<void> {
  const o = parseOptions(TrainOptionsSchema, raw);
  const config = loadConfig(configFile, trainOverrides(o));
  if (o.snapshotEvery !== undefined && o.snapshotSentence === undefined) throw new UserError('--snapshot-every: give the sentence with --snapshot-sentence');
  const snapshot = o.snapshotSentence === undefined ? undefined : { sentence: o.snapshotSentence, every: o.snapshotEvery ?? DEFAULT_SNAPSHOT_EVERY };
  let resume: string | undefined;
  if (o.checkpointConfig === true && o.resume === undefined) throw new UserError('--checkpoint-config only applies with --resume');
  if (o.resume !== undefined) {
    resume = o.resume === true ? path.join(config.training.outDir, 'last.safetensors') : o.resume;
    // --overwrite with --resume only replaces another run in the outDir by the checkpoint's (kept outside it).
    if (o.overwrite === true && path.resolve(path.dirname(resume)) === path.resolve(config.training.outDir)) {
      throw new UserError('--overwrite starts a new run: it cannot be combined with --resume of a checkpoint in the outDir');
    }
    if (!fs.existsSync(resume)) throw new UserError(`${resume}: no checkpoint to resume from`);
  }
  const engine = await startEngine(config.training.threads);
  process.stderr.write(`engine: ${engine.backend}, ${engine.threads} thread${engine.threads > 1 ? 's' : ''}\n`);
  let signals = 0;
  const onSignal = (): void => {
    signals++;
    if (signals > 1) process.exit(130);
    process.stderr.write('\nstopping: saving the last checkpoint (press Ctrl-C again to quit at once)\n');
    requestStop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const result = await train({
      config,
      ...(resume === undefined ? {} : { resume }),
      ...(snapshot === undefined ? {} : { snapshot }),
      checkpointConfig: o.checkpointConfig === true,
      overwrite: o.overwrite === true,
    });
    if (result.stopReason === 'interrupted') process.exitCode = 130;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopEngine();
  }
}
