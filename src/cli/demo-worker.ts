/**
 * Worker thread of `attnmt demo`: trains one model (attention or baseline) on one core while the
 * other worker trains the other, and reports log lines and the result to the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initEngine, shutdownEngine } from '../engine/engine.js';
import { parseConfig } from '../train/config.js';
import { train } from '../train/trainer.js';

export interface DemoWorkerInput {
  role: 'attention' | 'baseline';
  config: unknown;
}

export type DemoWorkerMessage =
  | { kind: 'log'; role: string; line: string }
  | { kind: 'progress'; role: string; step: number; seconds: number; loss: number }
  | { kind: 'done'; role: string; steps: number; seconds: number; bestCheckpoint: string | null; lastCheckpoint: string | null; bestScore: number | null }
  | { kind: 'error'; role: string; message: string };

async function run(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error('demo-worker: must run as a worker thread');
  const input = workerData as DemoWorkerInput;
  const post = (m: DemoWorkerMessage): void => port.postMessage(m);
  try {
    try {
      await initEngine({ threads: 1 });
    } catch (err) {
      post({ kind: 'log', role: input.role, line: `engine: using the TypeScript GEMM (${err instanceof Error ? err.message : String(err)})` });
    }
    const config = parseConfig(input.config, `demo ${input.role} config`);
    let lastPost = -1;
    const result = await train({
      config,
      overwrite: true, // every demo starts afresh in its output directory
      progress: false,
      log: (line) => post({ kind: 'log', role: input.role, line }),
      // A few progress messages a second are enough for the main thread's bars.
      onStep: ({ step, seconds, loss }) => {
        if (seconds - lastPost < 0.25) return;
        lastPost = seconds;
        post({ kind: 'progress', role: input.role, step, seconds, loss });
      },
    });
    post({
      kind: 'done',
      role: input.role,
      steps: result.steps,
      seconds: result.seconds,
      bestCheckpoint: result.bestCheckpoint,
      lastCheckpoint: result.lastCheckpoint,
      bestScore: result.bestScore,
    });
  } catch (err) {
    post({ kind: 'error', role: input.role, message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  } finally {
    await shutdownEngine();
  }
}

void run();
