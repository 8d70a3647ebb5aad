/**
 * Int8 decoding: weight matrices stored as int8 with one float32 scale per output unit (symmetric,
 * w ≈ scale·q, q in [-127, 127]), and an int8 GEMM that uses them for inference (asm/int8.ts).
 *
 * A model loaded from an int8 checkpoint keeps float32 parameters holding the dequantized weights
 * (embedding lookups and every op that is not a product with a weight read those), and registers its
 * int8 matrices here by parameter buffer (`registerInt8`). `gemm()` hands a call whose B is such a
 * buffer to this module (`int8Gemm`): the rows of A are quantized on the fly (per row, 7 unsigned
 * bits with a zero point, see asm/int8.ts), multiplied in integers, and rescaled into C.
 *
 * Two builds of the kernels compute the same integers: plain SIMD and relaxed SIMD (the integer
 * dot-product instruction). The relaxed one is used only after a self-test on this host gave
 * bit-identical results to the plain one. Browser-safe: no Node imports (the bytes come from the
 * engine loader, engine.ts).
 *
 * Threads: with the float engine's worker pool (Node, threads > 1), the shared-memory builds of the
 * same kernels (int8-*-mt.wasm) are instantiated on the pool's memory in every thread, and products
 * big enough to pay run there as two jobs (A quantized in chunks of rows, C in chunks of output
 * units); the others run on this thread on a one-thread instance (`Int8Gemm`). Every output is
 * computed the same way whatever the chunk, so results are the same bits on any number of threads.
 */
import { gemmReference, withoutBias, type GemmArgs } from './gemm.js';
import { align, byteRegions as regions, growMemory, MAX_PAGES } from './memory.js';
import { PARALLEL_MIN_FLOPS, PoolChoice, ShapeKeyMemo } from './pool-choice.js';
import type { RunChunk } from './pool.js';
import { PICK_OUT_BYTES, readPickRows, type PickJob, type PickRows } from './wasm.js';

/** An int8 matrix with one scale per output unit; `axis` is the dimension of `shape` that indexes output units. */
export interface QuantizedMatrix {
  values: Int8Array;
  scales: Float32Array;
  shape: [number, number];
  axis: 0 | 1;
}

export interface Int8Info {
  backend: 'int8-simd' | 'int8-relaxed-simd' | 'js';
  /** Why the relaxed build is not used (absent when it is, or was not asked for). */
  relaxedUnused?: string;
  /** Threads the big int8 products run on (the float engine's worker pool); absent: one. */
  threads?: number;
}

/** Symmetric per-output-unit quantization of a (rows, cols) matrix: scale = max|w| / 127, q = round(w / scale). */
export function quantizeMatrix(data: Float32Array, shape: readonly number[], axis: 0 | 1): QuantizedMatrix {
  const [rows, cols] = shape as [number, number];
  if (shape.length !== 2 || data.length !== rows * cols) throw new RangeError(`quantizeMatrix: shape ${JSON.stringify(shape)} does not hold ${data.length} values`);
  const units = axis === 0 ? rows : cols;
  const scales = new Float32Array(units);
  const at = (u: number, i: number): number => (axis === 0 ? u * cols + i : i * cols + u);
  const len = axis === 0 ? cols : rows;
  for (let u = 0; u < units; u++) {
    let m = 0;
    for (let i = 0; i < len; i++) m = Math.max(m, Math.abs(data[at(u, i)] as number));
    scales[u] = m / 127;
  }
  const values = new Int8Array(data.length);
  for (let u = 0; u < units; u++) {
    const s = scales[u] as number;
    if (s === 0) continue;
    for (let i = 0; i < len; i++) {
      const idx = at(u, i);
      values[idx] = Math.max(-127, Math.min(127, Math.round((data[idx] as number) / s)));
    }
  }
  return { values, scales, shape: [rows, cols], axis };
}

/** The float32 matrix an int8 matrix stands for: q·scale of its unit. */
export function dequantizeMatrix(q: QuantizedMatrix): Float32Array {
  const [rows, cols] = q.shape;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = (q.values[r * cols + c] as number) * (q.scales[q.axis === 0 ? r : c] as number);
  }
  return out;
}

// ---- registry: parameter buffer -> its int8 matrix --------------------------------------------------

const registry = new WeakMap<Float32Array, QuantizedMatrix>();

