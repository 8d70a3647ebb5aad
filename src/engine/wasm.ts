/**
 * The JavaScript side of the WebAssembly GEMM: lays operands out in linear memory, writes the
 * parameter block the kernels read (asm/gemm.ts), runs the jobs (on this thread or through a
 * worker pool) and copies C back. Browser-safe: no Node imports here.
 *
 * Memory layout (bytes, from the module's heap base): pool control block, parameter block, one
 * scratch buffer per thread (a packed K x NB slab of B plus an edge tile), the resident copies of
 * parameter operands (gemm.ts `bResident`, at most RESIDENT_BYTES, kept between calls while their
 * generation holds) and the blocks of `keep` (the int8 weights of int8.ts's pool jobs), then the block `hold` keeps
 * from one call to a later one (the output layer's logits between the forward and backward of
 * wasm-output.ts), then the per-call region: A, B (whole, or a 128 KiB block at a time on the
 * one-thread small-M path), C copies and packed A, grown on demand.
 *
 * Paths: op(A) with more than SMALL_M rows is packed (asm/gemm.ts: 2 x 16 register tile over packed
 * panels); fewer rows take the matrix-vector path (asm/small.ts), which does not pack B. Jobs are
 * split into chunks of columns (and rows) that a worker pool can share (pool.ts).
 */
import { gemmBatchedReference, operandShapes, type BatchedGemmArgs } from './batched.js';
import { gemmReference, isResidentB, residentGeneration, withoutBias, type GemmArgs } from './gemm.js';
import { align, byteRegions, growMemory, PAGE } from './memory.js';
import { PARALLEL_MIN_FLOPS, PoolChoice, shapeKey, ShapeKeyMemo, sizeBucket } from './pool-choice.js';
import { copyOut, inputLayout, itemsPerChunk, outputLayout, placeOperand } from './wasm-batched.js';
import type { RowStats } from './ops/vector.js';

/** The functions the kernel module exports (asm/gemm.ts). */
export interface GemmKernels {
  run(kind: number, params: number, chunk: number, scratch: number): void;
  prepSmall(params: number): void;
  smallInit(params: number): void;
  smallStream(params: number, p0: number, p1: number, b: number, ldb: number): void;
  smallDots(params: number, j0: number, j1: number, b: number, ldb: number): void;
  smallPanels(params: number, t0: number, t1: number): void;
  panelize(src: number, dst: number, k: number, n: number): void;
  heapBase(): number;
  /** Row kernels (asm/vec.ts). */
  rowMax(ptr: number, n: number): number;
  expSum(ptr: number, n: number, shift: number, keep: number): number;
  /** Additive attention score kernels (asm/attn.ts). */
  attnForward(q: number, k: number, v: number, len: number, t: number, e: number, batch: number, s: number, a: number): void;
  attnBackward(t: number, v: number, de: number, len: number, dk: number, dq: number, dv: number, batch: number, s: number, a: number): void;
  /** Attention session step kernels (asm/attn.ts; see wasm-attention.ts). */
  attnScores(q: number, k: number, v: number, len: number, e: number, batch: number, s: number, a: number): void;
  attnContext(w: number, vals: number, len: number, ctx: number, batch: number, s: number, h: number): void;
  attnStepBackward(q: number, k: number, v: number, vals: number, w: number, gc: number, gw: number, len: number, de: number, dq: number, batch: number, s: number, a: number, h: number, t: number): void;
  attnFlush(q: number, k: number, v: number, de: number, w: number, gc: number, len: number, dk: number, dvals: number, dv: number, steps: number, batch: number, s: number, a: number, h: number, tp: number): void;
  /** Transformer row kernels (asm/softmax.ts, asm/layernorm.ts, asm/gelu.ts; see wasm-transformer.ts). */
  maskedSoftmax(x: number, y: number, len: number, rows: number, s: number, scale: number): void;
  maskedSoftmaxBackward(y: number, g: number, dx: number, len: number, rows: number, s: number, scale: number): void;
  layerNormForward(x: number, gamma: number, beta: number, y: number, stats: number, rows: number, d: number, eps: number): void;
  layerNormBackward(x: number, dy: number, gamma: number, stats: number, dx: number, dgamma: number, dbeta: number, rows: number, d: number): void;
  geluForward(x: number, y: number, n: number): void;
  geluBackward(x: number, g: number, dx: number, n: number): void;
  /** GRU gate arithmetic of one step (asm/gru.ts; see wasm-recurrent.ts). */
  gruGatesForward(x: number, gh: number, bias: number, h: number, hNew: number, act: number, active: number, batch: number, hidden: number): void;
  gruGatesBackward(h: number, act: number, dh: number, dg: number, dx: number, active: number, batch: number, hidden: number): void;
  /** Bulk row kernels (asm/rows.ts). */
  expRows(ptr: number, rows: number, d: number, keep: number, stats: number): number;
  subRows(src: number, dst: number, rows: number, d: number, shift: number): void;
  /** Adam's update of one parameter (asm/adam.ts; see optim.ts). */
  adamStep(w: number, g: number, m: number, v: number, n: number, b1: number, b2: number, g1: number, g2: number, stepSize: number, invC2: number, eps: number, wd: number): void;
}

export const KIND_PACK_A = 0;
export const KIND_COMPUTE = 1;
export const KIND_SMALL = 2;
export const KIND_BATCHED = 3;
export const KIND_GREEDY = 4;
export const KIND_CROSS_ENTROPY = 5;
export const KIND_PAIR = 6;

/** Register tile of the kernels (rows x columns). */
const MR = 2;
const NR = 16;
/** K block: a packed B panel (KC x 16 floats, 16 KiB) stays in L1. */
const KC = 256;
/** Most columns of B packed per chunk: the KC x NB_MAX slab (256 KiB) stays in L2. */
const NB_MAX = 256;
/** op(A) with at most this many rows takes the matrix-vector path (no packing). */
export const SMALL_M = 8;
/**
 * `gemm.ts` concatExact for this engine: on the small-M path every element of C is beta·C, then one
 * madd per p in order (whatever the chunk, block or stream split of the columns and rows), in vector
 * lanes as long as every column block is a multiple of 4 wide (else its last columns take the scalar
 * loop, mul then add, which differs from a fused madd). The packed path is not claimed.
 */
export function smallConcatExact(m: number, width: number): boolean {
  return m <= SMALL_M && width % 4 === 0;
}
/** Columns per chunk of the small-M path. */
const SMALL_NB = 128;
/** Columns per panel of a resident B in the panel layout (asm/small.ts PANEL_W). */
const PANEL_W = 16;
/** Word of the parameter block that says B is in the panel layout (asm/common.ts P_B_PANELS, byte 124). */
const P_B_PANELS_WORD = 31;
/** Floats of B per block the one-thread small-M path copies and consumes while it is in cache (128 KiB). */
const STREAM_FLOATS = 32768;
/** Products below PARALLEL_MIN_FLOPS stay on the calling thread (pool-choice.ts; the int8 GEMM uses it too). */
export { PARALLEL_MIN_FLOPS };
/**
 * A few-row product (op(A) of at most SMALL_M rows) is bound by reading B, not by arithmetic: a B of
 * this many floats (1 MiB, about 25-50 us on one thread) is timed on the pool too, whatever its flops.
 * Its A and C (a few rows) are cheap to move; the second core reads half of B (in batch-1 decoding the
 * feed-forward weights, dModel x ffn, and the output layer, are read once per step from L3 or memory).
 */
