/**
 * Worker thread of `createModelTranslator`: loads one checkpoint and translates the batches the
 * main thread sends, one at a time, so the server's event loop stays free (GET /health answers
 * while a long batch runs).
 *
 * Messages in:  { id, texts, opts }                      (opts: beam (absent: the checkpoint's), nbest, attention)
 *               { id, texts: [text], explain }            (explain: the options of POST /explain)
 * Messages out: { type: 'ready', info } | { type: 'failed', message }     (once, at start)
 *               { type: 'result', id, results } | { type: 'explained', id, result } | { type: 'error', id, message, input }
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initEngine } from '../engine/engine.js';
import { readCheckpointBytes } from '../model/checkpoint-file.js';
import { openTranslator } from '../translate/translator.js';
import { ModelRunner } from './model-core.js';
import { InputError } from '../util/errors.js';
import type { ExplainResult } from '../translate/explain.js';
import type { ExplainRequest, TranslateOptions, TranslationResult, ModelInfo } from './translator.js';

export interface WorkerInit {
  checkpoint: string;
  name: string;
  threads: number;
}

export interface WorkerJob {
  id: number;
  texts: string[];
  opts: Omit<TranslateOptions, 'signal'>;
  /** Explain texts[0] with these options instead of translating. */
  explain?: ExplainRequest;
}

export type WorkerMessage =
  | { type: 'ready'; info: ModelInfo; engine: string }
  | { type: 'failed'; message: string; name: string }
  | { type: 'result'; id: number; results: TranslationResult[] }
  | { type: 'explained'; id: number; result: ExplainResult }
  | { type: 'error'; id: number; message: string; input: boolean };


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
    post({ type: 'failed', message: err instanceof Error ? err.message : String(err), name: err instanceof Error ? err.name : 'Error' });
    return;
  }
  port.on('message', (job: WorkerJob) => {
    try {
      if (job.explain !== undefined) post({ type: 'explained', id: job.id, result: runner.explain(job.texts[0] ?? '', job.explain) });
      else post({ type: 'result', id: job.id, results: runner.translate(job.texts, job.opts) });
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      post({ type: 'error', id: job.id, message: e.message, input: e instanceof InputError });
    }
  });
  post({ type: 'ready', info: runner.info, engine });
}

void main();
