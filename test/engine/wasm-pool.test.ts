import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { MAX_PAGES } from '../../src/engine/memory.js';
import {
  awaitExit, CTRL_CHUNKS, CTRL_COUNTER, CTRL_DONE, CTRL_FAILED, CTRL_GEN, CTRL_INTS, CTRL_KIND, CTRL_PARAMS, publishJob, takeChunks, WorkerPool,
  type PoolWorker,
} from '../../src/engine/pool.js';
import { initialPages, kernelsOf, memoryLayout, WasmGemm } from '../../src/engine/wasm.js';
import { gemmReference } from '../../src/engine/gemm.js';
import { Rng } from '../../src/engine/random.js';

function job(gen16: number, chunks: number): Int32Array {
  const ctrl = new Int32Array(new SharedArrayBuffer(CTRL_INTS * 4));
  ctrl[CTRL_CHUNKS] = chunks;
  ctrl[CTRL_KIND] = 7;
  ctrl[CTRL_PARAMS] = 4096;
  ctrl[CTRL_COUNTER] = gen16 << 16;
  return ctrl;
}

describe('pool: takeChunks', () => {
  it('runs every chunk of the current job once, with its kind, params and the scratch', () => {
    const ctrl = job(0xbeef, 5);
    const seen: number[][] = [];
    const failure = takeChunks(ctrl, (kind, params, chunk, scratch) => void seen.push([kind, params, chunk, scratch]), 0xbeef, 64);
    assert.equal(failure, undefined);
    assert.deepEqual(seen, [0, 1, 2, 3, 4].map((c) => [7, 4096, c, 64]));
    assert.equal(ctrl[CTRL_DONE], 5);
  });

  it('a thread that read the words of the running job takes nothing once the next job is published', () => {
    // Job 1 has 3 chunks and 2 were taken; the late thread has read its count and counter when job 2
    // (5 chunks, another kind) is published: its compare-and-swap must fail, and job 2 stays whole.
    const ctrl = job(1, 3);
    ctrl[CTRL_COUNTER] = (1 << 16) | 2;
    let published = false;
    const ran: number[][] = [];
    takeChunks(ctrl, (kind, _p, chunk) => void ran.push([kind, chunk]), 1, 0, () => {
      if (published) return;
      published = true;
      publishJob(ctrl, 2, 9, 8192, 5);
    });
    assert.ok(published);
    assert.equal(ran.length, 0, 'the late thread ran nothing');
    assert.equal(ctrl[CTRL_DONE], 0);
    assert.equal(ctrl[CTRL_COUNTER], 2 << 16, 'job 2 starts at chunk 0');
    assert.equal(ctrl[CTRL_GEN], 2);
    // Job 2 is then taken whole by its own generation.
    takeChunks(ctrl, (kind, _p, chunk) => void ran.push([kind, chunk]), 2, 0);
    assert.deepEqual(ran, [0, 1, 2, 3, 4].map((c) => [9, c]));
    assert.equal(ctrl[CTRL_DONE], 5);
  });

  it('a late thread that looks at any moment of publishJob takes no chunk of the old or the new job', () => {
    // Job 7 (4 chunks) is all taken; a late thread of job 7 reads the words after each store of
    // the publication of job 8 (6 chunks). Were the count written while the old counter is still
    // open, it would take "chunk 4" of job 7 with job 8's count and count it done in job 8.
    const ctrl = job(7, 4);
    ctrl[CTRL_COUNTER] = (7 << 16) | 4;
    const late: number[] = [];
    const slots: number[] = [];
    publishJob(ctrl, 0x10008, 1, 64, 6, (slot) => {
      slots.push(slot);
      takeChunks(ctrl, (_k, _p, chunk) => void late.push(chunk), 7, 0);
    });
    assert.equal(late.length, 0, `the late thread took chunks ${late.join(', ')}`);
    assert.deepEqual(slots, [CTRL_COUNTER, CTRL_DONE, CTRL_FAILED, CTRL_KIND, CTRL_PARAMS, CTRL_CHUNKS, CTRL_COUNTER, CTRL_GEN]);
    assert.equal(ctrl[CTRL_DONE], 0);
    assert.equal(ctrl[CTRL_COUNTER], 8 << 16, 'job 8 (generation 0x10008) opens at chunk 0');
    assert.equal(ctrl[CTRL_GEN], 0x10008);
  });

  it('takes nothing from a job of another generation', () => {
    const ctrl = job(3, 5);
    let ran = 0;
    takeChunks(ctrl, () => void ran++, 2, 0);
    assert.equal(ran, 0);
    assert.equal(ctrl[CTRL_COUNTER], 3 << 16);
  });

  it('counts a failing chunk as done, flags the job and returns the first error', () => {
    const ctrl = job(1, 4);
    const ran: number[] = [];
    const failure = takeChunks(ctrl, (_k, _p, chunk) => {
      ran.push(chunk);
      if (chunk === 1) throw new Error('trap in chunk 1');
    }, 1, 0);
    assert.ok(failure instanceof Error && failure.message === 'trap in chunk 1');
    assert.deepEqual(ran, [0, 1, 2, 3]);
    assert.equal(ctrl[CTRL_DONE], 4);
    assert.equal(ctrl[CTRL_FAILED], 1);
  });
});