export const PARALLEL_MIN_SMALL_B = 1 << 18;
/** Packed A of fewer floats (M x K) is packed by the calling thread alone. */
const PARALLEL_PACK_FLOATS = 65536;
/** Chunks per thread a parallel job aims for (dynamic balancing). */
const CHUNKS_PER_THREAD = 8;
/** The pool's counter holds chunk indices in 16 bits; bigger jobs run on the calling thread. */
const MAX_CHUNKS = 0xffff;

export const CTRL_BYTES = 512;
const PARAMS_BYTES = 192;
/** Byte offset in the parameter block of a pair job's two block addresses (asm/common.ts P_PAIR). */
const PAIR_WORDS = 112;
const SCRATCH_BYTES = align((KC * NB_MAX + MR * NR) * 4, 64);
/** Bytes of a thread's scratch buffer a batched chunk keeps for its parameter block (asm/batched.ts). */
const BATCHED_PARAMS_BYTES = 128;
/** Most bytes of resident operand copies per instance; past it the copies start over. */
const RESIDENT_BYTES = 128 * 1024 * 1024;

/** A resident copy of a buffer: where it lives and the generation it was copied under. */
interface ResidentCopy {
  ptr: number;
  generation: number;
}

/** Consecutive 64-byte aligned regions of the given float (or int) counts from `start`; the last entry is their end. */
function regions(start: number, counts: readonly number[]): number[] {
  return byteRegions(start, counts.map((n) => n * 4));
}

/** Runs `chunks` chunks of a job; a pool spreads them over threads, else they run here. */
export type JobRunner = (kind: number, params: number, chunks: number) => void;

/** Where the fixed blocks live in linear memory. */
export interface MemoryLayout {
  ctrl: number;
  params: number;
  scratch: number;
  scratchStride: number;
  dynamic: number;
}

export function memoryLayout(heapBase: number, threads: number): MemoryLayout {
  const ctrl = align(heapBase, 64);
  const params = ctrl + CTRL_BYTES;
  const scratch = params + PARAMS_BYTES;
  const dynamic = scratch + threads * SCRATCH_BYTES;
  return { ctrl, params, scratch, scratchStride: SCRATCH_BYTES, dynamic };
}

/** Pages of memory to create up front for `threads` threads. */
export function initialPages(heapBase: number, threads: number): number {
  return Math.ceil((memoryLayout(heapBase, threads).dynamic + 4 * 1024 * 1024) / PAGE);
}

/**
 * Per row of a greedy pick (ops/pick.ts `PickKernel`): the logits' maximum and Σ exp(x - max), the first
 * largest allowed id and its logit, and ok = 0 for a row the kernel left to the caller. `ties` holds,
 * for the rare row with an earlier entry close enough to the best to tie after rounding, that entry's
 * index and the logits from it up to the best (the caller settles the tie exactly).
 */
export interface PickRows {
  max: Float64Array;
  sum: Float64Array;
  best: Int32Array;
  bestLogit: Float32Array;
  ok: Uint8Array;
  ties: Map<number, { from: number; logits: Float32Array }>;
}

/** Bytes per row of asm/greedy.ts' results (GREEDY_OUT_BYTES). */
export const PICK_OUT_BYTES = 32;
/**
 * Reads asm/greedy.ts' results for m rows (PICK_OUT_BYTES each at outPtr) into `out`, with the logits of a
 * near-tie row from the m x n logits at cPtr; f32 and i32 view the whole memory (int8.ts reads its own too).
 */
export function readPickRows(f32: Float32Array, i32: Int32Array, cPtr: number, m: number, n: number, outPtr: number, out: PickRows): void {
  const f64 = f64View(f32);
  out.ties.clear();
  for (let r = 0; r < m; r++) {
    const w = (outPtr + r * PICK_OUT_BYTES) >> 2;
    out.ok[r] = i32[w + 7] === 1 ? 1 : 0;
    if (out.ok[r] === 0) continue;
    out.max[r] = f64[(outPtr + r * PICK_OUT_BYTES) >> 3] as number;
    out.sum[r] = f64[((outPtr + r * PICK_OUT_BYTES) >> 3) + 1] as number;
    const best = i32[w + 4] as number;
    out.best[r] = best;
    out.bestLogit[r] = f32[w + 5] as number;
    const from = i32[w + 6] as number;
    if (from >= 0) out.ties.set(r, { from, logits: f32.slice((cPtr >> 2) + r * n + from, (cPtr >> 2) + r * n + best) });
  }
}

/** The last Float64Array view `f64View` made (one per memory and size, not one per pick). */
let lastF64: Float64Array | null = null;

/** A Float64Array over all of f32's memory (f32 views the whole memory from byte 0). */
function f64View(f32: Float32Array): Float64Array {
  if (lastF64 === null || lastF64.buffer !== f32.buffer || lastF64.length * 2 !== f32.length) lastF64 = new Float64Array(f32.buffer, 0, f32.length >> 1);
  return lastF64;
}

/** Rows per chunk of a greedy pick job over the pool. */
const PICK_ROWS_PER_CHUNK = 4;

/** A greedy pick to run on C instead of copying C out. */
export interface PickJob {
  bias: Float32Array | null;
  skip0: number;
  skip1: number;
  out: PickRows;
}

interface Placed {
  ptr: number;
  ld: number;
}

export class WasmGemm {
  readonly layout: MemoryLayout;
  private f32: Float32Array;
  private i32: Int32Array;
  private f64: Float64Array;
  /**
   * Whether the pool pays, measured per shape (pool-choice.ts), for each shape above PARALLEL_MIN_FLOPS
   * (or a few-row product with a B of PARALLEL_MIN_SMALL_B floats).
   */
  private readonly choice: PoolChoice;
  /** Timing keys of the last shape of a product and of a pick (pool-choice.ts ShapeKeyMemo). */
  private readonly keys = new ShapeKeyMemo();
  private readonly pickKeys = new ShapeKeyMemo('pick ');
  /** Resident copies by buffer (weak: a dropped model's weights do not stay reachable). */
  private resident = new WeakMap<Float32Array, ResidentCopy>();
  /** Resident copies in the panel layout (few-row products, op(B) = B), by buffer, with the K x N they were laid out for. */
  private panels = new WeakMap<Float32Array, ResidentCopy & { k: number; n: number }>();
  /** Blocks of `keep` by key, in the same region. */
  private kept = new WeakMap<object, number>();
  private residentEnd: number;
  /** Start of the per-call region (after the resident copies and the held block). */
  private dynamic: number;
  /** The held block (`hold`): its address (-1: none), its id, and where the per-call region started before it. */
  private held = -1;
  private heldId = 0;
  private heldFrom = 0;