/** Declares `buf` (a parameter holding dequantize(q)) int8: products with it use the int8 GEMM. */
export function registerInt8(buf: Float32Array, q: QuantizedMatrix): void {
  if (buf.length !== q.values.length) throw new RangeError(`registerInt8: buffer of ${buf.length} floats for a ${q.shape.join('x')} matrix`);
  registry.set(buf, q);
}

/** The int8 matrix registered for a buffer, if any. */
export function int8Of(buf: Float32Array): QuantizedMatrix | undefined {
  return registry.get(buf);
}

// ---- the kernels ------------------------------------------------------------------------------------

interface Int8Kernels {
  heapBase(): number;
  quantizeRows(x: number, m: number, kp: number, q: number, scales: number, zeros: number): void;
  gemmInt8(q: number, xs: number, xz: number, m: number, kp: number, w: number, ws: number, wsum: number, np: number, c: number, beta: number): void;
  gemmInt8Bias(q: number, xs: number, xz: number, m: number, kp: number, w: number, ws: number, wsum: number, np: number, c: number, bias: number): void;
  greedyPick(ptr: number, m: number, d: number, skip0: number, skip1: number, logD: number, out: number): void;
}

/** A weight matrix in linear memory: np rows (output units, padded to 4) of kp values (K padded to 16; rows interleaved in groups of four, see writeWeight), scales and row sums. */
interface PlacedWeight {
  w: number;
  ws: number;
  wsum: number;
}

/**
 * An int8 product's sizes: n output units of k values (padded to np, a multiple of 4, and kp, of 16), beta (0 or
 * 1) and the bias row taken as every row of C's old contents (GemmArgs.bias; null: C's own rows, or beta 0).
 */
interface Int8Shape {
  n: number;
  k: number;
  np: number;
  kp: number;
  beta: number;
  bias: Float32Array | null;
}

/**
 * The sizes of a call the int8 kernels can run, or null when it does not fit (W used along its other
 * axis, strided or offset B, transposed A, alpha ≠ 1, beta other than 0 and 1, K = 0): the caller then
 * runs the float GEMM on the dequantized weights.
 */
function int8Shape(args: GemmArgs, q: QuantizedMatrix, beta = args.beta ?? 0, bias = args.bias): Int8Shape | null {
  const { n, k } = args;
  const transB = args.transB ?? false;
  const [r, c] = q.shape;
  if (q.axis !== (transB ? 0 : 1) || (transB ? r !== n || c !== k : r !== k || c !== n)) return null;
  if ((args.bOffset ?? 0) !== 0 || (args.ldb !== undefined && args.ldb !== c) || args.transA || (args.alpha ?? 1) !== 1) return null;
  if ((beta !== 0 && beta !== 1) || k === 0) return null;
  return { n, k, np: align(n, 4), kp: align(k, 16), beta, bias: beta !== 0 && bias !== undefined ? bias : null };
}

/**
 * The shape of greedy decoding's output product (C starts as the pick's bias row, or 0 without one): null when
 * the pick cannot run on it (no int8 shape, rows with padding: n not a multiple of 4, no rows).
 */
function pickShape(args: GemmArgs, q: QuantizedMatrix, pick: PickJob): Int8Shape | null {
  const s = int8Shape(args, q, pick.bias === null ? 0 : 1, pick.bias ?? undefined);
  return s === null || s.np !== s.n || args.m === 0 ? null : s;
}

/** The regions of a placed weight from `start`: values (np x kp bytes), scales, row sums, end. */
function weightRegions(start: number, s: Int8Shape): number[] {
  return regions(start, [s.np * s.kp, s.np * 4, s.np * 4]);
}

/** Views of a whole linear memory, taken again when it grew (here, in another module or on another thread). */
class Heap {
  f32!: Float32Array;
  i32!: Int32Array;
  i8!: Int8Array;

  constructor(readonly memory: WebAssembly.Memory) {
    this.refresh();
  }

  refresh(): void {
    const buffer = this.memory.buffer;
    if (this.f32 !== undefined && this.f32.buffer === buffer && this.f32.length * 4 === buffer.byteLength) return;
    this.f32 = new Float32Array(buffer);
    this.i32 = new Int32Array(buffer);
    this.i8 = new Int8Array(buffer);
  }

  /** Makes memory at least `bytes` long; false when it cannot grow that far. */
  reserve(bytes: number): boolean {
    // The views already reach that far (a grown unshared memory detaches them: length 0).
    if (bytes <= this.f32.length * 4) return true;
    if (!growMemory(this.memory, bytes)) return false;
    this.refresh();
    return true;
  }
}

