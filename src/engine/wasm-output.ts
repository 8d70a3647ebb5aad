/**
 * The output layer's cross-entropy on the WebAssembly engine (fused/output-ce.ts `OutputCeKernel`).
 * Forward: h (with a column of ones beside it, row stride D + 1), w, the bias and the targets go into a
 * block the engine holds until the backward (WasmGemm.hold); the logits are computed there by the
 * GEMM, and asm/crossentropy.ts turns them into G = softmax - smoothed target in place, a block of rows
 * per pool chunk. Backward, from G where it sits: dhᵀ = gs·op(w)·Gᵀ (D x N, so G is read as the
 * packed B operand and never packed whole) and [h | 1]ᵀ·G (D + 1 x V: dw, or its transpose for a
 * tied weight, and the bias gradient as its last row), each over the pool; only those D x N and
 * (D + 1) x V results come out to JavaScript. Browser-safe.
 */
import type { OutputCeArgs, OutputCeKernel, OutputCeRows } from './fused/output-ce.js';
import { byteRegions } from './memory.js';
import { KIND_CROSS_ENTROPY, type WasmGemm } from './wasm.js';

/** Bytes per row of asm/crossentropy.ts' results (CE_STATS_BYTES). */
const STATS_BYTES = 32;
/** Rows per chunk of the cross-entropy job over the pool. */
const ROWS_PER_CHUNK = 8;
/** Tile of the transposing adds (dh from dhᵀ, a tied dw from its transpose). */
const TILE = 32;

interface Placement {
  id: number;
  /** Byte addresses of [h | 1], w, bias, targets, the logits (then G), the per-row results. */
  h: number;
  w: number;
  bias: number;
  targets: number;
  g: number;
  stats: number;
}

/** The kernel over an engine instance (the shared one: its pool runs the products and the row job). */
export function wasmOutputCe(e: WasmGemm): OutputCeKernel {
  return (args) => {
    const at = place(e, args);
    if (at === null) return null;
    const rows = readRows(e, at, args.n);
    if (rows === null || !args.keep) {
      e.release();
      return rows === null ? null : { ...rows, backward: () => undefined };
    }
    let current = at;
    return {
      ...rows,
      backward(gs, dh, dhFresh, dw, db) {
        // Another op held the block since (a second loss on the tape): G is computed again.
        if (e.heldAt(current.id) < 0) {
          const again = place(e, args);
          if (again === null) throw new Error('outputCrossEntropy: the engine could not hold the logits again for the backward');
          current = again;
        }
        try {
          backward(e, current, args, gs, dh, dhFresh, dw, db);
        } finally {
          e.release();
        }
      },
    };
  };
}

/** Holds the block, writes the operands, computes the logits and runs the row job; null when memory cannot grow. */
function place(e: WasmGemm, a: OutputCeArgs): Placement | null {
  const { n, d, v } = a;
  const counts = [n * (d + 1), d * v, a.bias === null ? 0 : v, n, n * v, (n * STATS_BYTES) / 4];
  const rel = byteRegions(0, counts.map((c) => c * 4));
  const id = e.hold(rel[rel.length - 1] as number);
  if (id < 0) return null;
  const base = e.heldAt(id);
  const [h, w, bias, targets, g, stats] = rel.map((x) => base + x) as [number, number, number, number, number, number];
  const f = e.heapF32;
  for (let r = 0; r < n; r++) {
    const row = (h >> 2) + r * (d + 1);
    f.set(a.h.subarray(r * d, r * d + d), row);
    f[row + d] = 1;
  }
  f.set(a.w.subarray(0, d * v), w >> 2);
  if (a.bias !== null) f.set(a.bias.subarray(0, v), bias >> 2);
  e.heapI32.set(a.targets, targets >> 2);
  // logits (n, v) = h·op(w); the bias comes in the row job (acc + b, the bits of linear's beta = 1 over bias rows).
  const c = e.productAt({ m: n, n: v, k: d, transA: false, transB: a.transposed, a: h, lda: d + 1, b: w, ldb: a.transposed ? d : v, c: g, alpha: 1, beta: 0 });
  if (c < 0) {
    e.release();
    return null;
  }
  const p = e.params >> 2;
  const i32 = e.heapI32;
  const f32 = e.heapF32;
  const per = ROWS_PER_CHUNK;
  [g, v, n, per, targets, a.bias === null ? 0 : bias, stats, a.ignore].forEach((x, i) => (i32[p + 32 + i] = x));
  f32[p + 40] = a.eps / v;
  f32[p + 41] = 1 - a.eps;
  i32[p + 42] = a.eps > 0 ? 1 : 0;
  e.runRows(KIND_CROSS_ENTROPY, Math.ceil(n / per));
  return { id, h, w, bias, targets, g, stats };
}