  /**
   * @param parallel runs a job over the worker pool (absent: everything runs on this thread).
   * @param threads threads the pool has, main thread included (1 without a pool).
   * @param alone runs the calls that stay on one thread (on unshared memory, where copies are faster).
   */
  constructor(
    private readonly memory: WebAssembly.Memory,
    readonly kernels: GemmKernels,
    readonly threads: number,
    private readonly parallel?: JobRunner,
    readonly alone?: WasmGemm,
  ) {
    this.layout = memoryLayout(kernels.heapBase(), threads);
    this.choice = new PoolChoice(threads);
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    this.f64 = new Float64Array(memory.buffer);
    this.residentEnd = this.layout.dynamic;
    this.dynamic = this.layout.dynamic;
    this.reserve(this.layout.dynamic);
  }

  /** C = alpha * op(A) * op(B) + beta * C with the semantics of `gemmReference` (arguments already checked). */
  gemm(args: GemmArgs): void {
    this.product(args, null);
  }

  /**
   * Two independent products at once (gemm-pair.ts `gemmPair`): one pool job over both products' column
   * chunks (asm/gemm.ts KIND_PAIR; the same bits as each alone), when that is measured faster than the two
   * one after the other (timed per pair of shapes, as `product` times a shape). False (nothing run) when
   * they cannot run as a pair: no pool, a product of few rows (the matrix-vector path) or of nothing to
   * sum, or memory that cannot grow; the caller then runs them one after the other.
   */
  gemmPair(x: GemmArgs, y: GemmArgs): boolean {
    if (!this.parallel || !pairable(x) || !pairable(y)) return false;
    const call = this.choice.plan(`pair ${shapeKey(x)} ${shapeKey(y)}`);
    if (call.threads === 1) {
      this.gemm(x);
      this.gemm(y);
      this.choice.record(call);
      return true;
    }
    // Resident copies first (they may move the per-call region); a start-over of the resident region while
    // copying y's drops x's copy, which is then made again.
    let rx = isResidentB(x) ? this.residentCopy(x.b) : -1;
    const ry = isResidentB(y) ? this.residentCopy(y.b) : -1;
    if (rx >= 0 && this.resident.get(x.b)?.ptr !== rx) rx = this.residentCopy(x.b);
    const sx = this.stage(x, rx, this.dynamic);
    const sy = sx === null ? null : this.stage(y, ry, sx.end);
    if (sx === null || sy === null) return false;
    // Both A packed here (a few rows), then one job over both products' compute chunks.
    this.kernels.run(KIND_PACK_A, sx.params, 0, this.layout.scratch);
    this.kernels.run(KIND_PACK_A, sy.params, 0, this.layout.scratch);
    const pair = (this.layout.params + PAIR_WORDS) >> 2;
    this.i32[pair] = sx.params;
    this.i32[pair + 1] = sy.params;
    this.i32[pair + 2] = sx.chunks;
    this.parallel(KIND_PAIR, this.layout.params, sx.chunks + sy.chunks);
    copyRowsOut(this.f32, sx.c >> 2, x.c, x.cOffset ?? 0, x.m, x.n, x.ldc ?? x.n);
    copyRowsOut(this.f32, sy.c >> 2, y.c, y.cOffset ?? 0, y.m, y.n, y.ldc ?? y.n);
    this.choice.record(call);
    return true;
  }

  /**
   * Lays out one product of a pair from byte `base` on: A, B (unless resident at `residentB`), C (its old
   * rows or the bias rows when beta is not 0), packed A and its own parameter block: A packed as one chunk,
   * compute chunks of all rows and a few column panels each (`chunks` of them). Null when memory cannot grow.
   */
  private stage(args: GemmArgs, residentB: number, base: number): { params: number; c: number; chunks: number; end: number } | null {
    const { m, n, k } = args;
    const beta = args.beta ?? 0;
    const { transA, transB, rowsA, colsA, rowsB, colsB, lda, ldb, ldc, mpad } = operands(args);
    const [aPtr, bPtr, cPtr, packPtr, params, end] = regions(base, [
      copyFloats(rowsA, colsA, lda), residentB >= 0 ? 0 : copyFloats(rowsB, colsB, ldb), m * n, mpad * k, PARAMS_BYTES / 4,
    ]) as [number, number, number, number, number, number];
    if (!this.reserve(end)) return null;
    const a = this.place(args.a, args.aOffset ?? 0, rowsA, colsA, lda, aPtr);
    const bo = args.bOffset ?? 0;
    const b = residentB >= 0 ? { ptr: residentB + bo * 4, ld: ldb } : this.place(args.b, bo, rowsB, colsB, ldb, bPtr);
    if (beta !== 0 && args.bias !== undefined) fillRows(this.f32, args.bias, m, n, cPtr >> 2);
    else if (beta !== 0) copyRowsIn(this.f32, args.c, args.cOffset ?? 0, m, n, ldc, cPtr >> 2);
    const p = params >> 2;
    this.writeProduct(p, transA, transB, m, n, k, a, b, cPtr, args.alpha ?? 1, beta, packPtr, false);
    // Half of the job's chunks per product: CHUNKS_PER_THREAD / 2 per thread each.
    const nb = NR * Math.max(1, Math.min(NB_MAX / NR, Math.ceil(Math.ceil(n / NR) / ((this.threads * CHUNKS_PER_THREAD) / 2))));
    const chunks = Math.ceil(n / nb);
    this.i32[p + 15] = mpad;
    this.i32[p + 16] = nb;
    this.i32[p + 17] = chunks;
    this.i32[p + 18] = mpad / MR;
    return { params, c: cPtr, chunks, end };
  }

  /**
   * Greedy decoding's output layer: the logits C = op(A) * op(B) (+ `bias` on every row, added as
   * `linear` adds it: C starts as the bias rows and the product comes on with beta = 1) stay in linear
   * memory, and asm/greedy.ts picks each row's word there (over the pool when the product runs on
   * it), so the logits are never copied out. args.c, args.beta, args.bias and the C offsets are not used.
   * False (nothing written) when it cannot run: k = 0, or memory cannot grow.
   */
  greedyPick(args: GemmArgs, bias: Float32Array | null, skip0: number, skip1: number, out: PickRows): boolean {
    if (args.m === 0 || args.n === 0 || args.k === 0) return false;
    return this.product(args, { bias, skip0, skip1, out });
  }