/**
 * Byte offset of value p of output unit j in the kernels' weight layout (rows of kp values): groups of four
 * units, each group holding for every 16 values of K those of unit 4g, then 4g + 1, 4g + 2, 4g + 3 (asm/int8.ts
 * `weightAt`), so the product reads a group as one stream.
 */
export function weightIndex(j: number, p: number, kp: number): number {
  return (j >> 2) * 4 * kp + (p >> 4) * 64 + (j & 3) * 16 + (p & 15);
}

/**
 * Writes q as the kernels read it at the regions `at` (weightRegions): its output units (transposed when q
 * is stored by input) in the layout of `weightIndex`, zero padded to np units of kp values; np scales (0
 * past n) and np row sums.
 */
function writeWeight(q: QuantizedMatrix, s: Int8Shape, heap: Heap, at: readonly number[]): void {
  const { n, k, np, kp } = s;
  const [pw, ps, psum] = at as [number, number, number];
  const dst = heap.i8;
  const v = q.values;
  const sums = new Int32Array(np);
  dst.fill(0, pw, pw + np * kp);
  for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let p = 0; p < k; p++) {
      const x = (q.axis === 0 ? v[j * k + p] : v[p * n + j]) as number;
      dst[pw + weightIndex(j, p, kp)] = x;
      sum += x;
    }
    sums[j] = sum;
  }
  heap.f32.fill(0, ps >> 2, (ps >> 2) + np);
  heap.f32.set(q.scales, ps >> 2);
  heap.i32.set(sums, psum >> 2);
}

/**
 * Copies the rows of A to `x` (m rows of kp floats, zero padded past K) and, when beta ≠ 0, C's rows to `c`
 * (stride np), or with a bias its one row to `bias` (np floats, zero padded).
 */
function stageCall(f32: Float32Array, args: GemmArgs, s: Int8Shape, x: number, c: number, bias: number): void {
  const { m, k } = args;
  const { n, np, kp } = s;
  const a = args.a;
  const lda = args.lda ?? k;
  const ao = args.aOffset ?? 0;
  for (let i = 0; i < m; i++) {
    const dst = (x >> 2) + i * kp;
    f32.set(a.subarray(ao + i * lda, ao + i * lda + k), dst);
    if (kp > k) f32.fill(0, dst + k, dst + kp);
  }
  if (s.beta === 0) return;
  if (s.bias !== null) {
    f32.set(s.bias.length === n ? s.bias : s.bias.subarray(0, n), bias >> 2);
    if (np > n) f32.fill(0, (bias >> 2) + n, (bias >> 2) + np);
    return;
  }
  const ldc = args.ldc ?? n;
  const co = args.cOffset ?? 0;
  if (ldc === np && n === np) f32.set(args.c.subarray(co, co + m * np), c >> 2);
  else for (let i = 0; i < m; i++) f32.set(args.c.subarray(co + i * ldc, co + i * ldc + n), (c >> 2) + i * np);
}

/** Copies the m rows of np floats at `c` out to C (in one piece when C's rows are np apart too, as n = np). */
function unstageC(f32: Float32Array, c: number, args: GemmArgs, s: Int8Shape): void {
  const { n, np } = s;
  const ldc = args.ldc ?? n;
  const co = args.cOffset ?? 0;
  if (ldc === np && n === np) args.c.set(f32.subarray(c >> 2, (c >> 2) + args.m * np), co);
  else for (let i = 0; i < args.m; i++) args.c.set(f32.subarray((c >> 2) + i * np, (c >> 2) + i * np + n), co + i * ldc);
}

/** One instance of the int8 kernels on its own memory, run on the calling thread. */
export class Int8Gemm {
  /** End of the weights placed so far; per-call data goes after it. */
  private weightsEnd: number;
  private readonly placed = new WeakMap<QuantizedMatrix, PlacedWeight>();

  private constructor(
    private readonly heap: Heap,
    private readonly kernels: Int8Kernels,
  ) {
    this.weightsEnd = align(kernels.heapBase(), 64);
  }