/** A stand-in worker: records ref/terminate, exits when `exit` is called (or when terminated). */
function fakeWorker(): { worker: PoolWorker; exited: Promise<void>; exit: () => void; calls: string[] } {
  const calls: string[] = [];
  let exit = (): void => {};
  const exited = new Promise<void>((resolve) => (exit = resolve));
  const worker: PoolWorker = {
    ref: () => void calls.push('ref'),
    unref: () => void calls.push('unref'),
    terminate: () => {
      calls.push('terminate');
      exit();
      return Promise.resolve(1);
    },
    once: () => worker,
  };
  return { worker, exited, exit: () => exit(), calls };
}

describe('pool: stopping', () => {
  it('waits for a worker to exit on its own, keeping the process alive meanwhile, and never terminates it', async () => {
    const w = fakeWorker();
    setTimeout(w.exit, 20);
    assert.equal(await awaitExit(w.worker, w.exited, 5000), false);
    assert.deepEqual(w.calls, ['ref']);
  });

  it('terminates a worker that has not exited after the timeout', async () => {
    const w = fakeWorker();
    assert.equal(await awaitExit(w.worker, w.exited, 10), true);
    assert.deepEqual(w.calls, ['ref', 'terminate']);
  });

  it('a pool of 4 threads (more than this machine may have cores) runs products, stops with every worker leaving on its own, and starts again on the same memory', async () => {
    const threads = 4;
    const module = await WebAssembly.compile(await readFile(new URL('../../../build/gemm-simd-mt.wasm', import.meta.url)));
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    const kernels = kernelsOf(await WebAssembly.instantiate(module, { env: { memory } }));
    memory.grow(initialPages(kernels.heapBase(), threads) - 1);
    const { ctrl, scratch, scratchStride } = memoryLayout(kernels.heapBase(), threads);
    const rng = new Rng(5);
    const [m, k, n] = [64, 96, 520];
    const a = rng.uniformArray(m * k, -1, 1);
    const b = rng.uniformArray(k * n, -1, 1);
    const expected = new Float32Array(m * n);
    gemmReference({ m, n, k, a, b, c: expected });
    for (let round = 0; round < 3; round++) {
      // This thread's share of the chunks, each held up a few ms so that live workers take the others.
      let here = 0;
      let total = 0;
      const slowRun = (kind: number, params: number, chunk: number, at: number): void => {
        here++;
        const until = performance.now() + 5;
        while (performance.now() < until);
        kernels.run(kind, params, chunk, at);
      };
      const pool = await WorkerPool.start(module, memory, slowRun, threads, ctrl, scratch, scratchStride);
      const engine = new WasmGemm(memory, kernels, threads, (kind, params, chunks) => {
        total += chunks;
        pool.runJob(kind, params, chunks);
      });
      // The first calls of a shape run on the pool (to time it): these go through the workers.
      for (let call = 0; call < 2; call++) {
        const c = new Float32Array(m * n);
        engine.gemm({ m, n, k, a, b, c });
        for (let i = 0; i < c.length; i++) assert.ok(Math.abs((c[i] as number) - (expected[i] as number)) < 1e-4, `round ${round}: C[${i}]`);
      }
      assert.ok(total > 0, `round ${round}: no job went through the pool`);
      assert.ok(here < total, `round ${round}: this thread ran all ${total} chunks (the workers took none)`);
      assert.equal(await pool.stop(), 0, `round ${round}: a worker had to be terminated`);
    }
  });
});
