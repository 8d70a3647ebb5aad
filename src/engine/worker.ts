/**
 * Worker thread of the GEMM pool: instantiates the kernel module (and the int8 kernels' shared-memory
 * build, when given) on the shared memory, reports ready, then takes chunks of the jobs the main
 * thread publishes (see pool.ts) until stopped.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { withInt8Jobs } from './int8.js';
import { CTRL_INTS, workerLoop, type WorkerInit } from './pool.js';
import { kernelsOf } from './wasm.js';

const init: WorkerInit = workerData;
const instance = new WebAssembly.Instance(init.module, { env: { memory: init.memory } });
const kernels = kernelsOf(instance);
const int8 = init.int8 === undefined ? undefined : new WebAssembly.Instance(init.int8, { env: { memory: init.memory } });
const ctrl = new Int32Array(init.memory.buffer, init.ctrl, CTRL_INTS);
const port = parentPort;
if (port === null) throw new Error('gemm worker: must run as a worker thread');
// Returns when the pool stops; the thread then ends on its own (pool.ts `stop` waits for its 'exit').
workerLoop(ctrl, withInt8Jobs(kernels.run, int8), init.tid, () => port.postMessage('ready'));
