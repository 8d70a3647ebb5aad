/**
 * `attnmt serve`: load one or two checkpoints (an attention model and/or a fixed-context baseline,
 * told apart by their config), start the API and the web page, and stop cleanly on Ctrl-C.
 */
import type { FastifyInstance } from 'fastify';
import { buildServer, type ServerLimits } from './app.js';
import { createModelTranslator, type ModelKind, type Translator } from './translator.js';

export interface ServeOptions {
  /** Checkpoint files (one or two: --model and --model2). */
  models: string[];
  port?: number;
  /** Interface to bind (default 127.0.0.1: reachable from this machine only). */
  host?: string;
  limits?: Partial<ServerLimits>;
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
  const loaded = await Promise.allSettled(opts.models.map((file) => createModelTranslator(file)));
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
      throw new Error(
        `serve: ${opts.models[i]} and ${other.describe().name} are both ${info.kind === 'attention' ? 'attention models' : 'fixed-context baselines'}; give one of each`,
      );
    }
    translators[info.kind] = t;
    log(`serve: ${info.kind} model ${info.name}: ${info.architecture}, ${info.parameters.toLocaleString('en-US')} parameters`);
  }
  const app = buildServer({ translators, limits: opts.limits, staticDir: opts.staticDir });
  app.addHook('onClose', closeAll);
  const host = opts.host ?? '127.0.0.1';
  try {
    await app.listen({ port: opts.port ?? 8080, host });
  } catch (err) {
    await app.close();
    throw err;
  }
  const addr = app.server.address();
  const port = addr !== null && typeof addr === 'object' ? addr.port : (opts.port ?? 8080);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  log(`serve: listening on ${url} (POST /translate, POST /explain, GET /model, GET /health; Ctrl-C stops)`);
  return { app, url, close: () => app.close() };
}

/** Start the server and keep it running until SIGINT/SIGTERM. */
export async function serveUntilStopped(opts: ServeOptions): Promise<void> {
  const server = await startServer(opts);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(resolve, resolve);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
