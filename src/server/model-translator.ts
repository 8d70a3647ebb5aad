/**
 * The real `Translator`: a checkpoint decoded by a pool of worker threads (lanes), each holding the model.
 *
 * A request is split into chunks of sentences that the lanes take round-robin across requests (scheduler.ts),
 * so small requests interleave with big ones; the last lane (with 2 or more) takes only chunks of at most
 * `shortWork` units, so a small request never waits behind a long sentence. Work units are characters x beam.
 * A request aborted (timeout, client gone) drops its queued chunks and stops its running ones between decoder
 * steps (a shared flag per lane that the worker's decode checks). At most `maxQueuedSentences` sentences wait
 * or run; more get `TranslatorBusyError` (HTTP 503).
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { InputError } from '../util/errors.js';
import type { WorkerInit, WorkerJob, WorkerMessage } from './model-worker.js';
import { FairScheduler, sentenceWork, splitIntoChunks, type Chunk } from './scheduler.js';
import {
  TranslationInputError,
  TranslatorBusyError,
  modelBeam,
  type ModelInfo,
  type TranslateOptions,
  type TranslationResult,
  type Translator,
} from './translator.js';

export interface ModelTranslatorOptions {
  /** GEMM threads inside each worker (default 1: the server's event loop keeps a core). */
  threads?: number;
  /** Worker threads (lanes), each with its own copy of the model (default 2: one general, one for short chunks). */
  workers?: number;
  /** Sentences allowed to wait or run (default 512). */
  maxQueuedSentences?: number;
  /** Most work units (characters x beam) in one chunk; a longer sentence is a chunk by itself (default 16,000). */
  chunkWork?: number;
  /** With 2 or more workers, the last takes only chunks of at most this many units (default 1,500). */
  shortWork?: number;
  /** Display name (default: the file name). */
  name?: string;
}

export const defaultPoolOptions = { workers: 2, chunkWork: 16_000, shortWork: 1_500, maxQueuedSentences: 512 };

/** A checkpoint the worker could not load: a user error (exit 1) when the worker says it is one. */
export class ModelLoadError extends InputError {
  constructor(message: string, name: string) {
    super(message);
    this.name = name;
  }
}

interface Request {
  texts: string[];
  opts: Omit<TranslateOptions, 'signal'>;
  results: (TranslationResult | undefined)[];
  remaining: number;
  resolve: (r: TranslationResult[]) => void;
  reject: (e: Error) => void;
  settled: boolean;
}

interface Lane {
  worker: Worker;
  /** [0]: the id of the chunk to stop (the worker compares it with the chunk it runs). */
  stop: Int32Array;
  running: { request: Request; chunk: Chunk; id: number } | null;
}

export class PoolTranslator implements Translator {
  /** Chunks whose decode was stopped part-way (client gone, timeout) since the start. */
  stoppedChunks = 0;

  private readonly scheduler: FairScheduler<Request>;
  private readonly active = new Set<Request>();
  private nextId = 1;
  private queued = 0;
  private closed = false;
  /** Set when a worker died: every request fails with it (HTTP 500) rather than waiting for a lane that is gone. */
  private broken: Error | null = null;

  constructor(
    private readonly lanes: Lane[],
    private readonly info: ModelInfo,
    private readonly opts: typeof defaultPoolOptions,
  ) {
    this.scheduler = new FairScheduler(lanes.map((_, i) => (i > 0 && i === lanes.length - 1 ? opts.shortWork : Infinity)));
    lanes.forEach((lane, i) => {
      lane.worker.on('message', (m: WorkerMessage) => this.onMessage(i, m));
      lane.worker.on('error', (err) => this.breakDown(new Error(`translation worker of ${info.name} crashed: ${err.message}`)));
      lane.worker.on('exit', (code) => {
        if (!this.closed) this.breakDown(new Error(`translation worker of ${info.name} exited with code ${code}`));
      });
    });
  }

  describe(): ModelInfo {
    return this.info;
  }

