/**
 * `attnmt quantize --input M --output M8`: writes the int8 version of a float checkpoint (see
 * src/model/quantize.ts): weight matrices as int8 with per-output-unit float32 scales, optimizer
 * moments dropped. The output is written atomically; translate, eval, serve and the page load it and
 * decode with the int8 GEMM. Prints the sizes.
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { loadCheckpoint, saveCheckpoint } from '../model/checkpoint-file.js';
import { isQuantized, quantizeCheckpoint } from '../model/quantize.js';
import { UserError } from './errors.js';
import { opt, parseOptions } from './options.js';

export const QuantizeOptionsSchema = z.object({ input: opt.file, output: opt.file });

export function quantizeCommand(raw: unknown): void {
  const { input, output } = parseOptions(QuantizeOptionsSchema, raw);
  if (resolve(input) === resolve(output)) throw new UserError(`--output: ${output} is the input checkpoint (write the int8 model to a new file)`);
  const float = loadCheckpoint(input);
  if (isQuantized(float)) throw new UserError(`${input}: is already an int8 checkpoint`);
  const q = quantizeCheckpoint(float, input);
  saveCheckpoint(output, q);
  const mb = (file: string): string => (statSync(file).size / 1e6).toFixed(2);
  const dropped = float.extraTensors !== undefined && float.extraTensors.size > 0 ? ` (optimizer state dropped: ${float.extraTensors.size} tensors)` : '';
  process.stderr.write(
    `quantized ${q.quantized?.size ?? 0} of ${float.params.size} tensors to int8: ${input} ${mb(input)} MB -> ${output} ${mb(output)} MB${dropped}\n`,
  );
}
