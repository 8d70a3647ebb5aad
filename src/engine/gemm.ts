/**
 * General matrix multiply, row-major: C = alpha * op(A) * op(B) + beta * C,
 * op(A) is M x K, op(B) is K x N, C is M x N.
 *
 * This is the single entry point every layer uses. Until the WebAssembly kernels are loaded
 * (see `initEngine`), it runs a blocked TypeScript loop; afterwards it dispatches to the
 * WebAssembly SIMD kernels (and the worker pool when threads > 1).
 */
import { int8Gemm } from './int8.js';

export interface GemmArgs {
  /** Use Aᵀ: A is stored K x M. */
  transA?: boolean;
  /** Use Bᵀ: B is stored N x K. */
  transB?: boolean;
  m: number;
  n: number;
  k: number;
  a: Float32Array;
  b: Float32Array;
  c: Float32Array;
  /** Default 1. */
  alpha?: number;
  /** Default 0 (C is overwritten; its old contents are ignored, NaN included). */
  beta?: number;
  /**
   * A row of (at least) N floats taken as every row of C's old contents instead of C itself (C is then
   * only written): with beta 1, C = alpha·op(A)·op(B) + bias on every row, bit for bit what filling C's
   * rows with the bias and calling with beta 1 gives (`linear` passes its bias so; the WebAssembly
   * engine then writes the rows in its own memory instead of copying C in). Ignored when beta is 0.
   */
  bias?: Float32Array;
  /** Row strides; default the packed width (K or M for A, N or K for B, N for C). */
  lda?: number;
  ldb?: number;
  ldc?: number;
  /** Element offsets into a, b, c. Default 0. */
  aOffset?: number;
  bOffset?: number;
  cOffset?: number;
  /**
   * B is a parameter buffer: inside `withResidentParameters` the WebAssembly engine keeps its copy
   * in linear memory from one call to the next instead of copying it again (ops set this for
   * parameter tensors; outside such a scope it is ignored).
   */
  bResident?: boolean;
}

// Resident operands: the WebAssembly engine may keep a copy of a B buffer in its linear memory (keyed
// by the Float32Array itself) and reuse it while the generation below is unchanged. Anything that
// writes such a buffer in place must then call `parametersChanged()`: the optimizers do after every
// step. New buffers (a freshly initialised or loaded model) are never confused with old copies.

let generation = 0;
let scopes = 0;
const marked = new WeakSet<Float32Array>();

/** The current generation of resident buffers (copies made under an older one are stale). */
export function residentGeneration(): number {
  return generation;
}

/** Declares that resident buffers (parameters) may have been written: their copies are refreshed on next use. */
export function parametersChanged(): void {
  generation++;
}

/**
 * Runs `fn` with parameter operands (`bResident`) kept resident: copies made in earlier scopes are
 * reused. A parameter written in place (other than by an optimizer step) must be followed by
 * `parametersChanged()` before the next scope uses it.
 */
export function withResidentParameters<T>(fn: () => T): T {
  scopes++;
  try {
    return fn();
  } finally {
    scopes--;
  }
}

/**
 * Marks a buffer resident outside scopes too: every write to it must be followed by
 * `parametersChanged()` (the optimizers' steps do this themselves).
 */
export function markResident(buf: Float32Array): void {
  marked.add(buf);
}

/** Whether B of this call may come from a resident copy. */
export function isResidentB(args: GemmArgs): boolean {
  return (args.bResident === true && scopes > 0) || marked.has(args.b);
}

/** A GEMM implementation: the reference loop below, or the WebAssembly one. */
export type GemmImpl = (args: GemmArgs) => void;

let impl: GemmImpl = gemmReference;

/** Replace the implementation (the engine loader does this once the kernels are ready). */
export function setGemmImpl(next: GemmImpl): void {
  impl = next;
}

/** The reference computes every element of C on its own (the sum over p in order), whatever the width. */
let columnsExact: (m: number, width: number) => boolean = () => true;

/**
 * Whether, for op(A) of m rows, one product A·[B_1 | B_2 | ...] (B_i of `width` columns each side by
 * side; no transposition, alpha 1, any beta) gives every column of C bit for bit as the product A·B_i
 * alone gives it. A layer that fuses products sharing A (the query, key and value projections) asks
 * this first and otherwise runs them one by one.
 */
export function concatExact(m: number, width: number): boolean {
  return columnsExact(m, width);
}

/** Installs the implementation's answer to `concatExact` (null: the reference's, always true). */
export function setConcatExact(next: ((m: number, width: number) => boolean) | null): void {
  columnsExact = next ?? (() => true);
}

