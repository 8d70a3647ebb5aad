/**
 * `attnmt serve`: load one or two checkpoints (an attention model and/or a fixed-context baseline,
 * told apart by their config), start the API and the web page, and stop cleanly on Ctrl-C.
 */
import dns from 'node:dns/promises';
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { InputError } from '../util/errors.js';
import { buildServer, type ServerLimits } from './app.js';
import { createModelTranslator, type ModelKind, type ModelTranslatorOptions, type Translator } from './translator.js';

/** `serve` cannot start for a reason that is the user's or the machine's (port taken, unknown host...): exit 1. */
export class ServeError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'ServeError';
  }
}

export interface ServeOptions {
  /** Checkpoint files (one or two: --model and --model2). */
  models: string[];
  port?: number;
  /** Interface to bind (default 127.0.0.1: reachable from this machine only). */
  host?: string;
  limits?: Partial<ServerLimits>;
  /** Host names answered besides the loopback ones (see buildServer). */
  allowedHosts?: readonly string[];
  /** Worker threads per model and how requests are chunked (see createModelTranslator). */
  pool?: Omit<ModelTranslatorOptions, 'name'>;
  staticDir?: string | null;
  log?: (line: string) => void;
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

/** Load the models and start listening; resolves once the server accepts connections. */
export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (opts.models.length === 0 || opts.models.length > 2) {
    throw new Error(`serve: give one or two models (--model, --model2), got ${opts.models.length}`);
  }
  const [m1, m2] = opts.models.map((m) => realPath(m));
  if (m1 !== undefined && m1 === m2) {
    throw new ServeError(`serve: --model and --model2 are the same file (${opts.models[1]}); give an attention model and a baseline`);
  }
  const host = opts.host ?? '127.0.0.1';
  const port = opts.port ?? 8080;
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new ServeError(`serve: --port ${port} is not a TCP port (0-65535)`);
  // Before loading the models: an unknown host should fail at once.
  try {
    await dns.lookup(host);
  } catch {
    throw new ServeError(`serve: cannot resolve --host ${host} (give an IP address or a name of this machine, e.g. 127.0.0.1 or 0.0.0.0)`);
  }
  const loaded = await Promise.allSettled(opts.models.map((file) => createModelTranslator(file, opts.pool)));
  const translators: Partial<Record<ModelKind, Translator>> = {};
  const all: Translator[] = loaded.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const closeAll = async (): Promise<void> => {
    await Promise.all(all.map((t) => t.close?.()));
  };
  const failed = loaded.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) {
    await closeAll();
    throw failed.reason;
  }
  for (const [i, t] of all.entries()) {
    const info = t.describe();
    const other = translators[info.kind];
    if (other !== undefined) {
      await closeAll();
      throw new ServeError(
        `serve: ${opts.models[i]} and ${other.describe().name} are both ${info.kind === 'attention' ? 'attention models' : 'fixed-context baselines'}; give one of each`,
      );
    }
    translators[info.kind] = t;
    log(`serve: ${info.kind} model ${info.name}: ${info.architecture}, ${info.parameters.toLocaleString('en-US')} parameters`);
  }
  const app = buildServer({ translators, limits: opts.limits, staticDir: opts.staticDir, host, allowedHosts: opts.allowedHosts });
  app.addHook('onClose', closeAll);
  try {
    await app.listen({ port, host });
  } catch (err) {
    await app.close();
    throw listenError(err, host, port);
  }
  const addr = app.server.address();
  const boundPort = addr !== null && typeof addr === 'object' ? addr.port : port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${boundPort}/`;
  log(`serve: listening on ${url} (POST /translate, GET /model, GET /health; Ctrl-C stops)`);
  return { app, url, close: () => app.close() };
}

/** The file's real path (symlinks resolved), or undefined when it cannot be resolved (the loader then says why). */
function realPath(file: string): string | undefined {
  try {
    return fs.realpathSync(path.resolve(file));
  } catch {
    return undefined;
  }
}

/** A listen() failure as one line naming the host and port; unknown causes stay internal errors. */
export function listenError(err: unknown, host: string, port: number): Error {
  const code = err instanceof Error && 'code' in err ? String(err.code) : '';
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new ServeError(`serve: ${where} is already in use (another server is listening there; choose another --port)`);
    case 'EACCES':
      return new ServeError(`serve: not allowed to listen on ${where} (ports below 1024 need privileges; choose another --port)`);
    case 'EADDRNOTAVAIL':
      return new ServeError(`serve: cannot listen on ${where}: --host ${host} is not an address of this machine`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ServeError(`serve: cannot resolve --host ${host}`);
    default:
      return err instanceof Error ? err : new Error(String(err));
  }
}

/** Start the server and keep it running until SIGINT/SIGTERM. */
export async function serveUntilStopped(opts: ServeOptions): Promise<void> {
  // The handlers are in place before the "listening" line, so a signal right after it still stops cleanly.
  let signalled: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    signalled = resolve;
  });
  const onSignal = (): void => signalled();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const server = await startServer(opts);
    await stopped;
    await server.close().catch(() => undefined);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