  /** An instance of `bytes` on a memory of its own (shared for the -mt builds, which import a shared memory). */
  static async create(bytes: BufferSource, shared = false): Promise<Int8Gemm> {
    const memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared });
    const { instance } = await WebAssembly.instantiate(bytes, { env: { memory } });
    const fn = (name: string): ((...a: number[]) => number) => exported(instance, name);
    const heapBase = fn('heapBase');
    if (fn('valueBytes')() !== 1) throw new Error('int8 wasm module: unexpected value layout (rebuild with `npm run build:wasm`)');
    const quantizeRows = fn('quantizeRows');
    const gemmInt8 = fn('gemmInt8');
    const gemmInt8Bias = fn('gemmInt8Bias');
    const greedyPick = fn('greedyPick');
    return new Int8Gemm(new Heap(memory), {
      heapBase: () => heapBase(),
      quantizeRows: (x, m, kp, q, s, z) => void quantizeRows(x, m, kp, q, s, z),
      gemmInt8: (q, xs, xz, m, kp, w, ws, wsum, np, c, beta) => void gemmInt8(q, xs, xz, m, kp, w, ws, wsum, np, c, beta),
      gemmInt8Bias: (q, xs, xz, m, kp, w, ws, wsum, np, c, bias) => void gemmInt8Bias(q, xs, xz, m, kp, w, ws, wsum, np, c, bias),
      greedyPick: (ptr, m, d, skip0, skip1, logD, out) => void greedyPick(ptr, m, d, skip0, skip1, logD, out),
    });
  }

  /**
   * C = beta·C + A·op(W) through the int8 kernels, for W given as its int8 matrix. False when the call
   * does not fit (see int8Shape) or memory is exhausted: the caller then runs the float GEMM on the
   * dequantized weights.
   */
  gemm(args: GemmArgs, q: QuantizedMatrix): boolean {
    const s = int8Shape(args, q);
    if (s === null) return false;
    if (args.m === 0 || s.n === 0) return true;
    const pc = this.product(args, q, s, 0);
    if (pc < 0) return false;
    unstageC(this.heap.f32, pc, args, s);
    return true;
  }

  /**
   * The product with greedy decoding's pick (asm/greedy.ts) run on the logits in this instance's memory (C
   * starts as the bias row, beta = 1, as `linear` computes it), as the pool's Int8Pool.pick: false (nothing
   * written) when it cannot run (the call does not fit, n is not a multiple of 4, memory is full).
   */
  pick(args: GemmArgs, q: QuantizedMatrix, pick: PickJob): boolean {
    const s = pickShape(args, q, pick);
    const m = args.m;
    if (s === null) return false;
    const pc = this.product(args, q, s, (m * PICK_OUT_BYTES) / 4);
    if (pc < 0) return false;
    const po = align(pc + m * s.np * 4, 64);
    this.kernels.greedyPick(pc, m, s.n, pick.skip0, pick.skip1, Math.log(s.n), po);
    readPickRows(this.heap.f32, this.heap.i32, pc, m, s.n, po, pick.out);
    return true;
  }

  /** Quantizes A and runs the product into a per-call C (with `extraWords` after it); C's address, -1 when memory is full. */
  private product(args: GemmArgs, q: QuantizedMatrix, s: Int8Shape, extraWords: number): number {
    const m = args.m;
    const w = this.place(q, s);
    if (w === null) return -1;
    const { kp, np } = s;
    const biasBytes = s.bias === null ? 0 : np * 4;
    const [px, pq, ps, pz, pb, pc, end] = regions(this.weightsEnd, [m * kp * 4, m * kp, m * 4, m * 4, biasBytes, m * np * 4, extraWords * 4]) as [number, number, number, number, number, number, number];
    if (!this.heap.reserve(end)) return -1;
    stageCall(this.heap.f32, args, s, px, pc, pb);
    this.kernels.quantizeRows(px, m, kp, pq, ps, pz);
    if (s.bias === null) this.kernels.gemmInt8(pq, ps, pz, m, kp, w.w, w.ws, w.wsum, np, pc, s.beta);
    else this.kernels.gemmInt8Bias(pq, ps, pz, m, kp, w.w, w.ws, w.wsum, np, pc, pb);
    return pc;
  }

  /** The weight rows in linear memory (copied, transposed to output-unit rows, on first use). */
  private place(q: QuantizedMatrix, s: Int8Shape): PlacedWeight | null {
    const have = this.placed.get(q);
    if (have !== undefined) return have;
    const at = weightRegions(this.weightsEnd, s);
    const end = at[3] as number;
    if (!this.heap.reserve(end)) return null;
    writeWeight(q, s, this.heap, at);
    this.weightsEnd = end;
    const placed = { w: at[0] as number, ws: at[1] as number, wsum: at[2] as number };
    this.placed.set(q, placed);
    return placed;
  }
}

