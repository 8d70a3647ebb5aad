// Int8 GEMM for decoding with quantized weights (src/engine/int8.ts loads it; build/int8-*.wasm).
//
//   C (m x n) = beta * C + dequant(Xq) · dequant(Wq)ᵀ
//
// Weights W (n rows x kp values, K padded to a multiple of 16 with zeros) are int8 in [-127, 127] with
// one float scale per row (output unit) and the row's integer sum. Rows come in groups of four (np is a
// multiple of 4), interleaved by 16 values (`weightAt`), so a group's four rows are read as one stream
// (1.4-1.5x faster at batch 1 than four rows side by side). Activations X are quantized here,
// per row, to 7 unsigned bits with a zero point: x ≈ s·(q - z), q in [0, 127]. One output is then
//
//   C[i][j] = s_i · ws_j · (Σ_k q_ik · w_jk  -  z_i · Σ_k w_jk)
//
// where the sum is exact in i32 (|Σ| <= K·127·127). Built twice from this file (and each again for shared
// memory, the -mt builds whose `run` jobs the engine's worker pool takes, see the end of this file):
//   plain SIMD    8 values at a time widened to i16 as they are loaded (v128.load8x8_s/_u, one
//                 instruction each), then i32x4.dot_i16x8_s: 8 products per instruction (i16x8.extmul
//                 on 16 bytes costs about as many instructions per product as the float32 kernel)
//   relaxed SIMD  16 values at a time, i32x4.relaxed_dot_i8x16_i7x16_add_s: 16 products per
//                 instruction (its second operand must be 7-bit, which q is)
// Both read the same layout (one byte per value) and compute the same integers, and the float steps around them use the same (non-relaxed)
// instructions, so both builds give bit-identical C. The loader checks that on the running host
// before it trusts the relaxed build (V8 may lower relaxed instructions differently from the spec).

import { greedyRows } from './greedy';

export function heapBase(): usize {
  return __heap_base;
}

/** Bytes per weight and per quantized activation (the same layout in both builds). */
export function valueBytes(): i32 {
  return 1;
}

/** Values per step of the inner loop. */
// @ts-ignore: decorator
@inline const STEP: i32 = ASC_FEATURE_RELAXED_SIMD ? 16 : 8;

/** A step of quantized activations (unsigned 7-bit): 16 bytes, or 8 widened to i16. */
@inline function loadQ(ptr: usize): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return v128.load(ptr);
  return v128.load8x8_u(ptr);
}

/** A step of int8 weights: 16 bytes, or 8 sign-extended to i16. */
@inline function loadW(ptr: usize): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return v128.load(ptr);
  return v128.load8x8_s(ptr);
}

/**
 * Address of the `STEP` weights from value p (a multiple of STEP) of row r (0-3) of the group of four rows at
 * g: the group holds, for each 16 values of K, 16 of row 0, then of rows 1, 2 and 3 (src/engine/int8.ts writeWeight).
 */
@inline function weightAt(g: usize, p: i32, r: i32): usize {
  return g + (<usize>(p >> 4) << 6) + <usize>(r << 4) + <usize>(p & 15);
}

/** Horizontal sums of four i32x4 accumulators: [Σa0, Σa1, Σa2, Σa3]. */
@inline function sum4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const s01 = i32x4.add(v128.shuffle<i32>(a0, a1, 0, 4, 1, 5), v128.shuffle<i32>(a0, a1, 2, 6, 3, 7));
  const s23 = i32x4.add(v128.shuffle<i32>(a2, a3, 0, 4, 1, 5), v128.shuffle<i32>(a2, a3, 2, 6, 3, 7));
  return i32x4.add(v128.shuffle<i32>(s01, s23, 0, 1, 4, 5), v128.shuffle<i32>(s01, s23, 2, 3, 6, 7));
}

