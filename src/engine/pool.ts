/**
 * Worker pool for the WebAssembly GEMM: worker_threads over one shared WebAssembly.Memory.
 *
 * A job is `chunks` calls of the kernel `run(kind, params, chunk, scratch)`. The main thread
 * publishes it in a control block inside the shared memory and works on it too; every thread takes
 * the next chunk index from one atomic counter (dynamic balancing). The counter word holds the job
 * generation in its high 16 bits, so a late thread can never take a chunk of a newer job with the
 * size of an older one (compare-and-swap on the whole word). Publishing a job first closes the
 * counter under the new generation, then writes the job's words, then opens the counter: a thread
 * still reading the old job's words then fails its compare-and-swap instead of taking chunk
 * `old count` of the new job (that race ran a chunk twice, counted it in the next job's done
 * counter, and could leave the main thread waiting forever).
 *
 * Hand-off: idle workers spin on the generation word for a short while (2 ms), then sleep
 * in Atomics.wait; the main thread notifies them only when some are asleep. Workers are unref()ed,
 * so an idle pool never keeps the process alive.
 *
 * Stopping: `stop` raises the stop word and wakes the workers, which leave their loop and end on
 * their own; it waits for each one's 'exit' (ref()ed again, so the process stays up until then) and
 * terminates only a worker still running after STOP_TIMEOUT_MS (it used to terminate them at once,
 * racing their own return from the loop). A pool can be started again on the same memory.
 */
import { nodeBuiltin } from './node.js';

/** Control block slots (Int32 indices; hot words on their own 64-byte line). */
export const CTRL_GEN = 0;
export const CTRL_COUNTER = 16;
export const CTRL_DONE = 32;
export const CTRL_CHUNKS = 48;
export const CTRL_KIND = 49;
export const CTRL_PARAMS = 50;
export const CTRL_SLEEPERS = 51;
export const CTRL_STOP = 52;
export const CTRL_SCRATCH = 53;
export const CTRL_SCRATCH_STRIDE = 54;
export const CTRL_FAILED = 55;
export const CTRL_INTS = 64;

/** Milliseconds an idle worker spins on the generation word before it sleeps in Atomics.wait. */
const WORKER_SPIN_MS = 2;
/** Milliseconds the main thread spins on the done counter before it waits (woken by the last chunk). */
const MAIN_SPIN_MS = 0.2;
/** Polls between two clock reads while spinning. */
const POLLS = 1024;
/** Milliseconds `stop` waits for a worker to leave its loop and exit before it terminates it. */
export const STOP_TIMEOUT_MS = 5000;

export type RunChunk = (kind: number, params: number, chunk: number, scratch: number) => void;

/**
 * Takes chunks of job `gen16` until none are left. Shared by the main thread and the workers.
 * A chunk that throws still counts as done (so no thread waits forever); the job is flagged as
 * failed and the first error is returned.
 */
export function takeChunks(ctrl: Int32Array, run: RunChunk, gen16: number, scratch: number, beforeTake?: () => void): unknown {
  let failure: unknown;
  for (;;) {
    // The count is read before the counter: a counter of this generation read afterwards proves the
    // count belongs to this job too (publishJob changes the counter before the count).
    const chunks = Atomics.load(ctrl, CTRL_CHUNKS);
    const v = Atomics.load(ctrl, CTRL_COUNTER);
    if (v >>> 16 !== gen16) return failure;
    const idx = v & 0xffff;
    if (idx >= chunks) return failure;
    beforeTake?.();
    if (Atomics.compareExchange(ctrl, CTRL_COUNTER, v, v + 1) !== v) continue;
    try {
      run(Atomics.load(ctrl, CTRL_KIND), Atomics.load(ctrl, CTRL_PARAMS), idx, scratch);
    } catch (err) {
      failure ??= err;
      Atomics.store(ctrl, CTRL_FAILED, 1);
    }
    if (Atomics.add(ctrl, CTRL_DONE, 1) + 1 === chunks) Atomics.notify(ctrl, CTRL_DONE);
  }
}

