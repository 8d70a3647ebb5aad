/**
 * `attnmt serve --model FILE [--model2 FILE] [--port N] [--host H]`: the HTTP API and web page
 * (src/server). One or two checkpoints: an attention model and/or a fixed-context baseline.
 */
import * as fs from 'node:fs';
import { serveUntilStopped } from '../server/serve.js';
import { numberOption, stringOption } from './common.js';
import { UserError } from './errors.js';

export async function serveCommand(opts: Record<string, unknown>): Promise<void> {
  const models = [stringOption(opts, 'model'), stringOption(opts, 'model2')].filter((m): m is string => m !== undefined);
  for (const m of models) if (!fs.existsSync(m)) throw new UserError(`${m}: no such model file`);
  await serveUntilStopped({
    models,
    port: numberOption(opts, 'port') ?? 8080,
    host: stringOption(opts, 'host') ?? '127.0.0.1',
  });
}