/** acc + the products w·q of one step (16 int8, or 8 widened to i16) summed into four i32 lanes. */
@inline function dot(acc: v128, w: v128, q: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    // The i16 dot (pmaddubsw on x64) then pairs summed into i32: no pair sum saturates (|q·w + q·w| <=
    // 2·127·127 < 2^15) and q is 7-bit, so every implementation gives the exact sums. (Node 20's V8
    // returns twice the sum from the fused i32x4.relaxed_dot_i8x16_i7x16_add_s, which the self-test caught.)
    return i32x4.add(acc, i32x4.extadd_pairwise_i16x8_s(i16x8.relaxed_dot_i8x16_i7x16_s(w, q)));
  } else {
    return i32x4.add(acc, i32x4.dot_i16x8_s(w, q));
  }
}

/**
 * Quantizes m rows of x (floats, stride kp, zero padded past K) to q (stride kp values): per row the
 * range [min(0, min x), max(0, max x)] is mapped onto [0, 127]; scales[i] = step, zeros[i] = z.
 */
export function quantizeRows(x: usize, m: i32, kp: i32, q: usize, scales: usize, zeros: usize): void {
  for (let i = 0; i < m; i++) {
    const row = x + (<usize>(i * kp) << 2);
    let vmin = f32x4.splat(0);
    let vmax = f32x4.splat(0);
    for (let p = 0; p < kp; p += 4) {
      const v = v128.load(row + (<usize>p << 2));
      vmin = f32x4.min(vmin, v);
      vmax = f32x4.max(vmax, v);
    }
    const lo = min(min(f32x4.extract_lane(vmin, 0), f32x4.extract_lane(vmin, 1)), min(f32x4.extract_lane(vmin, 2), f32x4.extract_lane(vmin, 3)));
    const hi = max(max(f32x4.extract_lane(vmax, 0), f32x4.extract_lane(vmax, 1)), max(f32x4.extract_lane(vmax, 2), f32x4.extract_lane(vmax, 3)));
    let step: f32 = (hi - lo) / 127;
    if (!(step > 0) || !isFinite(step)) step = 1;
    const inv: f32 = 1 / step;
    const z: f32 = min<f32>(127, max<f32>(0, nearest<f32>(-lo * inv)));
    store<f32>(scales + (<usize>i << 2), step);
    store<i32>(zeros + (<usize>i << 2), <i32>z);
    const vinv = f32x4.splat(inv);
    const vz = f32x4.splat(z);
    const v0 = f32x4.splat(0);
    const v127 = f32x4.splat(127);
    const dst = q + <usize>(i * kp);
    for (let p = 0; p < kp; p += 16) {
      const s = row + (<usize>p << 2);
      const c0 = i32x4.trunc_sat_f32x4_s(f32x4.min(v127, f32x4.max(v0, f32x4.add(f32x4.nearest(f32x4.mul(v128.load(s), vinv)), vz))));
      const c1 = i32x4.trunc_sat_f32x4_s(f32x4.min(v127, f32x4.max(v0, f32x4.add(f32x4.nearest(f32x4.mul(v128.load(s, 16), vinv)), vz))));
      const c2 = i32x4.trunc_sat_f32x4_s(f32x4.min(v127, f32x4.max(v0, f32x4.add(f32x4.nearest(f32x4.mul(v128.load(s, 32), vinv)), vz))));
      const c3 = i32x4.trunc_sat_f32x4_s(f32x4.min(v127, f32x4.max(v0, f32x4.add(f32x4.nearest(f32x4.mul(v128.load(s, 48), vinv)), vz))));
      v128.store(dst + <usize>p, i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_s(c0, c1), i16x8.narrow_i32x4_s(c2, c3)));
    }
  }
}

/** Writes four outputs of one row: C = beta·old + s·ws·(acc - z·wsum), old the four floats at `old` (C itself, or the bias row's). */
@inline function finish(c: usize, acc: v128, s: f32, z: i32, ws: usize, wsum: usize, beta: f32, old: usize): void {
  const v = f32x4.mul(
    f32x4.convert_i32x4_s(i32x4.sub(acc, i32x4.mul(i32x4.splat(z), v128.load(wsum)))),
    f32x4.mul(f32x4.splat(s), v128.load(ws)),
  );
  v128.store(c, beta == 0 ? v : f32x4.add(v, f32x4.mul(f32x4.splat(beta), v128.load(old))));
}

