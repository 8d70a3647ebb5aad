/**
 * Batched matrix multiply: `outer x inner` products of one shape in one call,
 *
 *   C_i = alpha * op(A_i) * op(B_i) + beta * C_i,   item i = (o, h), o in [0, outer), h in [0, inner),
 *
 * where operand X of item (o, h) starts at element xOffset + o * xStride[0] + h * xStride[1] of its
 * buffer and has row stride ldx. Multi-head attention uses it with outer = B sentences and inner =
 * heads: head h of Q (B, T, D) is the T x dHead block at column h * dHead (row stride D), so Q·Kᵀ of
 * every head of every sentence is one call and no head is ever copied out of its tensor.
 *
 * Before `initEngine` (and as the check for the WebAssembly path) every item runs through the
 * TypeScript reference GEMM; afterwards the engine copies each operand into linear memory once and
 * runs all items there (asm/batched.ts), over the worker pool when that pays.
 *
 * C items must not overlap one another (each element of C belongs to at most one item).
 */
import { countFlops, gemmReference, type GemmArgs } from './gemm.js';

/**
 * The arguments of one product (see `GemmArgs`: sizes, transpositions, alpha, beta, row strides, and
 * the offsets of item (0, 0)), plus the item counts and the strides between items. `bResident` does not
 * apply (the operands of attention are activations).
 */
export interface BatchedGemmArgs extends Omit<GemmArgs, 'bResident'> {
  /** Number of outer items (e.g. sentences) and of inner items per outer one (e.g. heads). */
  outer: number;
  inner: number;
  /** Element strides between items: [per outer item, per inner item]. */
  aStride: readonly [number, number];
  bStride: readonly [number, number];
  cStride: readonly [number, number];
}

/** A batched GEMM implementation: the reference loop below, or the WebAssembly engine's. */
export type BatchedGemmImpl = (args: BatchedGemmArgs) => void;

let impl: BatchedGemmImpl = gemmBatchedReference;

/** Replace the implementation (initEngine installs the WebAssembly one; null restores the reference). */
export function setBatchedGemmImpl(next: BatchedGemmImpl | null): void {
  impl = next ?? gemmBatchedReference;
}

/** The installed implementation (the reference before initEngine). */
export function batchedGemmImpl(): BatchedGemmImpl {
  return impl;
}

export function gemmBatched(args: BatchedGemmArgs): void {
  checkBatched(args);
  if (args.outer === 0 || args.inner === 0) return;
  countFlops(args.m, args.n, args.k, args.outer * args.inner);
  impl(args);
}

/** The GEMM arguments of item (o, h). */
export function batchItem(args: BatchedGemmArgs, o: number, h: number): GemmArgs {
  return {
    m: args.m, n: args.n, k: args.k, transA: args.transA, transB: args.transB, alpha: args.alpha, beta: args.beta,
    a: args.a, b: args.b, c: args.c, lda: args.lda, ldb: args.ldb, ldc: args.ldc,
    aOffset: (args.aOffset ?? 0) + o * args.aStride[0] + h * args.aStride[1],
    bOffset: (args.bOffset ?? 0) + o * args.bStride[0] + h * args.bStride[1],
    cOffset: (args.cOffset ?? 0) + o * args.cStride[0] + h * args.cStride[1],
  };
}

/** Every item through the TypeScript reference GEMM. */
export function gemmBatchedReference(args: BatchedGemmArgs): void {
  for (let o = 0; o < args.outer; o++) for (let h = 0; h < args.inner; h++) gemmReference(batchItem(args, o, h));
}

/** The shape of one stored operand: rows x cols with row stride ld. */
export interface OperandShape {
  rows: number;
  cols: number;
  ld: number;
}

/** Stored shapes of A, B and C of every item. */
export function operandShapes(args: BatchedGemmArgs): { a: OperandShape; b: OperandShape; c: OperandShape } {
  const { m, n, k } = args;
  const aRows = args.transA ? k : m;
  const aCols = args.transA ? m : k;
  const bRows = args.transB ? n : k;
  const bCols = args.transB ? k : n;
  return {
    a: { rows: aRows, cols: aCols, ld: args.lda ?? aCols },
    b: { rows: bRows, cols: bCols, ld: args.ldb ?? bCols },
    c: { rows: m, cols: n, ld: args.ldc ?? n },
  };
}

/** Elements from the first element of item (0, 0) to one past the last element of the last item. */
export function operandSpan(shape: OperandShape, outer: number, inner: number, stride: readonly [number, number]): number {
  if (shape.rows === 0 || shape.cols === 0) return 0;
  return (outer - 1) * stride[0] + (inner - 1) * stride[1] + (shape.rows - 1) * shape.ld + shape.cols;
}

/** Validates counts, sizes, strides, and that every operand holds the elements its items reach. */
export function checkBatched(args: BatchedGemmArgs): void {
  const whole = (x: number): boolean => Number.isInteger(x) && x >= 0;
  const { outer, inner, m, n, k } = args;
  if (![outer, inner, m, n, k].every(whole)) {
    throw new RangeError(`gemmBatched: counts and sizes must be whole numbers >= 0 (outer=${outer}, inner=${inner}, m=${m}, n=${n}, k=${k})`);
  }
  const shapes = operandShapes(args);
  const operands: Array<[string, Float32Array, OperandShape, number, readonly [number, number]]> = [
    ['A', args.a, shapes.a, args.aOffset ?? 0, args.aStride],
    ['B', args.b, shapes.b, args.bOffset ?? 0, args.bStride],
    ['C', args.c, shapes.c, args.cOffset ?? 0, args.cStride],
  ];
  for (const [which, buf, shape, off, stride] of operands) {
    if (!stride.every(whole) || !whole(off)) {
      throw new RangeError(`gemmBatched: ${which} offset and strides must be whole numbers >= 0 (offset ${off}, strides ${stride.join(', ')})`);
    }
    if (outer === 0 || inner === 0 || shape.rows === 0 || shape.cols === 0) continue;
    if (shape.ld < shape.cols) throw new RangeError(`gemmBatched: ${which} row stride ${shape.ld} is smaller than its ${shape.cols} columns`);
    const last = off + operandSpan(shape, outer, inner, stride);
    if (last > buf.length) {
      throw new RangeError(
        `gemmBatched: ${which} needs ${last} elements (${outer}x${inner} items of ${shape.rows}x${shape.cols}, stride ${shape.ld}, ` +
          `item strides ${stride.join('/')}, offset ${off}) but has ${buf.length}`,
      );
    }
  }
}
