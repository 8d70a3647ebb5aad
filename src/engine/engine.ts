/**
 * Loads the WebAssembly SIMD GEMM and installs it behind `gemm()`.
 *
 * Node reads build/gemm-*.wasm (produced by `npm run build:wasm`) relative to this file
 * (dist/src/engine/engine.js, so the project root is ../../../). A browser page passes the bytes
 * (`wasm: { simd, relaxed }`) and runs on one thread: without cross-origin isolation there is no
 * SharedArrayBuffer. Before `initEngine` resolves, and after `shutdownEngine`, `gemm()` runs the
 * TypeScript reference.
 */
import { setBatchedGemmImpl } from './batched.js';
import { nodeBuiltin } from './node.js';
import { gemmReference, setConcatExact, setGemmImpl } from './gemm.js';
import { setGemmPairImpl } from './gemm-pair.js';
import { setAttentionKernels, setAttentionStepKernels } from './fused/attention.js';
import { wasmAttentionSteps } from './wasm-attention.js';
import { setGruKernels } from './fused/gru.js';
import { setRowKernel } from './ops/vector.js';
import { attachInt8Pool, initInt8, int8GreedyPick, int8JobModule, int8Of, shutdownInt8, withInt8Jobs, type Int8Info } from './int8.js';
import { WorkerPool } from './pool.js';
import { setRowKernels, wasmRowKernels, wasmRowsKernel } from './row-kernels.js';
import { MAX_PAGES } from './memory.js';
import { initialPages, kernelsOf, memoryLayout, smallConcatExact, WasmGemm, type PickJob } from './wasm.js';
import { wasmGruKernels } from './wasm-recurrent.js';
import { setAdamKernel } from './optim.js';
import { setPickKernel } from './ops/pick.js';
import { wasmAdamKernel } from './wasm-optim.js';
import { setOutputCeKernel } from './fused/output-ce.js';
import { wasmOutputCe } from './wasm-output.js';

export interface EngineOptions {
  /** Threads for one GEMM, the calling thread included. Default: all available cores (1 in a browser). */
  threads?: number;
  /** Use the relaxed-SIMD (FMA) build: true requires it, false never, 'auto' (default) when the runtime validates it. */
  relaxed?: boolean | 'auto';
  /** Module bytes (a browser must pass them; Node reads build/*.wasm when absent). */
  wasm?: {
    simd: BufferSource;
    relaxed?: BufferSource;
    /** The int8 kernels; `shared` (their -mt builds) lets a pool of threads run the int8 products. */
    int8?: { simd: BufferSource; relaxed?: BufferSource; shared?: { simd: BufferSource; relaxed?: BufferSource } };
  };
}

export interface EngineInfo {
  backend: 'wasm-simd' | 'wasm-relaxed-simd' | 'js';
  threads: number;
}


let info: EngineInfo = { backend: 'js', threads: 1 };
let pool: WorkerPool | undefined;

export function engineInfo(): EngineInfo {
  return { ...info };
}

