/**
 * The WebAssembly SIMD kernels of the Transformer ops (masked scaled softmax, layer normalization,
 * GELU; asm/softmax.ts, asm/layernorm.ts, asm/gelu.ts), installed by `initEngine`. Each copies its
 * operands into the engine's linear memory, runs there and copies the results out; it returns false
 * (nothing written) when it cannot run, and the op then runs its TypeScript loop. Before `initEngine`,
 * after `shutdownEngine`, and for tensors below ROW_KERNELS_MIN elements (the copies would cost more
 * than they save) the ops use their TypeScript loops.
 */
import type { RowsKernel } from './ops/vector.js';
import type { WasmGemm } from './wasm.js';

export interface RowKernels {
  /** y (rows, s) = masked scaled softmax of x (see ops/masked-softmax.ts); lens (rows) valid positions per row. */
  maskedSoftmax(x: Float32Array, y: Float32Array, lens: Int32Array, rows: number, s: number, scale: number): boolean;
  /** dx (rows, s) = its backward from y and the output gradient g (written, not added). */
  maskedSoftmaxBackward(y: Float32Array, g: Float32Array, dx: Float32Array, lens: Int32Array, rows: number, s: number, scale: number): boolean;
  /** y (rows, d) = layer norm of x with gamma, beta; stats (rows, 2) = mean and 1/std per row. */
  layerNorm(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, stats: Float32Array, rows: number, d: number, eps: number): boolean;
  /**
   * dx (rows, d) written (with `add`, added to dx: one pass over the result where it lies instead of a copy
   * and an add); the row sums dy·x̂ and dy are ADDED to dgamma and dbeta (each when not null).
   */
  layerNormBackward(
    x: Float32Array, dy: Float32Array, gamma: Float32Array, stats: Float32Array, rows: number, d: number,
    dx: Float32Array, dgamma: Float32Array | null, dbeta: Float32Array | null, add?: boolean,
  ): boolean;
  /** y = gelu(x) over the first n elements. */
  gelu(x: Float32Array, y: Float32Array, n: number): boolean;
  /** dx = g gelu'(x) over the first n elements (written, not added). */
  geluBackward(x: Float32Array, g: Float32Array, dx: Float32Array, n: number): boolean;
}

/** Tensors of fewer elements stay in TypeScript. */
export const ROW_KERNELS_MIN = 2048;

let kernels: RowKernels | null = null;

/** The installed kernels for a tensor of `size` elements (null: use the TypeScript loops). */
export function rowKernelsFor(size: number): RowKernels | null {
  return size >= ROW_KERNELS_MIN ? kernels : null;
}

/** The installed kernels whatever the size (null before initEngine). */
export function installedRowKernels(): RowKernels | null {
  return kernels;
}

/** Installs (or with null removes) the kernels. */
export function setRowKernels(next: RowKernels | null): void {
  kernels = next;
}