function exported(instance: WebAssembly.Instance, name: string): (...a: number[]) => number {
  const f = instance.exports[name];
  if (typeof f !== 'function') throw new Error(`int8 wasm module: export '${name}' is missing`);
  return f as (...a: number[]) => number;
}

// ---- int8 jobs on the float engine's worker pool ------------------------------------------------------

/** Job kinds of the -mt builds (asm/int8.ts; the float module's kinds are below 16). */
export const KIND_INT8_QUANTIZE = 16;
export const KIND_INT8_GEMM = 17;
/** Bytes of a job's parameter block (asm/int8.ts J_*). */
const JOB_PARAMS_BYTES = 64;
/** Chunks per thread a product job aims for (dynamic balancing, as the float GEMM's). */
const CHUNKS_PER_THREAD = 8;
/** Fewest multiply-adds (rows x units x kp) per product chunk: smaller chunks cost more to hand out than they balance. */
const MIN_CHUNK_MACS = 1 << 16;
/** Activations (rows x kp) below this are quantized by the calling thread alone (a pool round costs more). */
const QUANTIZE_POOL_MIN = 1 << 15;

/** The float engine's shared memory and worker pool, as the int8 jobs use them (engine.ts builds it from wasm.ts and pool.ts). */
export interface Int8Host {
  memory: WebAssembly.Memory;
  /** Threads of the pool, the calling thread included. */
  threads: number;
  /** A block that stays at one address (WasmGemm.keep): fresh when it must be written; null when memory is full. */
  keep(key: object, bytes: number): { ptr: number; fresh: boolean } | null;
  /** Per-call regions of the given counts of 4-byte words (WasmGemm.callRegions), the last entry their end. */
  callRegions(words: readonly number[]): number[] | null;
  /** Runs the chunks of a job over all threads (WorkerPool.runJob). */
  runJob(kind: number, params: number, chunks: number): void;
  /** Greedy decoding's pick over m x n logits at cPtr, results region at outPtr (WasmGemm.pickAt). */
  pickAt?(cPtr: number, m: number, n: number, outPtr: number, pick: PickJob): void;
}

/**
 * The int8 GEMM over the worker pool: the weights placed once in the shared memory, A quantized in
 * chunks of rows, C computed in chunks of output units, each chunk by whichever thread takes it. Every
 * output is computed the same way whatever the chunk, so results do not depend on the thread count.
 * Products below PARALLEL_MIN_FLOPS, and shapes measured faster alone (pool-choice.ts), run on the
 * one-thread instance on unshared memory.
 */
class Int8Pool {
  private readonly heap: Heap;
  private readonly choice: PoolChoice;
  /** Timing keys of the last product and pick shapes (pool-choice.ts ShapeKeyMemo). */
  private readonly keys = new ShapeKeyMemo();
  private readonly pickKeys = new ShapeKeyMemo('pick ');

  constructor(
    private readonly host: Int8Host,
    private readonly local: RunChunk,
    private readonly alone: Int8Gemm,
  ) {
    this.heap = new Heap(host.memory);
    this.choice = new PoolChoice(host.threads);
  }

  gemm(args: GemmArgs, q: QuantizedMatrix): boolean {
    const s = int8Shape(args, q);
    if (s === null) return false;
    if (args.m === 0 || s.n === 0) return true;
    const call = this.choice.plan(2 * args.m * s.n * s.k >= PARALLEL_MIN_FLOPS ? this.keys.of(args) : '');
    if (call.threads > 1 && this.onPool(args, q, s)) {
      this.choice.record(call);
      return true;
    }
    const ok = this.alone.gemm(args, q);
    if (call.threads === 1) this.choice.record(call);
    return ok;
  }

  /**
   * The product with greedy decoding's pick run on the logits where they are: in the pool's memory, or
   * in the one-thread instance's when the product is too small for the pool or measured faster alone (C
   * starts as the bias row, beta = 1, as `linear` computes it). False (nothing written) when it cannot
   * run: rows with padding (n not a multiple of 4), full memory.
   */
  pick(args: GemmArgs, q: QuantizedMatrix, pick: PickJob): boolean {
    const s = pickShape(args, q, pick);
    if (s === null) return false;
    // Timed as a whole (product and pick) against the same on the one-thread instance, under a key of its own.
    const small = 2 * args.m * s.n * s.k < PARALLEL_MIN_FLOPS || this.host.pickAt === undefined;
    const call = this.choice.plan(small ? '' : this.pickKeys.of(args));
    const done = call.threads > 1 ? this.onPool(args, q, s, pick) : this.alone.pick(args, q, pick);
    if (done) this.choice.record(call);
    return done;
  }