  /** The product of `gemm`, then C copied out, or with `pick` the greedy pick run on C where it is. */
  private product(args: GemmArgs, pick: PickJob | null): boolean {
    const { m, n, k } = args;
    if (m === 0 || n === 0) return true;
    // A pick's C starts as its bias rows (beta 1) or zeros; its args' C, beta and offsets are not used.
    const beta = pick === null ? args.beta ?? 0 : pick.bias === null ? 0 : 1;
    if (k === 0) {
      scaleC(withoutBias(args), beta);
      return true;
    }
    const { transA, transB, rowsA, colsA, rowsB, colsB, lda, ldb, ldc, mpad } = operands(args);
    const small = m <= SMALL_M;
    const timed = this.parallel !== undefined && (2 * m * n * k >= PARALLEL_MIN_FLOPS || (m <= SMALL_M && n * k >= PARALLEL_MIN_SMALL_B));
    const call = this.choice.plan(!timed ? '' : pick !== null ? this.pickKeys.of(args) : this.keys.of(args));
    const threads = call.threads;
    if (threads === 1 && this.alone) {
      const done = this.alone.product(args, pick);
      this.choice.record(call);
      return done;
    }
    // A parameter B is read from its resident copy (refreshed only when its generation changed); for a
    // few rows of A times B itself (batch-1 decoding), from a copy in the panel layout.
    const resident = isResidentB(args);
    const panelB = resident && small && !transB && (args.bOffset ?? 0) === 0 && (args.ldb ?? n) === n ? this.residentPanels(args.b, k, n) : -1;
    const residentB = panelB >= 0 ? panelB : resident ? this.residentCopy(args.b) : -1;
    // One thread, few rows: B goes through a small buffer block by block (copied once, used while in
    // cache) instead of being copied whole.
    const streamed = small && threads === 1 && residentB < 0;

    // Reserve the per-call region: A, B (or a block of B), C, packed A (or alpha*A rows on the small path).
    const streamRows = Math.min(rowsB, Math.max(4, Math.floor(STREAM_FLOATS / ldb / 4) * 4));
    const aFloats = copyFloats(rowsA, colsA, lda);
    const bFloats = residentB >= 0 ? 0 : streamed ? streamRows * ldb : copyFloats(rowsB, colsB, ldb);
    const cFloats = m * n;
    const packFloats = small ? m * k : mpad * k;
    const base = this.dynamic;
    const aPtr = base;
    const bPtr = align(aPtr + aFloats * 4, 64);
    const cPtr = align(bPtr + bFloats * 4, 64);
    const packPtr = align(cPtr + cFloats * 4, 64);
    const pickPtr = align(packPtr + packFloats * 4, 64);
    const end = pick === null ? packPtr + packFloats * 4 : pickPtr + m * PICK_OUT_BYTES;
    if (!this.reserve(end)) {
      if (pick !== null) return false;
      gemmReference(args);
      return true;
    }

    const a = this.place(args.a, args.aOffset ?? 0, rowsA, colsA, lda, aPtr);
    const bo = args.bOffset ?? 0;
    const b =
      residentB >= 0 ? { ptr: residentB + bo * 4, ld: ldb } : streamed ? { ptr: bPtr, ld: ldb } : this.place(args.b, bo, rowsB, colsB, ldb, bPtr);
    const co = args.cOffset ?? 0;
    if (pick !== null) {
      if (pick.bias !== null) for (let r = 0; r < m; r++) this.f32.set(pick.bias, (cPtr >> 2) + r * n);
    } else if (beta !== 0 && args.bias !== undefined) {
      fillRows(this.f32, args.bias, m, n, cPtr >> 2);
    } else if (beta !== 0) {
      copyRowsIn(this.f32, args.c, co, m, n, ldc, cPtr >> 2);
    }

    const p = this.layout.params >> 2;
    this.writeProduct(p, transA, transB, m, n, k, a, b, cPtr, args.alpha ?? 1, beta, packPtr, panelB >= 0);

    if (panelB >= 0) this.runPanels(n, threads, args.alpha ?? 1, transA, a);
    else if (streamed) this.runStreamed(args.b, bo, transB, rowsB, colsB, ldb, streamRows, bPtr);
    else if (small && threads === 1) this.runSmallResident(transB, rowsB, n, b);
    else if (small) this.runSmall(n, threads);
    else this.runPacked(n, k, mpad, threads);

    if (pick === null) copyRowsOut(this.f32, cPtr >> 2, args.c, co, m, n, ldc);
    else this.runPick(cPtr, m, n, pickPtr, pick, threads);
    this.choice.record(call);
    return true;
  }

  /**
   * Greedy decoding's pick over m x n logits that another kernel wrote at `cPtr` in this memory (the int8
   * GEMM on the pool, int8.ts), over the pool: `outPtr` holds m * PICK_OUT_BYTES of results (a region of
   * `callRegions`), read into `out` as `greedyPick` reads them.
   */
  pickAt(cPtr: number, m: number, n: number, outPtr: number, pick: PickJob): void {
    this.runPick(cPtr, m, n, outPtr, pick, this.threads);
  }

  /** asm/greedy.ts over the m x n logits at cPtr (results at outPtr), then the results read into pick.out. */
  private runPick(cPtr: number, m: number, n: number, outPtr: number, pick: PickJob, threads: number): void {
    const p = this.layout.params;
    const i32 = this.i32;
    const per = threads > 1 ? PICK_ROWS_PER_CHUNK : m;
    i32[(p + 128) >> 2] = cPtr;
    i32[(p + 132) >> 2] = n;
    i32[(p + 136) >> 2] = m;
    i32[(p + 140) >> 2] = per;
    i32[(p + 144) >> 2] = outPtr;
    i32[(p + 148) >> 2] = pick.skip0;
    i32[(p + 152) >> 2] = pick.skip1;
    this.f64[(p + 160) >> 3] = Math.log(n);
    this.runJob(KIND_GREEDY, Math.ceil(m / per), threads);
    readPickRows(this.f32, this.i32, cPtr, m, n, outPtr, pick.out);
  }

  /**
   * The batched GEMM (batched.ts `gemmBatched`, arguments already checked): A, B and C copied into
   * linear memory once, every item run by asm/batched.ts, over the pool when that is measured faster.
   */
  gemmBatched(args: BatchedGemmArgs): void {
    const { outer, inner, m, n, k } = args;
    const count = outer * inner;
    if (count === 0 || m === 0 || n === 0) return;
    if (k === 0 || BATCHED_PARAMS_BYTES + m * k * 4 > SCRATCH_BYTES) {
      gemmBatchedReference(args);
      return;
    }
    const call = this.choice.plan(this.parallel && count > 1 && 2 * count * m * n * k >= PARALLEL_MIN_FLOPS ? `b${sizeBucket(count)},${shapeKey(args)}` : '');
    const threads = call.threads;
    if (threads === 1 && this.alone) {
      this.alone.gemmBatched(args);
      this.choice.record(call);
      return;
    }
    const shapes = operandShapes(args);
    const beta = args.beta ?? 0;
    const la = inputLayout(shapes.a, outer, inner, args.aStride);
    const lb = inputLayout(shapes.b, outer, inner, args.bStride);
    const lc = outputLayout(shapes.c, outer, inner, args.cStride);
    const [pa, pb, pc, end] = regions(this.dynamic, [la.floats, lb.floats, lc.floats]) as [number, number, number, number];
    if (!this.reserve(end)) {
      gemmBatchedReference(args);
      return;
    }
    const f = this.f32;
    const a = placeOperand(f, pa >> 2, la, args.a, args.aOffset ?? 0, shapes.a, outer, inner, args.aStride, true);
    const b = placeOperand(f, pb >> 2, lb, args.b, args.bOffset ?? 0, shapes.b, outer, inner, args.bStride, true);
    const c = placeOperand(f, pc >> 2, lc, args.c, args.cOffset ?? 0, shapes.c, outer, inner, args.cStride, beta !== 0);
    const p = this.layout.params >> 2;
    const i32 = this.i32;
    const per = itemsPerChunk(args, threads, threads * CHUNKS_PER_THREAD);
    const words = [args.transA ? 1 : 0, args.transB ? 1 : 0, m, n, k, a.at << 2, a.ld, b.at << 2, b.ld, c.at << 2, c.ld];
    words.forEach((w, i) => (i32[p + i] = w));
    f[p + 11] = args.alpha ?? 1;
    f[p + 12] = beta;
    [outer, inner, a.s0, a.s1, b.s0, b.s1, c.s0, c.s1, per].forEach((w, i) => (i32[p + 19 + i] = w));
    this.runJob(KIND_BATCHED, Math.ceil(count / per), threads);
    copyOut(this.f32, pc >> 2, lc, args.c, args.cOffset ?? 0, shapes.c, outer, inner, args.cStride);
    this.choice.record(call);
  }