let flops = 0;

/** Floating-point operations (2·M·N·K per product) of every GEMM and batched GEMM run so far (benchmarks read it). */
export function gemmFlops(): number {
  return flops;
}

/** Adds a product's 2·M·N·K to the counter `gemmFlops` reads. */
export function countFlops(m: number, n: number, k: number, count = 1): void {
  flops += 2 * m * n * k * count;
}

export function gemm(args: GemmArgs): void {
  checkGemm(args);
  countFlops(args.m, args.n, args.k);
  // A B registered as an int8 weight (a model loaded from an int8 checkpoint) takes the int8 GEMM (which
  // reads a bias row itself).
  if (int8Gemm(args)) return;
  impl(args);
}

/** The same call with `bias` written into C's rows (when beta is not 0) instead of passed. */
export function withoutBias(args: GemmArgs): GemmArgs {
  const bias = args.bias;
  if (bias === undefined) return args;
  if ((args.beta ?? 0) !== 0) {
    const ldc = args.ldc ?? args.n;
    const co = args.cOffset ?? 0;
    const row = bias.length === args.n ? bias : bias.subarray(0, args.n);
    for (let i = 0; i < args.m; i++) args.c.set(row, co + i * ldc);
  }
  return { ...args, bias: undefined };
}

/** Validates sizes and that every operand holds the elements its strides reach. */
export function checkGemm(args: GemmArgs): void {
  const { m, n, k } = args;
  if (!(m >= 0 && n >= 0 && k >= 0) || !Number.isInteger(m) || !Number.isInteger(n) || !Number.isInteger(k)) {
    throw new RangeError(`gemm: sizes must be whole numbers >= 0 (m=${m}, n=${n}, k=${k})`);
  }
  const rowsA = args.transA ? k : m;
  const colsA = args.transA ? m : k;
  const rowsB = args.transB ? n : k;
  const colsB = args.transB ? k : n;
  need('A', args.a, args.aOffset ?? 0, rowsA, colsA, args.lda ?? colsA);
  need('B', args.b, args.bOffset ?? 0, rowsB, colsB, args.ldb ?? colsB);
  need('C', args.c, args.cOffset ?? 0, m, n, args.ldc ?? n);
  if (args.bias !== undefined && args.bias.length < n) throw new RangeError(`gemm: bias has ${args.bias.length} elements, C rows have ${n}`);
}

function need(which: string, buf: Float32Array, off: number, rows: number, cols: number, ld: number): void {
  if (rows === 0 || cols === 0) return;
  if (ld < cols) throw new RangeError(`gemm: ${which} row stride ${ld} is smaller than its ${cols} columns`);
  const last = off + (rows - 1) * ld + cols;
  if (last > buf.length) {
    throw new RangeError(
      `gemm: ${which} needs ${last} elements (${rows}x${cols}, stride ${ld}, offset ${off}) but has ${buf.length}`,
    );
  }
}

/** Straightforward reference GEMM in TypeScript (i-k-j order, float32 storage, float64 sums avoided for speed). */
export function gemmReference(args: GemmArgs): void {
  const { m, n, k, a, b, c } = args;
  const transA = args.transA ?? false;
  const transB = args.transB ?? false;
  const alpha = args.alpha ?? 1;
  const beta = args.beta ?? 0;
  const lda = args.lda ?? (transA ? m : k);
  const ldb = args.ldb ?? (transB ? k : n);
  const ldc = args.ldc ?? n;
  const ao = args.aOffset ?? 0;
  const bo = args.bOffset ?? 0;
  const co = args.cOffset ?? 0;
  const bias = args.bias;
  const row = new Float32Array(n);
  for (let i = 0; i < m; i++) {
    row.fill(0);
    for (let p = 0; p < k; p++) {
      const av = transA ? a[ao + p * lda + i] : a[ao + i * lda + p];
      if (transB) {
        for (let j = 0; j < n; j++) row[j] += av * b[bo + j * ldb + p];
      } else {
        const base = bo + p * ldb;
        for (let j = 0; j < n; j++) row[j] += av * b[base + j];
      }
    }
    const cb = co + i * ldc;
    if (beta === 0) {
      for (let j = 0; j < n; j++) c[cb + j] = alpha * row[j];
    } else if (bias !== undefined) {
      for (let j = 0; j < n; j++) c[cb + j] = alpha * row[j] + beta * bias[j];
    } else {
      for (let j = 0; j < n; j++) c[cb + j] = alpha * row[j] + beta * c[cb + j];
    }
  }
}