  /**
   * The product as two pool jobs (quantize rows, then output units), then C copied out, or with `pick`
   * the pick run on C where it is; false when memory is full.
   */
  private onPool(args: GemmArgs, q: QuantizedMatrix, s: Int8Shape, pick: PickJob | null = null): boolean {
    const m = args.m;
    const { kp, np } = s;
    const threads = this.host.threads;
    const kept = this.host.keep(q, (weightRegions(0, s)[3] as number));
    if (kept === null) return false;
    const at = weightRegions(kept.ptr, s);
    const outWords = pick === null ? 0 : (m * PICK_OUT_BYTES) / 4;
    const call = this.host.callRegions([JOB_PARAMS_BYTES / 4, m * kp, Math.ceil((m * kp) / 4), m, m, m * np, outWords, s.bias === null ? 0 : np]);
    if (call === null) return false;
    const [pp, px, pq, ps, pz, pc, po, pb] = call as [number, number, number, number, number, number, number, number];
    const heap = this.heap;
    // The host grew the memory for these regions: views that reach their end are enough.
    if (!heap.reserve(call[call.length - 1] as number)) return false;
    if (kept.fresh) writeWeight(q, s, heap, at);
    stageCall(heap.f32, args, s, px, pc, pb);
    const rows = m * kp >= QUANTIZE_POOL_MIN ? Math.ceil(m / (2 * threads)) : m;
    const minCols = align(Math.ceil(MIN_CHUNK_MACS / (m * kp)), 4);
    const cols = Math.min(np, Math.max(minCols, align(Math.ceil(np / (threads * CHUNKS_PER_THREAD)), 4)));
    const p = pp >> 2;
    const words = [px, pq, ps, pz, m, kp, at[0] as number, at[1] as number, at[2] as number, np, pc];
    words.forEach((w, i) => (heap.i32[p + i] = w));
    heap.f32[p + 11] = s.beta;
    heap.i32[p + 12] = rows;
    heap.i32[p + 13] = cols;
    heap.i32[p + 14] = s.bias === null ? 0 : pb;
    this.runJob(KIND_INT8_QUANTIZE, pp, Math.ceil(m / rows));
    this.runJob(KIND_INT8_GEMM, pp, Math.ceil(np / cols));
    if (pick === null) unstageC(heap.f32, pc, args, s);
    else this.host.pickAt?.(pc, m, np, po, pick);
    return true;
  }

  private runJob(kind: number, params: number, chunks: number): void {
    if (chunks > 1) this.host.runJob(kind, params, chunks);
    else this.local(kind, params, 0, 0);
  }
}

/** The `run` of an instance of an -mt build, checked to use the job kinds above. */
function jobRunner(instance: WebAssembly.Instance): RunChunk {
  for (const [name, kind] of [['KIND_INT8_QUANTIZE', KIND_INT8_QUANTIZE], ['KIND_INT8_GEMM', KIND_INT8_GEMM]] as const) {
    const g = instance.exports[name];
    if (!(g instanceof WebAssembly.Global) || g.value !== kind) throw new Error(`int8 wasm module: job kind ${name} is not ${kind} (rebuild with \`npm run build:wasm\`)`);
  }
  const run = exported(instance, 'run');
  return (kind, params, chunk, scratch) => void run(kind, params, chunk, scratch);
}

/**
 * The pool's chunk runner with the int8 job kinds sent to `instance` (an -mt int8 build on the pool's
 * memory) and the others to `run` (the float module's); `run` itself without an instance.
 */
export function withInt8Jobs(run: RunChunk, instance: WebAssembly.Instance | undefined): RunChunk {
  if (instance === undefined) return run;
  const int8 = jobRunner(instance);
  return (kind, params, chunk, scratch) => (kind >= KIND_INT8_QUANTIZE ? int8(kind, params, chunk, scratch) : run(kind, params, chunk, scratch));
}

// ---- loading ----------------------------------------------------------------------------------------