/**
 * C (m x np floats, stride np) = beta·C + the int8 products of the quantized rows q (m x kp, with
 * scales xs and zero points xz) and the weight rows w (np x kp in groups of four, `weightAt`; scales ws,
 * row sums wsum); np and kp are multiples of 4 and 16.
 */
export function gemmInt8(
  q: usize, xs: usize, xz: usize, m: i32, kp: i32, w: usize, ws: usize, wsum: usize, np: i32, c: usize, beta: f32,
): void {
  gemmColumns(q, xs, xz, m, kp, w, ws, wsum, np, c, beta, 0, np, 0);
}

/**
 * `gemmInt8` with beta 1 and every row of C's old contents taken from the one row of np floats at `bias`
 * (C is only written): the bits of gemmInt8 on C filled with the bias rows, without writing them first.
 */
export function gemmInt8Bias(
  q: usize, xs: usize, xz: usize, m: i32, kp: i32, w: usize, ws: usize, wsum: usize, np: i32, c: usize, bias: usize,
): void {
  gemmColumns(q, xs, xz, m, kp, w, ws, wsum, np, c, 1, 0, np, bias);
}

/**
 * The output units [j0, j1) (multiples of 4) of `gemmInt8`, for every row. Each output is computed
 * the same way whatever the range (its exact i32 sum, then the same float steps), so splitting the
 * units (or rows) across calls or threads gives bit-identical C. Weight rows go in blocks that stay
 * in L1 while every row pair uses them. With `bias` (not 0), C's old rows are all the row of np floats there.
 */
function gemmColumns(
  q: usize, xs: usize, xz: usize, m: i32, kp: i32, w: usize, ws: usize, wsum: usize, np: i32, c: usize, beta: f32, j0: i32, j1: i32, bias: usize,
): void {
  const rb = kp; // bytes per row
  const block = max(4, (16384 / rb) & ~3);
  for (let jb = j0; jb < j1; jb += block) {
    const je = min(j1, jb + block);
    let i = 0;
    for (; i + 2 <= m; i += 2) {
      const q0 = q + <usize>(i * rb);
      const q1 = q0 + <usize>rb;
      for (let j = jb; j < je; j += 4) {
        const g = w + <usize>(j * rb);
        let a00 = i32x4.splat(0), a01 = i32x4.splat(0), a02 = i32x4.splat(0), a03 = i32x4.splat(0);
        let a10 = i32x4.splat(0), a11 = i32x4.splat(0), a12 = i32x4.splat(0), a13 = i32x4.splat(0);
        for (let p = 0; p < rb; p += STEP) {
          const x0 = loadQ(q0 + <usize>p);
          const x1 = loadQ(q1 + <usize>p);
          const at = weightAt(g, p, 0);
          let b = loadW(at);
          a00 = dot(a00, b, x0);
          a10 = dot(a10, b, x1);
          b = loadW(at + 16);
          a01 = dot(a01, b, x0);
          a11 = dot(a11, b, x1);
          b = loadW(at + 32);
          a02 = dot(a02, b, x0);
          a12 = dot(a12, b, x1);
          b = loadW(at + 48);
          a03 = dot(a03, b, x0);
          a13 = dot(a13, b, x1);
        }
        const jo = <usize>j << 2;
        const c0 = c + (<usize>(i * np) << 2) + jo;
        const c1 = c0 + (<usize>np << 2);
        finish(c0, sum4(a00, a01, a02, a03), load<f32>(xs + (<usize>i << 2)), load<i32>(xz + (<usize>i << 2)), ws + jo, wsum + jo, beta, bias != 0 ? bias + jo : c0);
        finish(c1, sum4(a10, a11, a12, a13), load<f32>(xs + (<usize>(i + 1) << 2)), load<i32>(xz + (<usize>(i + 1) << 2)), ws + jo, wsum + jo, beta, bias != 0 ? bias + jo : c1);
      }
    }
    if (i < m) {
      const q0 = q + <usize>(i * rb);
      for (let j = jb; j < je; j += 4) {
        const g = w + <usize>(j * rb);
        let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
        for (let p = 0; p < rb; p += STEP) {
          const x0 = loadQ(q0 + <usize>p);
          const at = weightAt(g, p, 0);
          a0 = dot(a0, loadW(at), x0);
          a1 = dot(a1, loadW(at + 16), x0);
          a2 = dot(a2, loadW(at + 32), x0);
          a3 = dot(a3, loadW(at + 48), x0);
        }
        const jo = <usize>j << 2;
        const c0 = c + (<usize>(i * np) << 2) + jo;
        finish(c0, sum4(a0, a1, a2, a3), load<f32>(xs + (<usize>i << 2)), load<i32>(xz + (<usize>i << 2)), ws + jo, wsum + jo, beta, bias != 0 ? bias + jo : c0);
      }
    }
  }
}