  /**
   * Reserves consecutive 64-byte aligned regions of the given float (or int) counts in the per-call
   * region and returns their byte addresses (the last entry is their end), or null when memory cannot
   * grow. Valid until the next call into this engine; read and write them through `heapF32`/`heapI32`.
   */
  callRegions(counts: readonly number[]): number[] | null {
    const at = regions(this.dynamic, counts);
    return this.reserve(at[at.length - 1] as number) ? at : null;
  }

  /**
   * A block of `bytes` that stays put across calls (the per-call region moves past it) until the next
   * `hold` or `release`: for data one op writes in its forward and reads in its backward (the logits of
   * wasm-output.ts). Returns its id (read the address with `heldAt`), or -1 when memory cannot grow.
   * Resident copies are not made past it while it is held (those calls then copy their B as usual).
   */
  hold(bytes: number): number {
    this.release();
    const ptr = align(this.dynamic, 64);
    if (!this.reserve(ptr + bytes)) return -1;
    this.heldFrom = this.dynamic;
    this.held = ptr;
    this.dynamic = align(ptr + bytes, 64);
    return ++this.heldId;
  }

  /** Address of held block `id`, or -1 when it was released or another block was held since. */
  heldAt(id: number): number {
    return this.held >= 0 && id === this.heldId ? this.held : -1;
  }

  /** Gives the held block back (the per-call region starts where it did before `hold`). */
  release(): void {
    if (this.held < 0) return;
    this.held = -1;
    this.dynamic = Math.max(this.heldFrom, this.residentEnd);
  }

  /**
   * C = alpha·op(A)·op(B) + beta·C over operands already in linear memory (byte addresses; C is m x n
   * with row stride n, at `c`, or with c = null in a new per-call region): the product of `gemm` without
   * the copies, over the pool when there is one. Returns C's address, or -1 when memory cannot grow.
   */
  productAt(args: {
    m: number; n: number; k: number; transA: boolean; transB: boolean;
    a: number; lda: number; b: number; ldb: number; c: number | null; alpha: number; beta: number;
  }): number {
    const { m, n, k } = args;
    const small = m <= SMALL_M;
    const mpad = align(m, MR);
    const at = regions(this.dynamic, [args.c === null ? m * n : 0, small ? m * k : mpad * k]);
    if (!this.reserve(at[2] as number)) return -1;
    const cPtr = args.c ?? (at[0] as number);
    const threads = this.parallel ? this.threads : 1;
    const p = this.layout.params >> 2;
    const a = { ptr: args.a, ld: args.lda };
    const b = { ptr: args.b, ld: args.ldb };
    this.writeProduct(p, args.transA, args.transB, m, n, k, a, b, cPtr, args.alpha, args.beta, at[1] as number, false);
    if (m === 0 || n === 0) return cPtr;
    if (small && threads === 1) this.runSmallResident(args.transB, args.transB ? n : k, n, { ptr: args.b, ld: args.ldb });
    else if (small) this.runSmall(n, threads);
    else this.runPacked(n, k, mpad, threads);
    return cPtr;
  }

  /** Runs `chunks` chunks of a row job of `kind` (its words written after the GEMM's in the parameter block), over the pool when there is one. */
  runRows(kind: number, chunks: number): void {
    this.runJob(kind, chunks, this.parallel ? this.threads : 1);
  }

  /** Byte address of the parameter block (row jobs write their words from byte 128 on). */
  get params(): number {
    return this.layout.params;
  }

  /** Float view of the whole linear memory (refreshed when memory grows: take it after `callRegions`). */
  get heapF32(): Float32Array {
    return this.f32;
  }

  get heapI32(): Int32Array {
    return this.i32;
  }

  /**
   * Small-M path on one thread: copy `rows` rows of B at a time to `at` and use them at once. For
   * op(B) = B they are added to C; for op(B) = Bᵀ they give whole columns of C.
   */
  private runStreamed(src: Float32Array, off: number, transB: boolean, rowsB: number, colsB: number, ldb: number, rows: number, at: number): void {
    const params = this.layout.params;
    this.kernels.prepSmall(params);
    if (!transB) this.kernels.smallInit(params);
    for (let r0 = 0; r0 < rowsB; r0 += rows) {
      const r1 = Math.min(rowsB, r0 + rows);
      const block = this.place(src, off + r0 * ldb, r1 - r0, colsB, ldb, at);
      if (transB) this.kernels.smallDots(params, r0, r1, block.ptr, block.ld);
      else this.kernels.smallStream(params, r0, r1, block.ptr, block.ld);
    }
  }

  /**
   * The row kernel of ops/vector.ts: copies the row into the per-call region, takes its maximum and
   * Σ exp(x - max) there (and copies exp(x - max) out to dst). False when the maximum is not finite
   * (the caller's loop then gives the IEEE results) or memory cannot grow.
   */
  expRow(src: Float32Array, off: number, len: number, dst: Float32Array | null, dstOff: number, stats: RowStats): boolean {
    const ptr = this.dynamic;
    if (!this.reserve(ptr + len * 4)) return false;
    this.f32.set(src.subarray(off, off + len), ptr >> 2);
    const max = this.kernels.rowMax(ptr, len);
    if (!Number.isFinite(max)) return false;
    stats.max = max;
    stats.sum = this.kernels.expSum(ptr, len, max, dst === null ? 0 : 1);
    if (dst !== null) dst.set(this.f32.subarray(ptr >> 2, (ptr >> 2) + len), dstOff);
    return true;
  }

