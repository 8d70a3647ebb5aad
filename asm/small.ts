// Small-M path of the GEMM (matrix-vector and a few rows): B is read in place, not packed.
import { P_TRANS_A, P_TRANS_B, P_M, P_N, P_K, P_A, P_LDA, P_B, P_LDB, P_C, P_LDC, P_ALPHA, P_BETA, P_PACK_A, P_NB, pi, madd } from './common';

// ---------------------------------------------------------------------------------------------
// Small-M path (matrix-vector and a few rows): no packing of B.

/**
 * Gathers alpha * op(A) into contiguous rows (m x k) at P_PACK_A. Runs once per job, before the
 * chunks of KIND_SMALL.
 */
export function prepSmall(params: usize): void {
  const m = pi(params, P_M);
  const k = pi(params, P_K);
  const transA = pi(params, P_TRANS_A);
  const a = <usize>pi(params, P_A);
  const lda = pi(params, P_LDA);
  const dst = <usize>pi(params, P_PACK_A);
  const alpha = load<f32>(params + P_ALPHA);
  const va = f32x4.splat(alpha);
  for (let i = 0; i < m; i++) {
    const d = dst + (<usize>(i * k) << 2);
    if (transA == 0) {
      const s = a + (<usize>(i * lda) << 2);
      let p = 0;
      for (; p + 4 <= k; p += 4) v128.store(d + (<usize>p << 2), f32x4.mul(v128.load(s + (<usize>p << 2)), va));
      for (; p < k; p++) store<f32>(d + (<usize>p << 2), load<f32>(s + (<usize>p << 2)) * alpha);
    } else {
      const s = a + (<usize>i << 2);
      for (let p = 0; p < k; p++) store<f32>(d + (<usize>p << 2), load<f32>(s + (<usize>(p * lda) << 2)) * alpha);
    }
  }
}

@inline function finish(dst: usize, v: f32, beta: f32): void {
  store<f32>(dst, beta == 0 ? v : v + beta * load<f32>(dst));
}

@inline function finishV(dst: usize, v: v128, beta: f32): void {
  v128.store(dst, beta == 0 ? v : madd(v128.load(dst), f32x4.splat(beta), v));
}

/** Horizontal sum of the four lanes. */
@inline function hsum(v: v128): f32 {
  const s = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1);
}

/** Small-M chunk: columns [chunk*nb, +nb) of C for every row. */
export function smallChunk(params: usize, chunk: i32): void {
  const nb = pi(params, P_NB);
  const n = pi(params, P_N);
  const j0 = chunk * nb;
  const j1 = min(n, j0 + nb);
  if (pi(params, P_TRANS_B) == 0) smallRows(params, j0, j1);
  else smallDots(params, j0, j1);
}