/** The per-row results of the row job; null when a row's maximum was not finite. */
function readRows(e: WasmGemm, at: Placement, n: number): Omit<OutputCeRows, 'backward'> | null {
  const f64 = new Float64Array(e.heapF32.buffer, at.stats, (n * STATS_BYTES) / 8);
  const f32 = e.heapF32;
  const i32 = e.heapI32;
  const rows = { max: new Float64Array(n), sum: new Float64Array(n), sumX: new Float64Array(n), xt: new Float32Array(n), used: new Uint8Array(n) };
  for (let r = 0; r < n; r++) {
    const word = (at.stats >> 2) + r * (STATS_BYTES / 4);
    const state = i32[word + 7] as number;
    if (state < 0) return null;
    if (state === 0) continue;
    rows.used[r] = 1;
    rows.max[r] = f64[r * 4] as number;
    rows.sum[r] = f64[r * 4 + 1] as number;
    rows.sumX[r] = f64[r * 4 + 2] as number;
    rows.xt[r] = f32[word + 6] as number;
  }
  return rows;
}

function backward(
  e: WasmGemm, at: Placement, a: OutputCeArgs, gs: number,
  dh: Float32Array | null, dhFresh: boolean, dw: Float32Array | null, db: Float32Array | null,
): void {
  const { n, d, v } = a;
  if (dh !== null) {
    // dhᵀ (d, n) = gs·op(w)·Gᵀ: op(w) is (d, v): w itself, or for a tied (v, d) weight its transpose.
    const c = e.productAt({ m: d, n, k: v, transA: a.transposed, transB: true, a: at.w, lda: a.transposed ? d : v, b: at.g, ldb: v, c: null, alpha: gs, beta: 0 });
    if (c < 0) throw new Error('outputCrossEntropy: the engine could not grow its memory for the backward');
    transposedAdd(e.heapF32, c >> 2, d, n, dh, dhFresh);
  }
  if (dw !== null || db !== null) {
    // [h | 1]ᵀ·G (d + 1, v): rows 0..d-1 the weight gradient (stored (d, v); transposed for a tied weight), row d the bias gradient.
    const c = e.productAt({ m: d + 1, n: v, k: n, transA: true, transB: false, a: at.h, lda: d + 1, b: at.g, ldb: v, c: null, alpha: gs, beta: 0 });
    if (c < 0) throw new Error('outputCrossEntropy: the engine could not grow its memory for the backward');
    const f = e.heapF32;
    const src = c >> 2;
    if (dw !== null && !a.transposed) for (let i = 0; i < d * v; i++) dw[i] += f[src + i] as number;
    else if (dw !== null) transposedAdd(f, src, d, v, dw, false);
    if (db !== null) for (let j = 0; j < v; j++) db[j] += f[src + d * v + j] as number;
  }
}

/** dst (cols, rows) += src (rows, cols) transposed (= with `fresh`), in tiles. */
function transposedAdd(f: Float32Array, src: number, rows: number, cols: number, dst: Float32Array, fresh: boolean): void {
  for (let i0 = 0; i0 < rows; i0 += TILE) {
    const i1 = Math.min(rows, i0 + TILE);
    for (let j0 = 0; j0 < cols; j0 += TILE) {
      const j1 = Math.min(cols, j0 + TILE);
      for (let j = j0; j < j1; j++) {
        const o = j * rows;
        if (fresh) for (let i = i0; i < i1; i++) dst[o + i] = f[src + i * cols + j] as number;
        else for (let i = i0; i < i1; i++) dst[o + i] += f[src + i * cols + j] as number;
      }
    }
  }
}
