/**
 * Worker thread of the GEMM pool: instantiates the kernel module on the shared memory, reports
 * ready, then takes chunks of the jobs the main thread publishes (see pool.ts) until stopped.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { CTRL_INTS, workerLoop, type WorkerInit } from './pool.js';
import { kernelsOf } from './wasm.js';

const init: WorkerInit = workerData;
const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
const kernels = kernelsOf(instance);
const ctrl = new Int32Array(init.memory.buffer, init.ctrl, CTRL_INTS);
if (parentPort === null) throw new Error('gemm worker: must run as a worker thread');
parentPort.postMessage('ready');
workerLoop(ctrl, kernels.run, init.tid);