  /**
   * Additive attention scores (fused/attention.ts `AttentionKernels.forward`): q, k, v and the
   * lengths are copied into the per-call region, t (when not null) and e copied out. False when memory cannot grow.
   */
  attentionForward(
    q: Float32Array, k: Float32Array, v: Float32Array, lengths: Int32Array, batch: number, s: number, a: number, t: Float32Array | null, e: Float32Array,
  ): boolean {
    const [pq, pk, pv, plen, pt, pe, end] = regions(this.dynamic, [batch * a, batch * s * a, a, batch, batch * s * a, batch * s]);
    if (!this.reserve(end)) return false;
    this.f32.set(q.subarray(0, batch * a), pq >> 2);
    this.f32.set(k.subarray(0, batch * s * a), pk >> 2);
    this.f32.set(v.subarray(0, a), pv >> 2);
    this.i32.set(lengths, plen >> 2);
    this.kernels.attnForward(pq, pk, pv, plen, pt, pe, batch, s, a);
    if (t !== null) t.set(this.f32.subarray(pt >> 2, (pt >> 2) + batch * s * a));
    e.set(this.f32.subarray(pe >> 2, (pe >> 2) + batch * s));
    return true;
  }

  /** The backward of `attentionForward` (`AttentionKernels.backward`): results are added to dk, dq and dv. */
  attentionBackward(
    t: Float32Array, v: Float32Array, de: Float32Array, lengths: Int32Array, batch: number, s: number, a: number,
    dk: Float32Array | null, dq: Float32Array | null, dv: Float32Array | null,
  ): boolean {
    const [pt, pv, pde, plen, pdk, pdq, pdv, end] = regions(this.dynamic, [batch * s * a, a, batch * s, batch, batch * s * a, batch * a, a]);
    if (!this.reserve(end)) return false;
    this.f32.set(t.subarray(0, batch * s * a), pt >> 2);
    this.f32.set(v.subarray(0, a), pv >> 2);
    this.f32.set(de.subarray(0, batch * s), pde >> 2);
    this.i32.set(lengths, plen >> 2);
    this.kernels.attnBackward(pt, pv, pde, plen, pdk, pdq, pdv, batch, s, a);
    const f = this.f32;
    if (dk !== null) {
      for (let b = 0; b < batch; b++) {
        const from = b * s * a;
        const n = (lengths[b] as number) * a;
        const src = (pdk >> 2) + from;
        for (let x = 0; x < n; x++) dk[from + x] += f[src + x] as number;
      }
    }
    if (dq !== null) {
      const src = pdq >> 2;
      for (let x = 0; x < batch * a; x++) dq[x] += f[src + x] as number;
    }
    if (dv !== null) {
      const src = pdv >> 2;
      for (let x = 0; x < a; x++) dv[x] += f[src + x] as number;
    }
    return true;
  }

  /**
   * The product's words of the parameter block at word `p` (asm/common.ts P_TRANS_A to P_KC, C's leading
   * dimension n, and P_B_PANELS: whether B is in the panel layout).
   */
  private writeProduct(
    p: number, transA: boolean, transB: boolean, m: number, n: number, k: number, a: Placed, b: Placed, cPtr: number,
    alpha: number, beta: number, packPtr: number, panels: boolean,
  ): void {
    const i32 = this.i32;
    i32[p] = transA ? 1 : 0;
    i32[p + 1] = transB ? 1 : 0;
    i32[p + 2] = m;
    i32[p + 3] = n;
    i32[p + 4] = k;
    i32[p + 5] = a.ptr;
    i32[p + 6] = a.ld;
    i32[p + 7] = b.ptr;
    i32[p + 8] = b.ld;
    i32[p + 9] = cPtr;
    i32[p + 10] = n;
    this.f32[p + 11] = alpha;
    this.f32[p + 12] = beta;
    i32[p + 13] = packPtr;
    i32[p + 14] = KC;
    i32[p + P_B_PANELS_WORD] = panels ? 1 : 0;
  }

  /**
   * Small-M path over a B in the panel layout (asm/small.ts `smallPanels`), on this thread or in chunks of
   * panels over the pool. A's rows are used where `place` put them when they need no scaling or gathering
   * (alpha 1, rows contiguous), else prepSmall copies alpha·A to its packed rows (P_PACK_A) first.
   */
  private runPanels(n: number, threads: number, alpha: number, transA: boolean, a: Placed): void {
    const params = this.layout.params;
    const p = params >> 2;
    const k = this.i32[p + 4] as number;
    if (alpha === 1 && !transA && a.ld === k) this.i32[p + 13] = a.ptr;
    else this.kernels.prepSmall(params);
    const panels = Math.ceil(n / PANEL_W);
    if (threads === 1) {
      this.kernels.smallPanels(params, 0, panels);
      return;
    }
    // Chunks of whole panels (each a contiguous block of B), several per thread for balance.
    this.i32[p + 16] = PANEL_W * Math.max(1, Math.ceil(panels / (threads * CHUNKS_PER_THREAD)));
    this.runJob(KIND_SMALL, Math.ceil(n / (this.i32[p + 16] as number)), threads);
  }

  /**
   * Address of the resident copy of `buf` as a K x N matrix in the panel layout (asm/small.ts
   * `smallPanels`: panel t holds columns [16t, 16t + 16) of all K rows, contiguous, zeros past N),
   * laid out again when the resident generation moved on; -1 when it does not fit or `buf` is
   * shorter than K x N.
   */
  private residentPanels(buf: Float32Array, k: number, n: number): number {
    if (buf.length < k * n || k === 0) return -1;
    const gen = residentGeneration();
    let entry = this.panels.get(buf);
    if (entry !== undefined && (entry.k !== k || entry.n !== n)) return -1;
    if (entry === undefined) {
      const panels = Math.ceil(n / PANEL_W);
      const ptr = this.residentAlloc(panels * k * PANEL_W * 4);
      if (ptr < 0) return -1;
      entry = { ptr, generation: gen - 1, k, n };
      this.panels.set(buf, entry);
    }
    if (entry.generation !== gen) {
      // Row-major into the per-call region, laid out from there (asm/small.ts panelize).
      const src = align(this.dynamic, 64);
      if (!this.reserve(src + k * n * 4)) return -1;
      this.f32.set(buf.subarray(0, k * n), src >> 2);
      this.kernels.panelize(src, entry.ptr, k, n);
      entry.generation = gen;
    }
    return entry.ptr;
  }

  /** Small-M path on one thread over a resident B: all of it in one sweep, in memory order. */
  private runSmallResident(transB: boolean, rowsB: number, n: number, b: Placed): void {
    const params = this.layout.params;
    this.kernels.prepSmall(params);
    if (transB) {
      this.kernels.smallDots(params, 0, n, b.ptr, b.ld);
    } else {
      this.kernels.smallInit(params);
      this.kernels.smallStream(params, 0, rowsB, b.ptr, b.ld);
    }
  }

  /**
   * Address of the resident copy of `buf` (all of it), copied again when the resident generation
   * moved on since the last copy; -1 when it does not fit (the call then copies B as usual).
   */
  private residentCopy(buf: Float32Array): number {
    const gen = residentGeneration();
    let entry = this.resident.get(buf);
    if (entry === undefined) {
      const ptr = this.residentAlloc(buf.length * 4);
      if (ptr < 0) return -1;
      entry = { ptr, generation: gen - 1 };
      this.resident.set(buf, entry);
    }
    if (entry.generation !== gen) {
      this.f32.set(buf, entry.ptr >> 2);
      entry.generation = gen;
    }
    return entry.ptr;
  }