let active: Int8Gemm | null = null;
let pooled: Int8Pool | null = null;
/** The compiled -mt build of the flavour chosen (plain or relaxed), for the pool's threads. */
let jobModule: WebAssembly.Module | null = null;
let info: Int8Info = { backend: 'js' };

export function int8Info(): Int8Info {
  return { ...info };
}

/**
 * The int8 GEMM for a call whose B is a registered int8 matrix: true when it ran. Without the kernels
 * (no WebAssembly, or before `initInt8`) it runs the integer arithmetic in TypeScript (`int8Reference`),
 * so results do not depend on whether the kernels loaded.
 */
export function int8Gemm(args: GemmArgs): boolean {
  const q = registry.get(args.b);
  if (q === undefined) return false;
  if (pooled !== null) return pooled.gemm(args, q);
  if (active !== null) return active.gemm(args, q);
  return int8Reference(withoutBias(args), q);
}

/**
 * Greedy decoding's output layer (ops/pick.ts) over a registered int8 matrix: the int8 product with the
 * pick run on the logits where the product left them (the pool's memory or the one-thread instance's;
 * WasmGemm.greedyPick's int8 twin, the same C bits as `int8Gemm` with the bias): true when it ran, false
 * (nothing written) when the caller must take the general path (no kernels, and the cases of Int8Gemm.pick).
 */
export function int8GreedyPick(args: GemmArgs, bias: Float32Array | null, skip0: number, skip1: number, out: PickRows): boolean {
  const q = registry.get(args.b);
  if (q === undefined) return false;
  if (pooled !== null) return pooled.pick(args, q, { bias, skip0, skip1, out });
  return active !== null && active.pick(args, q, { bias, skip0, skip1, out });
}

export interface Int8Options {
  /** Plain SIMD module bytes (required). */
  simd: BufferSource;
  /** Relaxed SIMD module bytes (used after the self-test passes). */
  relaxed?: BufferSource;
  /**
   * The shared-memory builds (int8-simd-mt, int8-relaxed-mt) for the worker pool's int8 jobs
   * (`attachInt8Pool`); the relaxed one must pass the self-test too for the relaxed flavour to be used.
   */
  shared?: { simd: BufferSource; relaxed?: BufferSource };
  /** true: require the relaxed build; false: never; 'auto' (default): when it validates and passes the self-test. */
  want?: boolean | 'auto';
}

/**
 * Loads the int8 kernels: the relaxed build when asked for, valid and bit-identical to the plain one
 * here (the shared-memory relaxed build too, when given). This choice is the int8 kernels' own: the
 * float engine's relaxed build (relaxed_madd) says nothing about the integer dot product.
 */
export async function initInt8(opts: Int8Options): Promise<Int8Info> {
  shutdownInt8();
  if (!WebAssembly.validate(opts.simd)) return int8Info();
  const plain = await Int8Gemm.create(opts.simd);
  const want = opts.want ?? 'auto';
  let chosen = plain;
  let relaxedUnused: string | undefined;
  if (want !== false) {
    if (opts.relaxed === undefined || !WebAssembly.validate(opts.relaxed)) relaxedUnused = 'this runtime rejects relaxed SIMD';
    else {
      const relaxed = await Int8Gemm.create(opts.relaxed);
      let diff = selfTest(plain, relaxed);
      if (diff === null && opts.shared !== undefined) {
        const sharedRelaxed = opts.shared.relaxed;
        if (sharedRelaxed === undefined || !WebAssembly.validate(sharedRelaxed)) diff = 'no valid shared-memory relaxed build';
        else diff = selfTest(plain, await Int8Gemm.create(sharedRelaxed, true));
      }
      if (diff === null) chosen = relaxed;
      else relaxedUnused = `self-test: ${diff}`;
    }
    if (want === true && chosen === plain) throw new Error(`initInt8: the relaxed-SIMD int8 build was required but is not usable (${relaxedUnused})`);
  }
  const sharedBytes = chosen === plain ? opts.shared?.simd : opts.shared?.relaxed;
  if (sharedBytes !== undefined && WebAssembly.validate(sharedBytes)) jobModule = await WebAssembly.compile(sharedBytes);
  active = chosen;
  info = chosen === plain ? { backend: 'int8-simd', ...(relaxedUnused === undefined || want === false ? {} : { relaxedUnused }) } : { backend: 'int8-relaxed-simd' };
  return int8Info();
}

/** The compiled shared-memory build `initInt8` chose (null without one): the pool's threads instantiate it. */
export function int8JobModule(): WebAssembly.Module | null {
  return jobModule;
}