/**
 * Greedy decoding's pick (asm/greedy.ts, the float module's kernel) over the m rows of d logits at ptr that
 * gemmInt8Bias wrote in this instance's memory (the one-thread instance: no copy of the logits out).
 */
export function greedyPick(ptr: usize, m: i32, d: i32, skip0: i32, skip1: i32, logD: f64, out: usize): void {
  greedyRows(ptr, 0, m, d, skip0, skip1, logD, out);
}

// ---- jobs on the engine's worker pool ----------------------------------------------------------------
// The -mt builds (shared memory) run on the float GEMM's worker threads (src/engine/pool.ts): the pool
// calls `run(kind, params, chunk, scratch)` of this module for the kinds below (src/engine/int8.ts
// `withInt8Jobs`), and the float module's `run` for the others. Chunks of a job write disjoint rows
// (quantization) or output units (product).

export const KIND_INT8_QUANTIZE: i32 = 16;
export const KIND_INT8_GEMM: i32 = 17;

// Parameter block of a job (byte offsets; i32 unless noted), written by src/engine/int8.ts.
const J_X = 0; // float rows of A (m x kp)
const J_Q = 4; // quantized rows (m x kp bytes)
const J_XS = 8;
const J_XZ = 12;
const J_M = 16;
const J_KP = 20;
const J_W = 24;
const J_WS = 28;
const J_WSUM = 32;
const J_NP = 36;
const J_C = 40;
const J_BETA = 44; // f32
const J_ROWS = 48; // rows per quantization chunk
const J_COLS = 52; // output units per product chunk (multiple of 4)
const J_BIAS = 56; // 0, or one row of np floats taken as every row of C's old contents (beta 1)

/** Runs chunk `chunk` of an int8 job (`scratch` is unused: the kernels need none). */
export function run(kind: i32, params: usize, chunk: i32, scratch: usize): void {
  const m = load<i32>(params + J_M);
  const kp = load<i32>(params + J_KP);
  const q = <usize>load<i32>(params + J_Q);
  const xs = <usize>load<i32>(params + J_XS);
  const xz = <usize>load<i32>(params + J_XZ);
  if (kind == KIND_INT8_QUANTIZE) {
    const rows = load<i32>(params + J_ROWS);
    const i0 = chunk * rows;
    const i1 = min(m, i0 + rows);
    const x = <usize>load<i32>(params + J_X);
    quantizeRows(x + (<usize>(i0 * kp) << 2), i1 - i0, kp, q + <usize>(i0 * kp), xs + (<usize>i0 << 2), xz + (<usize>i0 << 2));
  } else if (kind == KIND_INT8_GEMM) {
    const np = load<i32>(params + J_NP);
    const cols = load<i32>(params + J_COLS);
    const j0 = chunk * cols;
    const w = <usize>load<i32>(params + J_W);
    const ws = <usize>load<i32>(params + J_WS);
    const wsum = <usize>load<i32>(params + J_WSUM);
    const c = <usize>load<i32>(params + J_C);
    gemmColumns(q, xs, xz, m, kp, w, ws, wsum, np, c, load<f32>(params + J_BETA), j0, min(np, j0 + cols), <usize>load<i32>(params + J_BIAS));
  } else {
    unreachable();
  }
}