  /**
   * `bytes` of linear memory that stay at one address from call to call, for data that never changes
   * (the int8 weights of int8.ts, keyed by their matrix), in the resident region: `fresh` when they
   * were just allocated (the caller writes them then), null when memory cannot grow. When the region
   * starts over, every kept block is dropped with the resident copies, so ask again at every call.
   */
  keep(key: object, bytes: number): { ptr: number; fresh: boolean } | null {
    const have = this.kept.get(key);
    if (have !== undefined) return { ptr: have, fresh: false };
    const ptr = this.residentAlloc(bytes);
    if (ptr < 0) return null;
    this.kept.set(key, ptr);
    return { ptr, fresh: true };
  }

  /** The address of `keep`'s block for `key` when it is still kept, else -1 (nothing allocated). */
  keptAt(key: object): number {
    return this.kept.get(key) ?? -1;
  }

  /** A block of the resident region (starting the region over when it is full); -1 when it cannot be had. */
  private residentAlloc(size: number): number {
    const bytes = align(size, 64);
    if (bytes > RESIDENT_BYTES) return -1;
    if (this.residentEnd + bytes - this.layout.dynamic > RESIDENT_BYTES) {
      this.resident = new WeakMap();
      this.panels = new WeakMap();
      this.kept = new WeakMap();
      this.residentEnd = this.layout.dynamic;
    }
    const ptr = this.residentEnd;
    if (this.held >= 0 && ptr + bytes > this.held) return -1;
    if (!this.reserve(ptr + bytes)) return -1;
    this.residentEnd += bytes;
    this.dynamic = Math.max(this.dynamic, this.residentEnd);
    return ptr;
  }

  private runSmall(n: number, threads: number): void {
    const p = this.layout.params >> 2;
    this.kernels.prepSmall(this.layout.params);
    const per = threads > 1 ? Math.ceil(n / (threads * CHUNKS_PER_THREAD)) : SMALL_NB;
    const nb = Math.max(16, align(per, 16));
    this.i32[p + 16] = nb;
    this.runJob(KIND_SMALL, Math.ceil(n / nb), threads);
  }

  private runPacked(n: number, k: number, mpad: number, threads: number): void {
    const p = this.layout.params >> 2;
    const panelsA = mpad / MR;
    const target = threads * CHUNKS_PER_THREAD;
    // Packing A: chunks of panels; a small A is packed here at once (a pool round costs more).
    const panelsPer = threads > 1 && mpad * k >= PARALLEL_PACK_FLOATS ? Math.ceil(panelsA / target) : panelsA;
    this.i32[p + 18] = panelsPer;
    this.runJob(KIND_PACK_A, Math.ceil(panelsA / panelsPer), threads);
    // Compute: column chunks of NR multiples, split M too when there are too few of them.
    const panelsB = Math.ceil(n / NR);
    let nb = NB_MAX;
    let mb = mpad;
    if (threads > 1) {
      nb = NR * Math.max(1, Math.min(NB_MAX / NR, Math.ceil(panelsB / target)));
      const chunksN = Math.ceil(n / nb);
      if (chunksN < target) {
        const splitM = Math.min(Math.ceil(target / chunksN), Math.ceil(mpad / 16));
        mb = align(Math.ceil(mpad / splitM), MR);
      }
    }
    const chunksN = Math.ceil(n / nb);
    this.i32[p + 15] = mb;
    this.i32[p + 16] = nb;
    this.i32[p + 17] = chunksN;
    this.runJob(KIND_COMPUTE, Math.ceil(mpad / mb) * chunksN, threads);
  }

  private runJob(kind: number, chunks: number, threads: number): void {
    if (threads > 1 && chunks > 1 && chunks < MAX_CHUNKS && this.parallel) {
      this.parallel(kind, this.layout.params, chunks);
      return;
    }
    for (let c = 0; c < chunks; c++) this.kernels.run(kind, this.layout.params, c, this.layout.scratch);
  }

  /** Copies an operand into linear memory: one bulk copy when its rows are (nearly) contiguous. */
  private place(src: Float32Array, off: number, rows: number, cols: number, ld: number, ptr: number): Placed {
    const span = (rows - 1) * ld + cols;
    if (ld === cols || span <= 1.25 * rows * cols) {
      this.f32.set(src.subarray(off, off + span), ptr >> 2);
      return { ptr, ld };
    }
    copyRowsIn(this.f32, src, off, rows, cols, ld, ptr >> 2);
    return { ptr, ld: cols };
  }

  /** Makes linear memory at least `bytes` long; false when it cannot grow that far. */
  private reserve(bytes: number): boolean {
    // The views already reach that far (a grown unshared memory detaches them: length 0): nothing to ask the
    // memory (its buffer getter costs more than the few-row products of batch-1 decoding can spare).
    if (bytes <= this.f32.length * 4) return true;
    if (!growMemory(this.memory, bytes)) return false;
    if (this.f32.buffer !== this.memory.buffer || this.f32.length * 4 !== this.memory.buffer.byteLength) {
      this.f32 = new Float32Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
      this.f64 = new Float64Array(this.memory.buffer);
    }
    return true;
  }
}


/**
 * A product's operands as they are stored (before op()): A rowsA x colsA, B rowsB x colsB, their leading
 * dimensions and C's, and the rows of A padded to the kernel's MR.
 */
function operands(args: GemmArgs): { transA: boolean; transB: boolean; rowsA: number; colsA: number; rowsB: number; colsB: number; lda: number; ldb: number; ldc: number; mpad: number } {
  const { m, n, k } = args;
  const transA = args.transA ?? false;
  const transB = args.transB ?? false;
  const rowsA = transA ? k : m;
  const colsA = transA ? m : k;
  const rowsB = transB ? n : k;
  const colsB = transB ? k : n;
  return { transA, transB, rowsA, colsA, rowsB, colsB, lda: args.lda ?? colsA, ldb: args.ldb ?? colsB, ldc: args.ldc ?? n, mpad: align(m, MR) };
}
/** Whether a product can be half of a pair job: the packed path (more than SMALL_M rows), something to sum. */
function pairable(args: GemmArgs): boolean {
  return args.m > SMALL_M && args.n > 0 && args.k > 0;
}

/** Floats an operand occupies in linear memory (bulk span or packed rows, whichever `place` picks). */
function copyFloats(rows: number, cols: number, ld: number): number {
  const span = (rows - 1) * ld + cols;
  return ld === cols || span <= 1.25 * rows * cols ? span : rows * cols;
}

function copyRowsIn(dst: Float32Array, src: Float32Array, off: number, rows: number, cols: number, ld: number, at: number): void {
  if (ld === cols) {
    dst.set(src.subarray(off, off + rows * cols), at);
    return;
  }
  for (let r = 0; r < rows; r++) dst.set(src.subarray(off + r * ld, off + r * ld + cols), at + r * cols);
}

