/**
 * `attnmt average --output OUT.safetensors CKPT CKPT [CKPT...]`: the mean of the parameters of several
 * checkpoints of one run (see src/model/average.ts). Train with `training.keepCheckpoints: N` to keep
 * the last N validations' checkpoints (<outDir>/step-<step>.safetensors), then average them.
 */
import * as fs from 'node:fs';
import { z } from 'zod';
import { averageCheckpoints } from '../model/average.js';
import { loadCheckpoint, saveCheckpoint } from '../model/checkpoint-file.js';
import { UserError } from './errors.js';
import { opt, parseOptions } from './options.js';

export const AverageOptionsSchema = z.object({ output: opt.file });

export function averageCommand(files: string[], raw: unknown): void {
  const { output } = parseOptions(AverageOptionsSchema, raw);
  if (files.length < 2) throw new UserError(`average: give at least two checkpoints (got ${files.length})`);
  const resolved = files.map((f) => fs.realpathSync.native(f));
  const dup = resolved.findIndex((f, i) => resolved.indexOf(f) !== i);
  if (dup >= 0) throw new UserError(`${files[dup]}: given twice`);
  const averaged = averageCheckpoints(files.map((name) => ({ name, load: () => loadCheckpoint(name) })));
  saveCheckpoint(output, averaged);
  process.stderr.write(`averaged ${files.length} checkpoints into ${output}\n`);
}