/**
 * Runs the int8 products big enough to pay on the float engine's worker pool from now on. `instance`
 * is `int8JobModule()` instantiated on `host.memory` on this thread (the one `withInt8Jobs` gave the
 * pool's calling thread).
 */
export function attachInt8Pool(host: Int8Host, instance: WebAssembly.Instance): void {
  if (active === null) throw new Error('attachInt8Pool: initInt8 loaded no kernels');
  pooled = new Int8Pool(host, jobRunner(instance), active);
  info = { ...info, threads: host.threads };
}

/** Drops the kernels (registered matrices then run on the TypeScript reference). */
export function shutdownInt8(): void {
  active = null;
  pooled = null;
  jobModule = null;
  info = { backend: 'js' };
}

/**
 * Runs the same products on both builds (odd sizes, extreme weights ±127, rows spanning the whole
 * 7-bit range) and compares C bit for bit; null when identical, else the first difference.
 */
export function selfTest(a: Int8Gemm, b: Int8Gemm): string | null {
  let seed = 12345;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (const [m, n, k] of [[1, 37, 300], [5, 64, 256], [2, 3, 17]] as const) {
    const w = new Float32Array(k * n).map(() => (rnd() * 2 - 1) * 0.3);
    for (let j = 0; j < n; j++) w[j] = j % 2 === 0 ? 1 : -1; // ±127 after quantization
    const q = quantizeMatrix(w, [k, n], 1);
    const x = new Float32Array(m * k).map(() => (rnd() * 2 - 1) * 4);
    const c1 = new Float32Array(m * n).map(() => rnd());
    const c2 = Float32Array.from(c1);
    const args = { m, n, k, a: x, b: w, beta: 1 };
    if (!a.gemm({ ...args, c: c1 }, q) || !b.gemm({ ...args, c: c2 }, q)) return 'the kernels refused the test shapes';
    const u1 = new Uint32Array(c1.buffer);
    const u2 = new Uint32Array(c2.buffer);
    for (let i = 0; i < u1.length; i++) {
      if (u1[i] !== u2[i]) return `${m}x${n}x${k}: element ${i} is ${c2[i]} (relaxed) vs ${c1[i]} (plain)`;
    }
  }
  return null;
}

/** Round half to even, as f32x4.nearest. */
function nearest(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The kernels' arithmetic in TypeScript (same quantization of A, same integers, same float32 steps):
 * the fallback without WebAssembly, and the reference the tests compare the kernels with. Rows of A
 * are taken as zero padded to a multiple of 16 (their quantization range includes 0 either way).
 */
export function int8Reference(args: GemmArgs, q: QuantizedMatrix): boolean {
  const { m, n, k } = args;
  const transB = args.transB ?? false;
  if (q.axis !== (transB ? 0 : 1) || args.transA || (args.alpha ?? 1) !== 1 || (args.bOffset ?? 0) !== 0) {
    gemmReference(args);
    return true;
  }
  const beta = args.beta ?? 0;
  const lda = args.lda ?? k;
  const ldc = args.ldc ?? n;
  const ao = args.aOffset ?? 0;
  const co = args.cOffset ?? 0;
  const f = Math.fround;
  const wAt = (j: number, p: number): number => (q.axis === 0 ? (q.values[j * k + p] as number) : (q.values[p * n + j] as number));
  const wsum = new Int32Array(n);
  for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) wsum[j] = (wsum[j] as number) + wAt(j, p);
  const xq = new Int32Array(k);
  for (let i = 0; i < m; i++) {
    let lo = 0;
    let hi = 0;
    for (let p = 0; p < k; p++) {
      const v = args.a[ao + i * lda + p] as number;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    let step = f(f(hi - lo) / 127);
    if (!(step > 0) || !Number.isFinite(step)) step = 1;
    const inv = f(1 / step);
    const z = Math.min(127, Math.max(0, nearest(f(-lo * inv))));
    for (let p = 0; p < k; p++) xq[p] = Math.min(127, Math.max(0, nearest(f((args.a[ao + i * lda + p] as number) * inv)) + z));
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) acc += (xq[p] as number) * wAt(j, p);
      const v = f(f(acc - z * (wsum[j] as number)) * f(step * (q.scales[j] as number)));
      const at = co + i * ldc + j;
      args.c[at] = beta === 0 ? v : f(v + (args.c[at] as number));
    }
  }
  return true;
}