/** C[i][j0..j1] for op(B) = B (K x N rows): accumulate rows of B scaled by A[i][p] (4, 2, then 1 rows at a time). */
function smallRows(params: usize, j0: i32, j1: i32): void {
  const m = pi(params, P_M);
  const k = pi(params, P_K);
  const a = <usize>pi(params, P_PACK_A);
  const b = <usize>pi(params, P_B);
  const ldbBytes = <usize>pi(params, P_LDB) << 2;
  const c = <usize>pi(params, P_C);
  const ldc = pi(params, P_LDC);
  const beta = load<f32>(params + P_BETA);
  const kBytes = <usize>k << 2;
  let i = 0;
  const ldcBytes = <usize>ldc << 2;
  for (; i + 4 <= m; i += 4) {
    // 4 rows x 8 columns: each B row segment is loaded once for four rows of A.
    const a0 = a + <usize>i * kBytes;
    const cr = c + (<usize>(i * ldc) << 2);
    let j = j0;
    for (; j + 8 <= j1; j += 8) {
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
      let bp = b + (<usize>j << 2);
      let ap = a0;
      const end = a0 + kBytes;
      while (ap < end) {
        const x0 = v128.load(bp);
        const x1 = v128.load(bp, 16);
        const u0 = v128.load32_splat(ap);
        s00 = madd(u0, x0, s00);
        s01 = madd(u0, x1, s01);
        const u1 = v128.load32_splat(ap + kBytes);
        s10 = madd(u1, x0, s10);
        s11 = madd(u1, x1, s11);
        const u2 = v128.load32_splat(ap + 2 * kBytes);
        s20 = madd(u2, x0, s20);
        s21 = madd(u2, x1, s21);
        const u3 = v128.load32_splat(ap + 3 * kBytes);
        s30 = madd(u3, x0, s30);
        s31 = madd(u3, x1, s31);
        ap += 4;
        bp += ldbBytes;
      }
      const d = cr + (<usize>j << 2);
      finishV(d, s00, beta);
      finishV(d + 16, s01, beta);
      finishV(d + ldcBytes, s10, beta);
      finishV(d + ldcBytes + 16, s11, beta);
      finishV(d + 2 * ldcBytes, s20, beta);
      finishV(d + 2 * ldcBytes + 16, s21, beta);
      finishV(d + 3 * ldcBytes, s30, beta);
      finishV(d + 3 * ldcBytes + 16, s31, beta);
    }
    for (let r = 0; r < 4; r++) rowTail(a0 + <usize>r * kBytes, b, ldbBytes, k, cr + <usize>r * ldcBytes, j, j1, beta);
  }
  for (; i + 2 <= m; i += 2) {
    const a0 = a + <usize>i * kBytes;
    const a1 = a0 + kBytes;
    const cr0 = c + (<usize>(i * ldc) << 2);
    const cr1 = cr0 + (<usize>ldc << 2);
    let j = j0;
    for (; j + 16 <= j1; j += 16) {
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0);
      let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0);
      let bp = b + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        const x0 = v128.load(bp);
        const x1 = v128.load(bp, 16);
        const x2 = v128.load(bp, 32);
        const x3 = v128.load(bp, 48);
        const u = v128.load32_splat(a0 + (<usize>p << 2));
        s00 = madd(u, x0, s00);
        s01 = madd(u, x1, s01);
        s02 = madd(u, x2, s02);
        s03 = madd(u, x3, s03);
        const w = v128.load32_splat(a1 + (<usize>p << 2));
        s10 = madd(w, x0, s10);
        s11 = madd(w, x1, s11);
        s12 = madd(w, x2, s12);
        s13 = madd(w, x3, s13);
        bp += ldbBytes;
      }
      const d0 = cr0 + (<usize>j << 2);
      const d1 = cr1 + (<usize>j << 2);
      finishV(d0, s00, beta);
      finishV(d0 + 16, s01, beta);
      finishV(d0 + 32, s02, beta);
      finishV(d0 + 48, s03, beta);
      finishV(d1, s10, beta);
      finishV(d1 + 16, s11, beta);
      finishV(d1 + 32, s12, beta);
      finishV(d1 + 48, s13, beta);
    }
    rowTail(a0, b, ldbBytes, k, cr0, j, j1, beta);
    rowTail(a1, b, ldbBytes, k, cr1, j, j1, beta);
  }
  for (; i < m; i++) {
    const a0 = a + <usize>i * kBytes;
    const cr = c + (<usize>(i * ldc) << 2);
    let j = j0;
    for (; j + 32 <= j1; j += 32) {
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
      let bp = b + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        const u = v128.load32_splat(a0 + (<usize>p << 2));
        s0 = madd(u, v128.load(bp), s0);
        s1 = madd(u, v128.load(bp, 16), s1);
        s2 = madd(u, v128.load(bp, 32), s2);
        s3 = madd(u, v128.load(bp, 48), s3);
        s4 = madd(u, v128.load(bp, 64), s4);
        s5 = madd(u, v128.load(bp, 80), s5);
        s6 = madd(u, v128.load(bp, 96), s6);
        s7 = madd(u, v128.load(bp, 112), s7);
        bp += ldbBytes;
      }
      const d = cr + (<usize>j << 2);
      finishV(d, s0, beta);
      finishV(d + 16, s1, beta);
      finishV(d + 32, s2, beta);
      finishV(d + 48, s3, beta);
      finishV(d + 64, s4, beta);
      finishV(d + 80, s5, beta);
      finishV(d + 96, s6, beta);
      finishV(d + 112, s7, beta);
    }
    rowTail(a0, b, ldbBytes, k, cr, j, j1, beta);
  }
}

