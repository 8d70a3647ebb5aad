/**
 * `attnmt serve --model FILE [--model2 FILE] [--port N] [--host H] [--allowed-hosts LIST] [--workers N]`: the
 * HTTP API and web page (src/server). One or two checkpoints: an attention model and/or a fixed-context baseline.
 */
import * as fs from 'node:fs';
import { z } from 'zod';
import { serveUntilStopped } from '../server/serve.js';
import { UserError } from './errors.js';
import { opt, parseOptions } from './options.js';

export const ServeOptionsSchema = z.object({
  model: opt.file,
  model2: opt.file.optional(),
  port: z.number().int().min(0).max(65535, { message: 'must be a TCP port, 0 to 65535' }).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  allowedHosts: z.array(z.string().min(1)).optional(),
  workers: opt.count.max(64).default(2),
});

export async function serveCommand(raw: unknown): Promise<void> {
  const o = parseOptions(ServeOptionsSchema, raw);
  const models = [o.model, ...(o.model2 === undefined ? [] : [o.model2])];
  for (const m of models) if (!fs.existsSync(m)) throw new UserError(`${m}: no such model file`);
  await serveUntilStopped({ models, port: o.port, host: o.host, allowedHosts: o.allowedHosts, pool: { workers: o.workers } });
}
