/**
 * Worker thread of `createModelTranslator`: loads one checkpoint and translates the chunks the main thread
 * sends, one at a time, so the server's event loop stays free (GET /health answers while a long chunk runs).
 * The main thread stops a running chunk by writing its id into the shared `stop` flag: the decode checks it
 * before every step and gives up (an `aborted` error). After a chunk of more than `releaseWork` units the
 * decoding buffers are released, so one huge request does not keep the worker's memory high.
 *
 * Messages in:  { id, texts, opts }                      (opts: beam (absent: the checkpoint's), nbest, attention)
 * Messages out: { type: 'ready', info } | { type: 'failed', message, name, input }     (once, at start)
 *               { type: 'result', id, results } | { type: 'error', id, message, input, aborted }
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initEngine } from '../engine/engine.js';
import { DecodeAbortedError, releaseDecodeBuffers, type StopSignal } from '../decode/common.js';
import { readCheckpointBytes } from '../model/checkpoint-file.js';
import { openTranslator } from '../translate/translator.js';
import { ModelRunner } from './model-core.js';
import { sentenceWork } from './scheduler.js';
import { InputError } from '../util/errors.js';
import type { TranslateOptions, TranslationResult, ModelInfo } from './translator.js';

export interface WorkerInit {
  checkpoint: string;
  name: string;
  threads: number;
  /** Shared with the main thread: [0] is the id of the chunk to stop. */
  stop: Int32Array;
}

export interface WorkerJob {
  id: number;
  texts: string[];
  opts: Omit<TranslateOptions, 'signal'>;
}

export type WorkerMessage =
  | { type: 'ready'; info: ModelInfo; engine: string }
  | { type: 'failed'; message: string; name: string; input: boolean }
  | { type: 'result'; id: number; results: TranslationResult[] }
  | { type: 'error'; id: number; message: string; input: boolean; aborted: boolean };

/** Characters x beam of a chunk after which the decoding buffers are released. */
const RELEASE_WORK = 4000;

async function main(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('model-worker.js must run in a worker thread');
  const init = workerData as WorkerInit;
  const post = (m: WorkerMessage): void => port.postMessage(m);
  let runner: ModelRunner;
  let engine = 'js';
  try {
    try {
      engine = (await initEngine({ threads: init.threads })).backend;
    } catch {
      engine = 'js';
    }
    runner = new ModelRunner(openTranslator({ name: init.checkpoint, bytes: readCheckpointBytes(init.checkpoint) }), init.name);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    post({ type: 'failed', message: e.message, name: e.name, input: e instanceof InputError });
    return;
  }
  const defaultBeam = runner.translator.settings.beam;
  port.on('message', (job: WorkerJob) => {
    const signal: StopSignal = {
      get aborted() {
        return Atomics.load(init.stop, 0) === job.id;
      },
    };
    try {
      post({ type: 'result', id: job.id, results: runner.translate(job.texts, { ...job.opts, signal }) });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      post({ type: 'error', id: job.id, message: e.message, input: e instanceof InputError, aborted: e instanceof DecodeAbortedError });
    }
    const beam = Math.max(job.opts.beam ?? defaultBeam, job.opts.nbest);
    if (job.texts.reduce((n, t) => n + sentenceWork(t, beam), 0) > RELEASE_WORK) releaseDecodeBuffers();
  });
  post({ type: 'ready', info: runner.info, engine });
}

void main();