/**
 * The worker's loop: wait for a new generation, take chunks, repeat until stopped. `ready` runs once
 * the starting generation is read (the worker reports ready then: a job or a stop published after
 * that is seen, even one published before the loop's first wait).
 */
export function workerLoop(ctrl: Int32Array, run: RunChunk, tid: number, ready?: () => void): void {
  const scratch = Atomics.load(ctrl, CTRL_SCRATCH) + tid * Atomics.load(ctrl, CTRL_SCRATCH_STRIDE);
  let gen = Atomics.load(ctrl, CTRL_GEN);
  ready?.();
  for (;;) {
    let spins = 0;
    let deadline = performance.now() + WORKER_SPIN_MS;
    while (Atomics.load(ctrl, CTRL_GEN) === gen) {
      if (++spins % POLLS === 0 && performance.now() > deadline) {
        Atomics.add(ctrl, CTRL_SLEEPERS, 1);
        Atomics.wait(ctrl, CTRL_GEN, gen);
        Atomics.sub(ctrl, CTRL_SLEEPERS, 1);
        deadline = performance.now() + WORKER_SPIN_MS;
      }
    }
    gen = Atomics.load(ctrl, CTRL_GEN);
    if (Atomics.load(ctrl, CTRL_STOP) !== 0) return;
    const failure = takeChunks(ctrl, run, gen & 0xffff, scratch);
    if (failure !== undefined) console.error(`gemm worker ${tid}: a chunk failed:`, failure);
  }
}

/** What a worker receives in workerData. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctrl: number;
  tid: number;
  /** The int8 kernels' shared-memory build (int8.ts), whose job kinds the worker runs too. */
  int8?: WebAssembly.Module;
}

/** A started worker thread, as much of node:worker_threads' Worker as the pool uses. */
export interface PoolWorker {
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
  once(event: 'exit', listener: (code: number) => void): unknown;
}

/** A worker of the pool and the promise of its exit (settled once its thread has ended, however it ended). */
interface Running {
  worker: PoolWorker;
  exited: Promise<void>;
}

/**
 * Waits until `w` has exited on its own (`exited`: its 'exit' event), keeping the process alive
 * meanwhile; after `timeoutMs` it terminates the worker and waits for that instead. True when the
 * worker had to be terminated.
 */
export async function awaitExit(w: PoolWorker, exited: Promise<void>, timeoutMs = STOP_TIMEOUT_MS): Promise<boolean> {
  w.ref();
  let terminated = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      terminated = true;
      w.terminate().then(() => resolve(), () => resolve());
    }, timeoutMs);
  });
  try {
    await Promise.race([exited, late]);
    await exited;
  } finally {
    clearTimeout(timer);
  }
  return terminated;
}

/**
 * Publishes job `gen` (31 bits; its low 16 bits tag the counter): closes the counter under the new
 * generation (index 0xffff: nothing to take), writes the job's words, opens the counter, and last
 * bumps the generation word the idle workers watch. `afterStore` (tests) runs after each store.
 */
export function publishJob(
  ctrl: Int32Array, gen: number, kind: number, params: number, chunks: number, afterStore?: (slot: number) => void,
): void {
  const gen16 = gen & 0xffff;
  const store = (slot: number, value: number): void => {
    Atomics.store(ctrl, slot, value);
    afterStore?.(slot);
  };
  store(CTRL_COUNTER, (gen16 << 16) | 0xffff);
  store(CTRL_DONE, 0);
  store(CTRL_FAILED, 0);
  store(CTRL_KIND, kind);
  store(CTRL_PARAMS, params);
  store(CTRL_CHUNKS, chunks);
  store(CTRL_COUNTER, gen16 << 16);
  store(CTRL_GEN, gen);
}

export class WorkerPool {
  private gen = 0;
  /** Jobs run so far through the pool. */
  jobs = 0;

  private constructor(
    private readonly ctrl: Int32Array,
    private readonly run: RunChunk,
    private readonly mainScratch: number,
    private readonly workers: Running[],
  ) {}