/** The kernels over a WebAssembly engine instance's linear memory. */
export function wasmRowKernels(w: WasmGemm): RowKernels {
  const k = w.kernels;
  return {
    maskedSoftmax(x, y, lens, rows, s, scale) {
      const at = w.callRegions([rows * s, rows]);
      if (at === null) return false;
      const [px, pl] = at as [number, number];
      w.heapF32.set(x.subarray(0, rows * s), px >> 2);
      w.heapI32.set(lens.subarray(0, rows), pl >> 2);
      k.maskedSoftmax(px, px, pl, rows, s, scale);
      y.set(w.heapF32.subarray(px >> 2, (px >> 2) + rows * s));
      return true;
    },
    maskedSoftmaxBackward(y, g, dx, lens, rows, s, scale) {
      const at = w.callRegions([rows * s, rows * s, rows]);
      if (at === null) return false;
      const [py, pg, pl] = at as [number, number, number];
      const f = w.heapF32;
      f.set(y.subarray(0, rows * s), py >> 2);
      f.set(g.subarray(0, rows * s), pg >> 2);
      w.heapI32.set(lens.subarray(0, rows), pl >> 2);
      k.maskedSoftmaxBackward(py, pg, pg, pl, rows, s, scale);
      dx.set(f.subarray(pg >> 2, (pg >> 2) + rows * s));
      return true;
    },
    layerNorm(x, gamma, beta, y, stats, rows, d, eps) {
      const at = w.callRegions([rows * d, d, d, rows * 2]);
      if (at === null) return false;
      const [px, pg, pb, ps] = at as [number, number, number, number];
      const f = w.heapF32;
      f.set(x.subarray(0, rows * d), px >> 2);
      f.set(gamma, pg >> 2);
      f.set(beta, pb >> 2);
      k.layerNormForward(px, pg, pb, px, ps, rows, d, eps);
      y.set(f.subarray(px >> 2, (px >> 2) + rows * d));
      stats.set(f.subarray(ps >> 2, (ps >> 2) + rows * 2));
      return true;
    },
    layerNormBackward(x, dy, gamma, stats, rows, d, dx, dgamma, dbeta, add = false) {
      const at = w.callRegions([rows * d, rows * d, d, rows * 2, d, d]);
      if (at === null) return false;
      const [px, pdy, pg, ps, pdg, pdb] = at as [number, number, number, number, number, number];
      const f = w.heapF32;
      f.set(x.subarray(0, rows * d), px >> 2);
      f.set(dy.subarray(0, rows * d), pdy >> 2);
      f.set(gamma, pg >> 2);
      f.set(stats.subarray(0, rows * 2), ps >> 2);
      k.layerNormBackward(px, pdy, pg, ps, pdy, pdg, pdb, rows, d);
      const at0 = pdy >> 2;
      if (add) for (let i = 0; i < rows * d; i++) dx[i] += f[at0 + i] as number;
      else dx.set(f.subarray(at0, at0 + rows * d));
      if (dgamma !== null) for (let j = 0; j < d; j++) dgamma[j] += f[(pdg >> 2) + j] as number;
      if (dbeta !== null) for (let j = 0; j < d; j++) dbeta[j] += f[(pdb >> 2) + j] as number;
      return true;
    },
    gelu(x, y, n) {
      const at = w.callRegions([n]);
      if (at === null) return false;
      const px = at[0] as number;
      w.heapF32.set(x.subarray(0, n), px >> 2);
      k.geluForward(px, px, n);
      y.set(w.heapF32.subarray(px >> 2, (px >> 2) + n));
      return true;
    },
    geluBackward(x, g, dx, n) {
      const at = w.callRegions([n, n]);
      if (at === null) return false;
      const [px, pg] = at as [number, number];
      const f = w.heapF32;
      f.set(x.subarray(0, n), px >> 2);
      f.set(g.subarray(0, n), pg >> 2);
      k.geluBackward(px, pg, pg, n);
      dx.set(f.subarray(pg >> 2, (pg >> 2) + n));
      return true;
    },
  };
}

/** The bulk softmax-family row kernel (ops/vector.ts `RowsKernel`) over an engine instance's memory (asm/rows.ts). */
export function wasmRowsKernel(w: WasmGemm): RowsKernel {
  const k = w.kernels;
  return {
    exp(src, rows, d, dst, max, sum) {
      const n = rows * d;
      const at = w.callRegions([n, 4 * rows]);
      if (at === null) return false;
      const [px, ps] = at as [number, number];
      w.heapF32.set(src.subarray(0, n), px >> 2);
      if (k.expRows(px, rows, d, dst === null ? 0 : 1, ps) === 0) return false;
      const stats = new Float64Array(w.heapF32.buffer, ps, 2 * rows);
      for (let r = 0; r < rows; r++) {
        max[r] = stats[2 * r] as number;
        sum[r] = stats[2 * r + 1] as number;
      }
      if (dst !== null) dst.set(w.heapF32.subarray(px >> 2, (px >> 2) + n));
      return true;
    },
    logSoftmax(src, rows, d, dst) {
      const n = rows * d;
      const at = w.callRegions([n, 4 * rows]);
      if (at === null) return false;
      const [px, ps] = at as [number, number];
      w.heapF32.set(src.subarray(0, n), px >> 2);
      if (k.expRows(px, rows, d, 0, ps) === 0) return false;
      const stats = new Float64Array(w.heapF32.buffer, ps, 2 * rows);
      // lse_r = max_r + log sum_r, written over the max (subRows reads one f64 per row).
      for (let r = 0; r < rows; r++) stats[r] = (stats[2 * r] as number) + Math.log(stats[2 * r + 1] as number);
      k.subRows(px, px, rows, d, ps);
      dst.set(w.heapF32.subarray(px >> 2, (px >> 2) + n));
      return true;
    },
  };
}