/** Columns [j, j1) of one row: 4-wide vectors, then scalars. */
function rowTail(a0: usize, b: usize, ldbBytes: usize, k: i32, cr: usize, j: i32, j1: i32, beta: f32): void {
  for (; j + 4 <= j1; j += 4) {
    let s = f32x4.splat(0);
    let bp = b + (<usize>j << 2);
    for (let p = 0; p < k; p++) {
      s = madd(v128.load32_splat(a0 + (<usize>p << 2)), v128.load(bp), s);
      bp += ldbBytes;
    }
    finishV(cr + (<usize>j << 2), s, beta);
  }
  for (; j < j1; j++) {
    let s: f32 = 0;
    let bp = b + (<usize>j << 2);
    for (let p = 0; p < k; p++) {
      s += load<f32>(a0 + (<usize>p << 2)) * load<f32>(bp);
      bp += ldbBytes;
    }
    finish(cr + (<usize>j << 2), s, beta);
  }
}

/** C[i][j0..j1] for op(B) = Bᵀ (B stored N x K): dot products of contiguous rows (4, 2, then 1 rows of A at a time). */
function smallDots(params: usize, j0: i32, j1: i32): void {
  const m = pi(params, P_M);
  const k = pi(params, P_K);
  const a = <usize>pi(params, P_PACK_A);
  const b = <usize>pi(params, P_B);
  const ldbBytes = <usize>pi(params, P_LDB) << 2;
  const c = <usize>pi(params, P_C);
  const ldc = pi(params, P_LDC);
  const beta = load<f32>(params + P_BETA);
  const kBytes = <usize>k << 2;
  const k4 = k & ~3;
  let i = 0;
  const ldcBytes = <usize>ldc << 2;
  for (; i + 4 <= m; i += 4) {
    // 4 rows of A x 2 rows of B: each B row is read once for four rows of A.
    const a0 = a + <usize>i * kBytes;
    const a1 = a0 + kBytes;
    const a2 = a1 + kBytes;
    const a3 = a2 + kBytes;
    const cr = c + (<usize>(i * ldc) << 2);
    let j = j0;
    for (; j + 2 <= j1; j += 2) {
      const b0 = b + <usize>j * ldbBytes;
      const b1 = b0 + ldbBytes;
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s10 = f32x4.splat(0), s11 = f32x4.splat(0);
      let s20 = f32x4.splat(0), s21 = f32x4.splat(0), s30 = f32x4.splat(0), s31 = f32x4.splat(0);
      for (let q: usize = 0; q < (<usize>k4 << 2); q += 16) {
        const x0 = v128.load(b0 + q);
        const x1 = v128.load(b1 + q);
        const u0 = v128.load(a0 + q);
        s00 = madd(u0, x0, s00);
        s01 = madd(u0, x1, s01);
        const u1 = v128.load(a1 + q);
        s10 = madd(u1, x0, s10);
        s11 = madd(u1, x1, s11);
        const u2 = v128.load(a2 + q);
        s20 = madd(u2, x0, s20);
        s21 = madd(u2, x1, s21);
        const u3 = v128.load(a3 + q);
        s30 = madd(u3, x0, s30);
        s31 = madd(u3, x1, s31);
      }
      const r0 = reduce4(s00, s10, s20, s30);
      const r1 = reduce4(s01, s11, s21, s31);
      const d = cr + (<usize>j << 2);
      finish(d, f32x4.extract_lane(r0, 0) + tailDot(a0, b0, k4, k), beta);
      finish(d + 4, f32x4.extract_lane(r1, 0) + tailDot(a0, b1, k4, k), beta);
      finish(d + ldcBytes, f32x4.extract_lane(r0, 1) + tailDot(a1, b0, k4, k), beta);
      finish(d + ldcBytes + 4, f32x4.extract_lane(r1, 1) + tailDot(a1, b1, k4, k), beta);
      finish(d + 2 * ldcBytes, f32x4.extract_lane(r0, 2) + tailDot(a2, b0, k4, k), beta);
      finish(d + 2 * ldcBytes + 4, f32x4.extract_lane(r1, 2) + tailDot(a2, b1, k4, k), beta);
      finish(d + 3 * ldcBytes, f32x4.extract_lane(r0, 3) + tailDot(a3, b0, k4, k), beta);
      finish(d + 3 * ldcBytes + 4, f32x4.extract_lane(r1, 3) + tailDot(a3, b1, k4, k), beta);
    }
    for (; j < j1; j++) {
      const bj = b + <usize>j * ldbBytes;
      const d = cr + (<usize>j << 2);
      finish(d, dot(a0, bj, k), beta);
      finish(d + ldcBytes, dot(a1, bj, k), beta);
      finish(d + 2 * ldcBytes, dot(a2, bj, k), beta);
      finish(d + 3 * ldcBytes, dot(a3, bj, k), beta);
    }
  }
  for (; i + 2 <= m; i += 2) {
    const a0 = a + <usize>i * kBytes;
    const a1 = a0 + kBytes;
    const cr0 = c + (<usize>(i * ldc) << 2);
    const cr1 = cr0 + (<usize>ldc << 2);
    let j = j0;
    for (; j + 4 <= j1; j += 4) {
      const b0 = b + <usize>j * ldbBytes;
      const b1 = b0 + ldbBytes;
      const b2 = b1 + ldbBytes;
      const b3 = b2 + ldbBytes;
      let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0);
      let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0);
      for (let q: usize = 0; q < (<usize>k4 << 2); q += 16) {
        const u = v128.load(a0 + q);
        const w = v128.load(a1 + q);
        const x0 = v128.load(b0 + q);
        const x1 = v128.load(b1 + q);
        s00 = madd(u, x0, s00);
        s10 = madd(w, x0, s10);
        s01 = madd(u, x1, s01);
        s11 = madd(w, x1, s11);
        const x2 = v128.load(b2 + q);
        const x3 = v128.load(b3 + q);
        s02 = madd(u, x2, s02);
        s12 = madd(w, x2, s12);
        s03 = madd(u, x3, s03);
        s13 = madd(w, x3, s13);
      }
      const r0 = reduce4(s00, s01, s02, s03);
      const r1 = reduce4(s10, s11, s12, s13);
      const t0 = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(r0, 0,
        f32x4.extract_lane(r0, 0) + tailDot(a0, b0, k4, k)), 1,
        f32x4.extract_lane(r0, 1) + tailDot(a0, b1, k4, k)), 2,
        f32x4.extract_lane(r0, 2) + tailDot(a0, b2, k4, k)), 3,
        f32x4.extract_lane(r0, 3) + tailDot(a0, b3, k4, k));
      const t1 = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(r1, 0,
        f32x4.extract_lane(r1, 0) + tailDot(a1, b0, k4, k)), 1,
        f32x4.extract_lane(r1, 1) + tailDot(a1, b1, k4, k)), 2,
        f32x4.extract_lane(r1, 2) + tailDot(a1, b2, k4, k)), 3,
        f32x4.extract_lane(r1, 3) + tailDot(a1, b3, k4, k));
      finishV(cr0 + (<usize>j << 2), t0, beta);
      finishV(cr1 + (<usize>j << 2), t1, beta);
    }
    for (; j < j1; j++) {
      const bj = b + <usize>j * ldbBytes;
      finish(cr0 + (<usize>j << 2), dot(a0, bj, k), beta);
      finish(cr1 + (<usize>j << 2), dot(a1, bj, k), beta);
    }
  }
  for (; i < m; i++) {
    const a0 = a + <usize>i * kBytes;
    const cr = c + (<usize>(i * ldc) << 2);
    let j = j0;
    for (; j + 4 <= j1; j += 4) {
      const b0 = b + <usize>j * ldbBytes;
      const b1 = b0 + ldbBytes;
      const b2 = b1 + ldbBytes;
      const b3 = b2 + ldbBytes;
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let t0 = f32x4.splat(0), t1 = f32x4.splat(0), t2 = f32x4.splat(0), t3 = f32x4.splat(0);
      let q: usize = 0;
      const kb = <usize>k4 << 2;
      for (; q + 32 <= kb; q += 32) {
        const u = v128.load(a0 + q);
        const w = v128.load(a0 + q, 16);
        s0 = madd(u, v128.load(b0 + q), s0);
        s1 = madd(u, v128.load(b1 + q), s1);
        s2 = madd(u, v128.load(b2 + q), s2);
        s3 = madd(u, v128.load(b3 + q), s3);
        t0 = madd(w, v128.load(b0 + q, 16), t0);
        t1 = madd(w, v128.load(b1 + q, 16), t1);
        t2 = madd(w, v128.load(b2 + q, 16), t2);
        t3 = madd(w, v128.load(b3 + q, 16), t3);
      }
      for (; q < kb; q += 16) {
        const u = v128.load(a0 + q);
        s0 = madd(u, v128.load(b0 + q), s0);
        s1 = madd(u, v128.load(b1 + q), s1);
        s2 = madd(u, v128.load(b2 + q), s2);
        s3 = madd(u, v128.load(b3 + q), s3);
      }
      const r = reduce4(f32x4.add(s0, t0), f32x4.add(s1, t1), f32x4.add(s2, t2), f32x4.add(s3, t3));
      const t = f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(r, 0,
        f32x4.extract_lane(r, 0) + tailDot(a0, b0, k4, k)), 1,
        f32x4.extract_lane(r, 1) + tailDot(a0, b1, k4, k)), 2,
        f32x4.extract_lane(r, 2) + tailDot(a0, b2, k4, k)), 3,
        f32x4.extract_lane(r, 3) + tailDot(a0, b3, k4, k));
      finishV(cr + (<usize>j << 2), t, beta);
    }
    for (; j < j1; j++) finish(cr + (<usize>j << 2), dot(a0, b + <usize>j * ldbBytes, k), beta);
  }
}

/** Lane r of the result is the sum of the lanes of input r. */
@inline function reduce4(x0: v128, x1: v128, x2: v128, x3: v128): v128 {
  const u0 = f32x4.add(v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), v128.shuffle<f32>(x0, x1, 2, 6, 3, 7));
  const u1 = f32x4.add(v128.shuffle<f32>(x2, x3, 0, 4, 1, 5), v128.shuffle<f32>(x2, x3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f64>(u0, u1, 0, 2), v128.shuffle<f64>(u0, u1, 1, 3));
}

@inline function tailDot(x: usize, y: usize, from: i32, k: i32): f32 {
  let s: f32 = 0;
  for (let p = from; p < k; p++) s += load<f32>(x + (<usize>p << 2)) * load<f32>(y + (<usize>p << 2));
  return s;
}

function dot(x: usize, y: usize, k: i32): f32 {
  const k4 = k & ~3;
  let s = f32x4.splat(0);
  for (let q: usize = 0; q < (<usize>k4 << 2); q += 16) s = madd(v128.load(x + q), v128.load(y + q), s);
  return hsum(s) + tailDot(x, y, k4, k);
}
