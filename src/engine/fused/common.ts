/** Shared pieces of the fused recurrent kernels: option checks and the per-step row schedule. */
import { gemm } from '../gemm.js';
import { ShapeError, shapeStr, Tensor } from '../tensor.js';
import type { StepGrads } from './step-grads.js';

export interface SequenceOptions {
  /** Real length of each row (B entries, each in [0, S]); steps t >= length keep the state and output 0. */
  lengths?: Int32Array;
  /** Process each row from its last real step back to the first. */
  reverse?: boolean;
}

/** Validates lengths against (B, S); returns them (all S when absent). */
export function sequenceLengths(op: string, xProj: Tensor, lengths: Int32Array | undefined): Int32Array {
  const b = xProj.shape[0] as number;
  const s = xProj.shape[1] as number;
  if (lengths === undefined) return new Int32Array(b).fill(s);
  if (lengths.length !== b) throw new ShapeError(op, `${lengths.length} lengths for ${b} rows`, xProj.shape, [lengths.length]);
  for (const len of lengths) {
    if (!(Number.isInteger(len) && len >= 0 && len <= s)) throw new RangeError(`${op}: length ${len} outside [0, ${s}]`);
  }
  return lengths;
}

/**
 * Checks the recurrent weights: wHh (H, G·H), bHh (G·H), state (B, H), xProj of last axis G·H.
 * Returns H.
 */
export function checkRecurrent(op: string, gates: number, xProj: Tensor, state: Tensor, wHh: Tensor, bHh: Tensor): number {
  if (state.rank !== 2) throw new ShapeError(op, `state must be (B, H), got ${shapeStr(state.shape)}`, state.shape);
  const b = state.shape[0] as number;
  const h = state.shape[1] as number;
  const gh = gates * h;
  if (wHh.rank !== 2 || wHh.shape[0] !== h || wHh.shape[1] !== gh) {
    throw new ShapeError(op, `weight_hh must be (${h}, ${gh})`, state.shape, wHh.shape);
  }
  if (bHh.rank !== 1 || bHh.shape[0] !== gh) throw new ShapeError(op, `bias_hh must be (${gh})`, wHh.shape, bHh.shape);
  if (xProj.lastDim !== gh || xProj.shape[0] !== b) {
    throw new ShapeError(op, `xProj must be (B=${b}, ..., ${gh})`, xProj.shape, state.shape);
  }
  return h;
}

/** Position that row `b` (real length `len`) reads at step k, or -1 when the row is past its end. */
export function position(k: number, len: number, reverse: boolean): number {
  if (k >= len) return -1;
  return reverse ? len - 1 - k : k;
}

/**
 * Adds dg (B, G·H) into the recurrent parameters' gradients (or, with `sums`, leaves it there for one product
 * over all steps) and dg·W_hhᵀ into dh (B, H).
 */
export function recurrentParamBackward(
  hidden: number, gates: number, batch: number, hPrev: Float32Array, hPrevOff: number, dg: Float32Array,
  dh: Float32Array, wHh: Tensor, bHh: Tensor, sums?: StepGrads,
): void {
  const gh = gates * hidden;
  if (sums !== undefined) {
    // The parameters' gradients of all steps in one product at the end (step-grads.ts).
    sums.add(hPrev.subarray(hPrevOff, hPrevOff + batch * hidden), dg, batch);
  } else if (wHh.requiresGrad) {
    gemm({ m: hidden, n: gh, k: batch, a: hPrev, b: dg, c: wHh.ensureGrad(), transA: true, beta: 1, aOffset: hPrevOff });
  }
  if (sums === undefined && bHh.requiresGrad) {
    const db = bHh.ensureGrad();
    for (let b = 0; b < batch; b++) for (let j = 0; j < gh; j++) db[j] += dg[b * gh + j];
  }
  gemm({ m: batch, n: hidden, k: gh, a: dg, b: wHh.data, c: dh, transB: true, beta: 1, bResident: wHh.requiresGrad });
}