  /**
   * Starts `threads - 1` workers on the shared memory (the main thread is the last one).
   * `ctrlPtr` is the byte offset of the control block; scratch buffers start at `scratch`,
   * `stride` bytes apart, indexed by thread (0 = main). `int8`: a second module the workers
   * instantiate on the same memory for the int8 job kinds (int8.ts `withInt8Jobs`; `run` must
   * dispatch them the same way on this thread).
   */
  static async start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    run: RunChunk,
    threads: number,
    ctrlPtr: number,
    scratch: number,
    stride: number,
    int8?: WebAssembly.Module,
  ): Promise<WorkerPool> {
    const { Worker } = await nodeBuiltin('worker_threads');
    const ctrl = new Int32Array(memory.buffer, ctrlPtr, CTRL_INTS);
    // A fresh start on memory an earlier pool may have stopped: generation 0, no stop word.
    Atomics.store(ctrl, CTRL_GEN, 0);
    Atomics.store(ctrl, CTRL_STOP, 0);
    Atomics.store(ctrl, CTRL_SCRATCH, scratch);
    Atomics.store(ctrl, CTRL_SCRATCH_STRIDE, stride);
    const script = './worker.js';
    const url = new URL(script, import.meta.url);
    const started: Array<Promise<Running>> = [];
    for (let tid = 1; tid < threads; tid++) {
      const init: WorkerInit = { module, memory, ctrl: ctrlPtr, tid, ...(int8 === undefined ? {} : { int8 }) };
      const worker = new Worker(url, { workerData: init });
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      started.push(
        new Promise<Running>((resolve, reject) => {
          worker.once('message', () => resolve({ worker, exited }));
          worker.once('error', reject);
          worker.once('exit', (code) => reject(new Error(`gemm worker ${tid} exited with code ${code} while starting`)));
        }),
      );
    }
    const results = await Promise.allSettled(started);
    const workers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      // Stop the ones that did start before giving up.
      const pool = new WorkerPool(ctrl, run, scratch, workers);
      await pool.stop();
      throw failed.reason;
    }
    for (const w of workers) w.worker.unref();
    return new WorkerPool(ctrl, run, scratch, workers);
  }

  /** Runs one job over all threads and returns when every chunk is done. */
  runJob(kind: number, params: number, chunks: number): void {
    this.jobs++;
    const ctrl = this.ctrl;
    this.gen = (this.gen + 1) & 0x7fffffff;
    const gen16 = this.gen & 0xffff;
    publishJob(ctrl, this.gen, kind, params, chunks);
    if (Atomics.load(ctrl, CTRL_SLEEPERS) > 0) Atomics.notify(ctrl, CTRL_GEN);
    const failure = takeChunks(ctrl, this.run, gen16, this.mainScratch);
    let spins = 0;
    let deadline = 0;
    for (;;) {
      const done = Atomics.load(ctrl, CTRL_DONE);
      if (done === chunks) break;
      if (done > chunks) throw new Error(`gemm pool: ${done} chunks done of a job of ${chunks} (a chunk was taken twice)`);
      if (++spins % POLLS !== 0) continue;
      if (deadline === 0) deadline = performance.now() + MAIN_SPIN_MS;
      else if (performance.now() > deadline) Atomics.wait(ctrl, CTRL_DONE, done, 1);
    }
    if (failure !== undefined) throw failure;
    if (Atomics.load(ctrl, CTRL_FAILED) !== 0) throw new Error('gemm: a chunk failed on a worker thread (its error is on stderr)');
  }

  /**
   * Stops the workers and waits until they have exited: they see the stop word at the next generation,
   * leave their loop and end on their own; one still running after STOP_TIMEOUT_MS is terminated.
   * Returns how many had to be terminated (0: all left on their own).
   */
  async stop(): Promise<number> {
    Atomics.store(this.ctrl, CTRL_STOP, 1);
    this.gen = (this.gen + 1) & 0x7fffffff;
    Atomics.store(this.ctrl, CTRL_GEN, this.gen);
    Atomics.notify(this.ctrl, CTRL_GEN);
    const terminated = await Promise.all(this.workers.map((w) => awaitExit(w.worker, w.exited)));
    return terminated.filter(Boolean).length;
  }
}
