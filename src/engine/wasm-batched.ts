/**
 * Operand placement of the WebAssembly batched GEMM (batched.ts, asm/batched.ts): where each operand of
 * a batched call goes in linear memory and with which strides, so that it is copied once per call.
 *
 * A and B (read only) are copied as one span when their items nearly fill it (Q, K, V of all heads:
 * the heads tile the rows), else one span per outer item (a key/value cache with unused capacity
 * between sentences), else item by item, row by row. C is copied as one span when its items tile it
 * exactly (scores (B, H, T, S), contexts (B, T, D)); otherwise item by item, so elements between the
 * items are never written.
 */
import { operandSpan, type BatchedGemmArgs, type OperandShape } from './batched.js';

/** An operand in linear memory: float index of item (0, 0), its row stride and item strides. */
export interface Placed {
  at: number;
  ld: number;
  s0: number;
  s1: number;
}

type Mode = 'span' | 'groups' | 'items';

/** How an operand is laid out in linear memory and how many floats that takes. */
export interface Layout {
  mode: Mode;
  floats: number;
}

/** Copy in one span when it holds at most this much more than the items need. */
const SLACK = 1.25;

function itemFloats(shape: OperandShape): number {
  return shape.rows * shape.cols;
}

function groupSpan(shape: OperandShape, inner: number, stride: readonly [number, number]): number {
  return (inner - 1) * stride[1] + (shape.rows - 1) * shape.ld + shape.cols;
}

/** The layout of a read-only operand (A or B). */
export function inputLayout(shape: OperandShape, outer: number, inner: number, stride: readonly [number, number]): Layout {
  const need = outer * inner * itemFloats(shape);
  const span = operandSpan(shape, outer, inner, stride);
  if (span <= SLACK * need) return { mode: 'span', floats: span };
  const groups = outer * groupSpan(shape, inner, stride);
  if (groups <= SLACK * need) return { mode: 'groups', floats: groups };
  return { mode: 'items', floats: need };
}

/** The layout of C: one span when the items tile it exactly, else item by item. */
export function outputLayout(shape: OperandShape, outer: number, inner: number, stride: readonly [number, number]): Layout {
  const need = outer * inner * itemFloats(shape);
  return operandSpan(shape, outer, inner, stride) === need ? { mode: 'span', floats: need } : { mode: 'items', floats: need };
}

/** Copies an operand of `layout` to heap[at ...] (C only when its old values are read: beta != 0). */
export function placeOperand(
  heap: Float32Array, at: number, layout: Layout, src: Float32Array, off: number, shape: OperandShape,
  outer: number, inner: number, stride: readonly [number, number], copy: boolean,
): Placed {
  if (layout.mode === 'span') {
    if (copy) heap.set(src.subarray(off, off + layout.floats), at);
    return { at, ld: shape.ld, s0: stride[0], s1: stride[1] };
  }
  if (layout.mode === 'groups') {
    const g = groupSpan(shape, inner, stride);
    if (copy) for (let o = 0; o < outer; o++) heap.set(src.subarray(off + o * stride[0], off + o * stride[0] + g), at + o * g);
    return { at, ld: shape.ld, s0: g, s1: stride[1] };
  }
  const size = itemFloats(shape);
  if (copy) forEachRow(shape, outer, inner, stride, off, at, (from, to) => heap.set(src.subarray(from, from + shape.cols), to));
  return { at, ld: shape.cols, s0: inner * size, s1: size };
}

/** Copies C back from heap[at ...] into dst. */
export function copyOut(heap: Float32Array, at: number, layout: Layout, dst: Float32Array, off: number, shape: OperandShape, outer: number, inner: number, stride: readonly [number, number]): void {
  if (layout.mode === 'span') {
    dst.set(heap.subarray(at, at + layout.floats), off);
    return;
  }
  forEachRow(shape, outer, inner, stride, off, at, (from, to) => dst.set(heap.subarray(to, to + shape.cols), from));
}

/** Visits every row of every item: its start in the source buffer and in the compact item layout. */
function forEachRow(
  shape: OperandShape, outer: number, inner: number, stride: readonly [number, number], off: number, at: number,
  visit: (from: number, to: number) => void,
): void {
  const size = itemFloats(shape);
  for (let o = 0; o < outer; o++) {
    for (let h = 0; h < inner; h++) {
      const from = off + o * stride[0] + h * stride[1];
      const to = at + (o * inner + h) * size;
      for (let r = 0; r < shape.rows; r++) visit(from + r * shape.ld, to + r * shape.cols);
    }
  }
}

/** Items per chunk: one chunk on one thread, else about `target` chunks for the pool to share. */
export function itemsPerChunk(args: BatchedGemmArgs, threads: number, target: number): number {
  const count = args.outer * args.inner;
  return threads > 1 ? Math.max(1, Math.ceil(count / target)) : count;
}