/** Jobs the worker pool has run (0 without a pool). */
export function enginePoolJobs(): number {
  return pool ? pool.jobs : 0;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

async function readBuild(name: string): Promise<Uint8Array<ArrayBuffer>> {
  const { readFile } = await nodeBuiltin('fs/promises');
  // A computed path, so bundlers leave this Node-only lookup alone.
  const rel = '../../../build/' + name + '.wasm';
  const url = new URL(rel, import.meta.url);
  try {
    return new Uint8Array(await readFile(url));
  } catch (err) {
    throw new Error(`initEngine: cannot read ${url.pathname} (run \`npm run build:wasm\`): ${String(err)}`);
  }
}

async function defaultThreads(): Promise<number> {
  if (!isNode) return 1;
  const os = await nodeBuiltin('os');
  return Math.max(1, os.availableParallelism());
}

/**
 * Node 20 ships relaxed SIMD behind `--experimental-wasm-relaxed-simd`; V8 reads its wasm feature
 * flags when it validates a module, so turning the flag on here (before the first relaxed module is
 * compiled) enables the FMA build without asking users for a command-line flag. It is a standard
 * feature (Chrome 114+, Node 22+) and its results stay within the tests' tolerances of plain SIMD.
 */
export async function enableRelaxedSimd(bytes: BufferSource): Promise<boolean> {
  if (!isNode) return false;
  const v8 = await nodeBuiltin('v8');
  v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  return WebAssembly.validate(bytes);
}

/** Loads the kernels, starts the worker pool and routes `gemm()` to WebAssembly. */
export async function initEngine(opts: EngineOptions = {}): Promise<EngineInfo> {
  await shutdownEngine();
  let threads = opts.threads ?? (await defaultThreads());
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`initEngine: threads must be a whole number >= 1, got ${threads}`);
  if (!isNode || typeof SharedArrayBuffer === 'undefined') threads = 1;
  const shared = threads > 1;
  const variant = shared ? '-mt' : '';

  const simdBytes = opts.wasm?.simd ?? (isNode ? await readBuild(`gemm-simd${variant}`) : undefined);
  if (simdBytes === undefined || !WebAssembly.validate(simdBytes)) {
    setGemmImpl(gemmReference);
    info = { backend: 'js', threads: 1 };
    return engineInfo();
  }
  const wantRelaxed = opts.relaxed ?? 'auto';
  let bytes = simdBytes;
  let relaxed = false;
  if (wantRelaxed !== false) {
    const relaxedBytes = opts.wasm ? opts.wasm.relaxed : isNode ? await readBuild(`gemm-relaxed${variant}`) : undefined;
    if (relaxedBytes !== undefined && (WebAssembly.validate(relaxedBytes) || (await enableRelaxedSimd(relaxedBytes)))) {
      bytes = relaxedBytes;
      relaxed = true;
    } else if (wantRelaxed === true) {
      throw new Error('initEngine: relaxed SIMD was required but this runtime rejects it');
    }
  }

  const module = await WebAssembly.compile(bytes);
  let memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared });
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, { env: { memory } });
  } catch (err) {
    if (!(err instanceof WebAssembly.LinkError) || !shared) throw err;
    // Bytes built for unshared memory: run on one thread.
    threads = 1;
    memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES });
    instance = await WebAssembly.instantiate(module, { env: { memory } });
  }
  const kernels = kernelsOf(instance);
  memory.grow(Math.max(0, initialPages(kernels.heapBase(), threads) - 1));

  // The int8 kernels (int8 checkpoints; see int8Info()): relaxed only after their own self-test, whatever
  // the float build above; with a pool, their shared-memory build runs the big products on its threads.
  await loadInt8(opts, wantRelaxed === false ? false : 'auto', threads > 1);
  let impl: WasmGemm;
  if (threads > 1) {
    const { ctrl, scratch, scratchStride } = memoryLayout(kernels.heapBase(), threads);
    const int8Module = int8JobModule() ?? undefined;
    const int8 = int8Module === undefined ? undefined : new WebAssembly.Instance(int8Module, { env: { memory } });
    const run = withInt8Jobs(kernels.run, int8);
    const started = await WorkerPool.start(module, memory, run, threads, ctrl, scratch, scratchStride, int8Module);
    pool = started;
    const runJob = (kind: number, params: number, chunks: number): void => started.runJob(kind, params, chunks);
    // Copies into a SharedArrayBuffer are about half as fast (V8 copies them with relaxed atomics),
    // so calls that run on one thread use a second instance on unshared memory when there is one.
    const alone = opts.wasm ? undefined : await loneInstance(relaxed ? 'gemm-relaxed' : 'gemm-simd');
    const shared = new WasmGemm(memory, kernels, threads, runJob, alone);
    impl = shared;
    if (int8 !== undefined) {
      const host = {
        memory, threads, runJob,
        keep: (key: object, bytes: number) => shared.keep(key, bytes),
        callRegions: (words: readonly number[]) => shared.callRegions(words),
        pickAt: (cPtr: number, m: number, n: number, outPtr: number, pick: PickJob) => shared.pickAt(cPtr, m, n, outPtr, pick),
      };
      attachInt8Pool(host, int8);
    }
  } else {
    impl = new WasmGemm(memory, kernels, 1);
  }
  setGemmImpl((args) => impl.gemm(args));
  setGemmPairImpl((x, y) => impl.gemmPair(x, y));
  setConcatExact(smallConcatExact);
  setBatchedGemmImpl((args) => impl.gemmBatched(args));
  const rows = impl.alone ?? impl;
  setRowKernels(wasmRowKernels(rows));
  setRowKernel((src, off, len, dst, dstOff, stats) => rows.expRow(src, off, len, dst, dstOff, stats), wasmRowsKernel(rows));
  setAttentionKernels({
    forward: (q, k, v, lengths, batch, s, a, t, e) => rows.attentionForward(q, k, v, lengths, batch, s, a, t, e),
    backward: (t, v, de, lengths, batch, s, a, dk, dq, dv) => rows.attentionBackward(t, v, de, lengths, batch, s, a, dk, dq, dv),
  });
  setAttentionStepKernels(wasmAttentionSteps(rows));
  setGruKernels(wasmGruKernels(rows));
  // int8 weights: their product on the pool with the pick on its logits (int8.ts), else the general path.
  setPickKernel((args, bias, skip0, skip1, out) =>
    int8Of(args.b) !== undefined ? int8GreedyPick(args, bias, skip0, skip1, out) : impl.greedyPick(args, bias, skip0, skip1, out));
  setAdamKernel(wasmAdamKernel(rows));
  setOutputCeKernel(wasmOutputCe(impl));
  info = { backend: relaxed ? 'wasm-relaxed-simd' : 'wasm-simd', threads };
  return engineInfo();
}

