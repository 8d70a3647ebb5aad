/**
 * `attnmt train [config] [flags]`: load the config (flags override it), start the engine, train.
 * Ctrl-C (SIGINT) or kill (SIGTERM) saves the last checkpoint, then exits with code 130;
 * `--resume` continues from it exactly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig, parseOverride } from '../train/config.js';
import { requestStop, train } from '../train/trainer.js';
import { numberOption, startEngine, stopEngine, stringOption } from './common.js';
import { UserError } from './errors.js';

/** Flags -> config overrides (key path and value). */
export function trainOverrides(opts: Record<string, unknown>): Array<{ keyPath: string[]; value: unknown }> {
  const out: Array<{ keyPath: string[]; value: unknown }> = [];
  const set = (keyPath: string, value: unknown): void => {
    if (value !== undefined) out.push({ keyPath: keyPath.split('.'), value });
  };
  set('data.train', stringOption(opts, 'train'));
  set('data.dev', stringOption(opts, 'dev'));
  set('training.outDir', stringOption(opts, 'out'));
  set('training.maxSteps', numberOption(opts, 'maxSteps'));
  set('training.maxTime', numberOption(opts, 'maxTime'));
  set('training.threads', numberOption(opts, 'threads'));
  set('training.seed', numberOption(opts, 'seed'));
  const sets = Array.isArray(opts['set']) ? (opts['set'] as string[]) : [];
  for (const s of sets) out.push(parseOverride(s));
  return out;
}

export async function trainCommand(configFile: string | undefined, opts: Record<string, unknown>): Promise<void> {
  const config = loadConfig(configFile, trainOverrides(opts));
  let resume: string | undefined;
  if (opts['resume'] !== undefined) {
    resume = typeof opts['resume'] === 'string' ? opts['resume'] : path.join(config.training.outDir, 'last.safetensors');
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
    const result = await train({ config, ...(resume === undefined ? {} : { resume }) });
    if (result.stopReason === 'interrupted') process.exitCode = 130;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopEngine();
  }
}