  translate(texts: string[], opts: TranslateOptions): Promise<TranslationResult[]> {
    if (this.closed) return Promise.reject(new Error(`translator for ${this.info.name} is closed`));
    if (this.broken !== null) return Promise.reject(this.broken);
    const { signal, ...rest } = opts;
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    if (texts.length === 0) return Promise.resolve([]);
    if (this.queued + texts.length > this.opts.maxQueuedSentences) {
      return Promise.reject(
        new TranslatorBusyError(`${this.queued} sentences are already waiting for ${this.info.name}; try again shortly`),
      );
    }
    const beam = Math.max(rest.beam ?? modelBeam(this.info), rest.nbest);
    const chunks = splitIntoChunks(texts.map((t) => sentenceWork(t, beam)), this.opts.chunkWork);
    return new Promise((resolve, reject) => {
      const request: Request = { texts, opts: rest, results: new Array(texts.length), remaining: texts.length, resolve, reject, settled: false };
      this.queued += texts.length;
      this.active.add(request);
      this.scheduler.add(request, chunks);
      signal?.addEventListener('abort', () => this.fail(request, signal.reason instanceof Error ? signal.reason : new Error('translation aborted')), {
        once: true,
      });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new Error(`translator for ${this.info.name} was closed`));
    await Promise.all(this.lanes.map((l) => l.worker.terminate()));
  }

  /** Give idle lanes their next chunk. */
  private pump(): void {
    for (const i of this.scheduler.idleLanes()) {
      const a = this.scheduler.next(i);
      if (a === null) continue;
      const lane = this.lanes[i] as Lane;
      const id = this.nextId++;
      lane.running = { request: a.job, chunk: a.chunk, id };
      const job: WorkerJob = { id, texts: a.chunk.indices.map((k) => a.job.texts[k] as string), opts: a.job.opts };
      lane.worker.postMessage(job);
    }
  }

  private onMessage(i: number, m: WorkerMessage): void {
    const lane = this.lanes[i] as Lane;
    const run = lane.running;
    if ((m.type !== 'result' && m.type !== 'error') || run === null || m.id !== run.id) return;
    lane.running = null;
    this.scheduler.finish(i);
    if (m.type === 'error' && m.aborted) this.stoppedChunks++;
    const { request, chunk } = run;
    if (!request.settled) {
      if (m.type === 'result') {
        chunk.indices.forEach((k, j) => {
          request.results[k] = m.results[j];
        });
        request.remaining -= chunk.indices.length;
        if (request.remaining === 0) {
          this.settle(request);
          this.scheduler.remove(request);
          request.resolve(request.results as TranslationResult[]);
        }
      } else {
        this.fail(request, m.input ? new TranslationInputError(m.message) : new Error(m.message));
      }
    }
    this.pump();
  }

  /** Reject `request` now; its queued chunks are dropped and its running ones told to stop. */
  private fail(request: Request, err: Error): void {
    if (request.settled) return;
    this.settle(request);
    for (const i of this.scheduler.remove(request)) {
      const run = this.lanes[i]?.running;
      if (run !== null && run !== undefined && run.request === request) Atomics.store((this.lanes[i] as Lane).stop, 0, run.id);
    }
    request.reject(err);
  }

  private settle(request: Request): void {
    request.settled = true;
    this.active.delete(request);
    this.queued -= request.texts.length;
  }

  private breakDown(err: Error): void {
    this.broken ??= err;
    this.failAll(err);
  }

  private failAll(err: Error): void {
    for (const r of [...this.active]) this.fail(r, err);
  }
}

/** Start one worker on `init` and wait until its model is loaded. */
async function startWorker(init: WorkerInit, checkpointPath: string): Promise<{ worker: Worker; info: ModelInfo }> {
  const worker = new Worker(new URL('./model-worker.js', import.meta.url), { workerData: init });
  const info = await new Promise<ModelInfo>((resolve, reject) => {
    const onMessage = (m: WorkerMessage): void => {
      cleanup();
      if (m.type === 'ready') resolve(m.info);
      else if (m.type === 'failed') {
        // Keep the error's name (CheckpointError, ...); an input error stays one, so the CLI exits 1.
        const err = m.input ? new ModelLoadError(m.message, m.name) : new Error(m.message);
        err.name = m.name;
        reject(err);
      } else reject(new Error(`translation worker sent ${m.type} before it was ready`));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(new Error(`${checkpointPath}: the translation worker failed to start: ${err.message}`));
    };
    const onExit = (code: number): void => {
      cleanup();
      reject(new Error(`${checkpointPath}: the translation worker exited with code ${code} while loading`));
    };
    const cleanup = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  return { worker, info };
}

/** Load `checkpointPath` in `workers` worker threads; resolves once the model is ready in all of them. */
export async function createModelTranslator(checkpointPath: string, opts: ModelTranslatorOptions = {}): Promise<PoolTranslator> {
  const o = {
    workers: opts.workers ?? defaultPoolOptions.workers,
    chunkWork: opts.chunkWork ?? defaultPoolOptions.chunkWork,
    shortWork: opts.shortWork ?? defaultPoolOptions.shortWork,
    maxQueuedSentences: opts.maxQueuedSentences ?? defaultPoolOptions.maxQueuedSentences,
  };
  if (!(Number.isInteger(o.workers) && o.workers >= 1)) throw new RangeError(`createModelTranslator: workers must be a whole number >= 1, got ${o.workers}`);
  const base = { checkpoint: path.resolve(checkpointPath), name: opts.name ?? path.basename(checkpointPath), threads: opts.threads ?? 1 };
  // The first worker loads alone (a bad file fails once, fast); the others then load together.
  const stops = Array.from({ length: o.workers }, () => new Int32Array(new SharedArrayBuffer(4)));
  const first = await startWorker({ ...base, stop: stops[0] as Int32Array }, checkpointPath);
  const rest = await Promise.allSettled(stops.slice(1).map((stop) => startWorker({ ...base, stop }, checkpointPath)));
  const started = [first, ...rest.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []))];
  const failed = rest.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(started.map((s) => s.worker.terminate()));
    throw failed.reason;
  }
  const lanes: Lane[] = started.map((s, i) => ({ worker: s.worker, stop: stops[i] as Int32Array, running: null }));
  return new PoolTranslator(lanes, first.info, o);
}