/** dst[at ...] = m rows of n floats, each the first n of `row` (one row written, then doubled by copyWithin). */
function fillRows(dst: Float32Array, row: Float32Array, m: number, n: number, at: number): void {
  dst.set(row.length === n ? row : row.subarray(0, n), at);
  const total = m * n;
  for (let done = n; done < total; done *= 2) dst.copyWithin(at + done, at, at + Math.min(done, total - done));
}

function copyRowsOut(src: Float32Array, at: number, dst: Float32Array, off: number, rows: number, cols: number, ld: number): void {
  if (ld === cols) {
    dst.set(src.subarray(at, at + rows * cols), off);
    return;
  }
  for (let r = 0; r < rows; r++) dst.set(src.subarray(at + r * cols, at + (r + 1) * cols), off + r * ld);
}

/** K = 0: C = beta * C (beta = 0 overwrites with zeros, NaN included). */
function scaleC(args: GemmArgs, beta: number): void {
  const ldc = args.ldc ?? args.n;
  const co = args.cOffset ?? 0;
  for (let i = 0; i < args.m; i++) {
    const row = args.c.subarray(co + i * ldc, co + i * ldc + args.n);
    if (beta === 0) row.fill(0);
    else for (let j = 0; j < row.length; j++) row[j] *= beta;
  }
}

/** Reads a function export of a kernel module (`module` names it in the error). */
export function exported(exports: WebAssembly.Exports, name: string, module = 'gemm'): (...args: number[]) => number {
  const f = exports[name];
  if (typeof f !== 'function') throw new Error(`${module} wasm module: export '${name}' is missing`);
  return f as (...args: number[]) => number;
}

/** The typed kernel functions of an instantiated module. */
export function kernelsOf(instance: WebAssembly.Instance): GemmKernels {
  const run = exported(instance.exports, 'run');
  const prepSmall = exported(instance.exports, 'prepSmall');
  const smallInit = exported(instance.exports, 'smallInit');
  const smallStream = exported(instance.exports, 'smallStream');
  const smallDots = exported(instance.exports, 'smallDots');
  const smallPanels = exported(instance.exports, 'smallPanels');
  const panelize = exported(instance.exports, 'panelize');
  const heapBase = exported(instance.exports, 'heapBase');
  const rowMax = exported(instance.exports, 'rowMax');
  const expSum = exported(instance.exports, 'expSum');
  const attnForward = exported(instance.exports, 'attnForward');
  const attnBackward = exported(instance.exports, 'attnBackward');
  const attnScores = exported(instance.exports, 'attnScores');
  const attnContext = exported(instance.exports, 'attnContext');
  const attnStepBackward = exported(instance.exports, 'attnStepBackward');
  const attnFlush = exported(instance.exports, 'attnFlush');
  const maskedSoftmax = exported(instance.exports, 'maskedSoftmax');
  const maskedSoftmaxBackward = exported(instance.exports, 'maskedSoftmaxBackward');
  const layerNormForward = exported(instance.exports, 'layerNormForward');
  const layerNormBackward = exported(instance.exports, 'layerNormBackward');
  const geluForward = exported(instance.exports, 'geluForward');
  const geluBackward = exported(instance.exports, 'geluBackward');
  const gruGatesForward = exported(instance.exports, 'gruGatesForward');
  const gruGatesBackward = exported(instance.exports, 'gruGatesBackward');
  const expRows = exported(instance.exports, 'expRows');
  const subRows = exported(instance.exports, 'subRows');
  const adamStep = exported(instance.exports, 'adamStep');
  return {
    run: (kind, params, chunk, scratch) => void run(kind, params, chunk, scratch),
    prepSmall: (params) => void prepSmall(params),
    smallInit: (params) => void smallInit(params),
    smallStream: (params, p0, p1, b, ldb) => void smallStream(params, p0, p1, b, ldb),
    smallDots: (params, j0, j1, b, ldb) => void smallDots(params, j0, j1, b, ldb),
    smallPanels: (params, t0, t1) => void smallPanels(params, t0, t1),
    panelize: (src, dst, k, n) => void panelize(src, dst, k, n),
    heapBase: () => heapBase(),
    rowMax: (ptr, n) => rowMax(ptr, n),
    expSum: (ptr, n, shift, keep) => expSum(ptr, n, shift, keep),
    attnForward: (q, k, v, len, t, e, batch, s, a) => void attnForward(q, k, v, len, t, e, batch, s, a),
    attnBackward: (t, v, de, len, dk, dq, dv, batch, s, a) => void attnBackward(t, v, de, len, dk, dq, dv, batch, s, a),
    attnScores: (q, k, v, len, e, batch, s, a) => void attnScores(q, k, v, len, e, batch, s, a),
    attnContext: (w, vals, len, ctx, batch, s, h) => void attnContext(w, vals, len, ctx, batch, s, h),
    attnStepBackward: (q, k, v, vals, w, gc, gw, len, de, dq, batch, s, a, h, t) => void attnStepBackward(q, k, v, vals, w, gc, gw, len, de, dq, batch, s, a, h, t),
    attnFlush: (q, k, v, de, w, gc, len, dk, dvals, dv, steps, batch, s, a, h, tp) =>
      void attnFlush(q, k, v, de, w, gc, len, dk, dvals, dv, steps, batch, s, a, h, tp),
    maskedSoftmax: (x, y, len, rows, s, scale) => void maskedSoftmax(x, y, len, rows, s, scale),
    maskedSoftmaxBackward: (y, g, dx, len, rows, s, scale) => void maskedSoftmaxBackward(y, g, dx, len, rows, s, scale),
    layerNormForward: (x, gamma, beta, y, stats, rows, d, eps) => void layerNormForward(x, gamma, beta, y, stats, rows, d, eps),
    layerNormBackward: (x, dy, gamma, stats, dx, dgamma, dbeta, rows, d) => void layerNormBackward(x, dy, gamma, stats, dx, dgamma, dbeta, rows, d),
    geluForward: (x, y, n) => void geluForward(x, y, n),
    geluBackward: (x, g, dx, n) => void geluBackward(x, g, dx, n),
    gruGatesForward: (x, gh, bias, h, hNew, act, active, batch, hidden) => void gruGatesForward(x, gh, bias, h, hNew, act, active, batch, hidden),
    gruGatesBackward: (h, act, dh, dg, dx, active, batch, hidden) => void gruGatesBackward(h, act, dh, dg, dx, active, batch, hidden),
    expRows: (ptr, rows, d, keep, stats) => expRows(ptr, rows, d, keep, stats),
    subRows: (src, dst, rows, d, shift) => void subRows(src, dst, rows, d, shift),
    adamStep: (w, g, m, v, n, b1, b2, g1, g2, stepSize, invC2, eps, wd) => void adamStep(w, g, m, v, n, b1, b2, g1, g2, stepSize, invC2, eps, wd),
  };
}
