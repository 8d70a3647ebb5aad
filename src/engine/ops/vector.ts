/**
 * Row kernel of the softmax family: the maximum m of a row and Σ exp(x_j - m), optionally keeping
 * exp(x_j - m). The WebAssembly engine installs a SIMD version (asm/vec.ts) when it loads; rows
 * shorter than ROW_KERNEL_MIN, rows whose maximum is not finite, and the time before `initEngine`
 * use the TypeScript loop.
 */
import { expNonPositive } from './elementwise.js';

/** Result of `expRow`: m and Σ exp(x_j - m) (an object reused by every call). */
export interface RowStats {
  max: number;
  sum: number;
}

/**
 * max and sum of src[off .. off+len) into `stats`; with dst, dst[dstOff + j] = exp(src[off + j] - max).
 * Returns false (nothing written) when it cannot run the row, so the caller falls back.
 */
export type RowKernel = (src: Float32Array, off: number, len: number, dst: Float32Array | null, dstOff: number, stats: RowStats) => boolean;

/** Shorter rows stay in TypeScript (the copy and call cost more than they save). */
export const ROW_KERNEL_MIN = 256;

/**
 * The bulk form for a whole (rows, d) block of full-length rows, one call instead of one per row, with
 * the results of the row kernel row by row: `exp` fills max[r] and sum[r] (and with dst the exp values);
 * `logSoftmax` writes dst[r, j] = src[r, j] - (max_r + log sum_r). Both return false (nothing usable
 * written) when they cannot run, e.g. when a row's maximum is not finite; the caller then goes row by row.
 */
export interface RowsKernel {
  exp(src: Float32Array, rows: number, d: number, dst: Float32Array | null, max: Float64Array, sum: Float64Array): boolean;
  logSoftmax(src: Float32Array, rows: number, d: number, dst: Float32Array): boolean;
}

let kernel: RowKernel | null = null;
let rowsKernel: RowsKernel | null = null;
const stats: RowStats = { max: -Infinity, sum: 0 };

/** Installs (or with null removes) the engine's row kernel and its bulk form. */
export function setRowKernel(next: RowKernel | null, bulk: RowsKernel | null = null): void {
  kernel = next;
  rowsKernel = next === null ? null : bulk;
}

/** The installed row kernel and its bulk form (null before initEngine). */
export function installedRowKernel(): { row: RowKernel | null; bulk: RowsKernel | null } {
  return { row: kernel, bulk: rowsKernel };
}

/** The engine's bulk row kernel for rows of length d (null: go row by row with `expRow`). */
export function rowsKernelFor(d: number): RowsKernel | null {
  return d >= ROW_KERNEL_MIN ? rowsKernel : null;
}

/**
 * m = max of v[o .. o+len) and Σ exp(v_j - m) (m = -Infinity and sum 0 for an empty row; exp of
 * -Infinity - -Infinity is NaN, as Math.exp gives, when every entry is -Infinity). With dst, also
 * dst[dstOff + j] = exp(v_j - m). The returned object is reused by the next call.
 */
export function expRow(v: Float32Array, o: number, len: number, dst: Float32Array | null = null, dstOff = 0): RowStats {
  if (kernel !== null && len >= ROW_KERNEL_MIN && kernel(v, o, len, dst, dstOff, stats)) return stats;
  let max = -Infinity;
  for (let j = 0; j < len; j++) if (v[o + j] > max) max = v[o + j];
  let s = 0;
  if (dst !== null) {
    for (let j = 0; j < len; j++) {
      const e = expNonPositive(v[o + j] - max);
      dst[dstOff + j] = e;
      s += e;
    }
  } else {
    for (let j = 0; j < len; j++) s += expNonPositive(v[o + j] - max);
  }
  stats.max = max;
  stats.sum = s;
  return stats;
}
