/**
 * The real `Translator`: a checkpoint decoded in a worker thread.
 *
 * Requests queue in the main thread and go to the worker one batch at a time; a request aborted
 * (timeout, client gone) before its turn is dropped without being translated. At most
 * `maxQueuedSentences` sentences wait; more get `TranslatorBusyError` (HTTP 503).
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { WorkerInit, WorkerJob, WorkerMessage } from './model-worker.js';
import type { ExplainResult } from '../translate/explain.js';
import {
  TranslationInputError,
  type ExplainRequest,
  TranslatorBusyError,
  type ModelInfo,
  type TranslateOptions,
  type TranslationResult,
  type Translator,
} from './translator.js';

export interface ModelTranslatorOptions {
  /** GEMM threads inside the worker (default 1: the server's event loop keeps the other core). */
  threads?: number;
  /** Sentences allowed to wait (default 512). */
  maxQueuedSentences?: number;
  /** Display name (default: the file name). */
  name?: string;
}

/** The worker's answer to a job. */
type Done = Extract<WorkerMessage, { type: 'result' | 'explained' }>;

interface Pending {
  job: WorkerJob;
  signal: AbortSignal | undefined;
  resolve: (m: Done) => void;
  reject: (e: Error) => void;
}

class WorkerTranslator implements Translator {
  private readonly queue: Pending[] = [];
  private running: Pending | null = null;
  private nextId = 1;
  private queued = 0;
  private closed = false;

  constructor(
    private readonly worker: Worker,
    private readonly info: ModelInfo,
    private readonly maxQueued: number,
  ) {
    worker.on('message', (m: WorkerMessage) => this.onMessage(m));
    worker.on('error', (err) => this.failAll(new Error(`translation worker of ${info.name} crashed: ${err.message}`)));
    worker.on('exit', (code) => {
      if (!this.closed) this.failAll(new Error(`translation worker of ${info.name} exited with code ${code}`));
    });
  }

  describe(): ModelInfo {
    return this.info;
  }

  async translate(texts: string[], opts: TranslateOptions): Promise<TranslationResult[]> {
    const { signal, ...rest } = opts;
    const m = await this.submit({ texts, opts: rest }, signal);
    if (m.type !== 'result') throw new Error(`translation worker of ${this.info.name} answered ${m.type} to a translation`);
    return m.results;
  }

  async explain(text: string, opts: ExplainRequest & { signal?: AbortSignal }): Promise<ExplainResult> {
    const { signal, ...rest } = opts;
    const m = await this.submit({ texts: [text], opts: { nbest: 1, attention: true }, explain: rest }, signal);
    if (m.type !== 'explained') throw new Error(`translation worker of ${this.info.name} answered ${m.type} to an explain request`);
    return m.result;
  }

  /** Queue a job for the worker (at most maxQueued sentences wait). */
  private submit(job: Omit<WorkerJob, 'id'>, signal: AbortSignal | undefined): Promise<Done> {
    if (this.closed) return Promise.reject(new Error(`translator for ${this.info.name} is closed`));
    const texts = job.texts;
    if (this.queued + texts.length > this.maxQueued) {
      return Promise.reject(
        new TranslatorBusyError(`${this.queued} sentences are already waiting for ${this.info.name}; try again shortly`),
      );
    }
    return new Promise((resolve, reject) => {
      const p: Pending = { job: { ...job, id: this.nextId++ }, signal, resolve, reject };
      this.queued += texts.length;
      this.queue.push(p);
      signal?.addEventListener('abort', () => this.drop(p), { once: true });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new Error(`translator for ${this.info.name} was closed`));
    await this.worker.terminate();
  }

  private drop(p: Pending): void {
    const i = this.queue.indexOf(p);
    if (i < 0) return;
    this.queue.splice(i, 1);
    this.queued -= p.job.texts.length;
    p.reject(new Error('translation aborted before it started'));
  }

  private pump(): void {
    if (this.running !== null) return;
    const next = this.queue.shift();
    if (next === undefined) return;
    this.running = next;
    this.worker.postMessage(next.job);
  }

  private onMessage(m: WorkerMessage): void {
    const p = this.running;
    if ((m.type !== 'result' && m.type !== 'explained' && m.type !== 'error') || p === null || m.id !== p.job.id) return;
    this.running = null;
    this.queued -= p.job.texts.length;
    if (m.type !== 'error') p.resolve(m);
    else p.reject(m.input ? new TranslationInputError(m.message) : new Error(m.message));
    this.pump();
  }

  private failAll(err: Error): void {
    const all = [...(this.running ? [this.running] : []), ...this.queue.splice(0)];
    this.running = null;
    this.queued = 0;
    for (const p of all) p.reject(err);
  }
}

/** Load `checkpointPath` in a worker thread; resolves once the model is ready. */
export async function createModelTranslator(checkpointPath: string, opts: ModelTranslatorOptions = {}): Promise<Translator> {
  const init: WorkerInit = {
    checkpoint: path.resolve(checkpointPath),
    name: opts.name ?? path.basename(checkpointPath),
    threads: opts.threads ?? 1,
  };
  const worker = new Worker(new URL('./model-worker.js', import.meta.url), { workerData: init });
  const info = await new Promise<ModelInfo>((resolve, reject) => {
    const onMessage = (m: WorkerMessage): void => {
      cleanup();
      if (m.type === 'ready') resolve(m.info);
      else if (m.type === 'failed') {
        // Keep the error's name (CheckpointError, ...) so the CLI reports bad files as user errors.
        const err = new Error(m.message);
        err.name = m.name;
        reject(err);
      }
      else reject(new Error(`translation worker sent ${m.type} before it was ready`));
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
  return new WorkerTranslator(worker, info, opts.maxQueuedSentences ?? 512);
}