/**
 * The int8 kernels (plain SIMD, relaxed SIMD after its self-test), from opts.wasm.int8 or
 * build/int8-*.wasm; with `pool`, their shared-memory builds too (build/int8-*-mt.wasm, or
 * opts.wasm.int8.shared).
 */
async function loadInt8(opts: EngineOptions, want: boolean | 'auto', pool: boolean): Promise<Int8Info> {
  const given = opts.wasm?.int8;
  const simd = opts.wasm ? given?.simd : isNode ? await readBuild('int8-simd') : undefined;
  if (simd === undefined) return { backend: 'js' };
  const usable = async (bytes: BufferSource | undefined): Promise<BufferSource | undefined> =>
    bytes !== undefined && (WebAssembly.validate(bytes) || (await enableRelaxedSimd(bytes))) ? bytes : undefined;
  const relaxed = await usable(opts.wasm ? given?.relaxed : want !== false && isNode ? await readBuild('int8-relaxed') : undefined);
  let shared: { simd: BufferSource; relaxed?: BufferSource } | undefined;
  if (pool) {
    const sharedSimd = opts.wasm ? given?.shared?.simd : await readBuild('int8-simd-mt');
    const sharedRelaxed = await usable(opts.wasm ? given?.shared?.relaxed : want !== false ? await readBuild('int8-relaxed-mt') : undefined);
    if (sharedSimd !== undefined) shared = { simd: sharedSimd, ...(sharedRelaxed === undefined ? {} : { relaxed: sharedRelaxed }) };
  }
  return initInt8({ simd, ...(relaxed === undefined ? {} : { relaxed }), ...(shared === undefined ? {} : { shared }), want });
}

/** A one-thread GEMM on its own unshared memory, from build/<name>.wasm (Node). */
async function loneInstance(name: string): Promise<WasmGemm> {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES });
  const { instance } = await WebAssembly.instantiate(await readBuild(name), { env: { memory } });
  const kernels = kernelsOf(instance);
  memory.grow(Math.max(0, initialPages(kernels.heapBase(), 1) - 1));
  return new WasmGemm(memory, kernels, 1);
}

/** Stops the workers and routes `gemm()` back to the TypeScript reference. */
export async function shutdownEngine(): Promise<void> {
  setGemmImpl(gemmReference);
  setGemmPairImpl(null);
  setConcatExact(null);
  setBatchedGemmImpl(null);
  setRowKernels(null);
  setRowKernel(null);
  setAttentionKernels(null);
  setAttentionStepKernels(null);
  setGruKernels(null);
  setPickKernel(null);
  setAdamKernel(null);
  setOutputCeKernel(null);
  shutdownInt8();
  info = { backend: 'js', threads: 1 };
  const p = pool;
  pool = undefined;
  if (p) await p.stop();
}
