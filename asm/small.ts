// Small-M path of the GEMM (matrix-vector and a few rows): B is not packed. For op(B) = B the rows of
// B are streamed and added to C (on one thread the caller copies B in blocks that stay in cache);
// for op(B) = Bᵀ each element of C is a dot product of contiguous rows.
import { P_TRANS_A, P_TRANS_B, P_M, P_N, P_K, P_A, P_LDA, P_B, P_LDB, P_C, P_LDC, P_ALPHA, P_BETA, P_PACK_A, P_NB, P_B_PANELS, pi, madd } from './common';

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
  if (pi(params, P_B_PANELS) != 0) {
    smallPanels(params, j0 >> 4, (j1 + 15) >> 4);
  } else if (pi(params, P_TRANS_B) == 0) {
    initRows(params, j0, j1);
    accumRows(params, 0, pi(params, P_K), <usize>pi(params, P_B), pi(params, P_LDB), j0, j1);
  } else {
    const ldb = pi(params, P_LDB);
    smallDots(params, j0, j1, <usize>pi(params, P_B) + (<usize>(j0 * ldb) << 2), ldb);
  }
}

/**
 * Starts C[i][j0..j1) for every row: beta * C, or 0 when beta = 0 (old contents, NaN included,
 * ignored). The rows of B are then added one after another (`accumRows`), so each element is summed
 * in the order p = 0, 1, ... however the columns and rows of B are split into calls.
 */
function initRows(params: usize, j0: i32, j1: i32): void {
  const m = pi(params, P_M);
  const c = <usize>pi(params, P_C);
  const ldc = pi(params, P_LDC);
  const beta = load<f32>(params + P_BETA);
  const vb = f32x4.splat(beta);
  for (let i = 0; i < m; i++) {
    const row = c + (<usize>(i * ldc) << 2);
    let j = j0;
    if (beta == 0) {
      for (; j + 4 <= j1; j += 4) v128.store(row + (<usize>j << 2), f32x4.splat(0));
      for (; j < j1; j++) store<f32>(row + (<usize>j << 2), 0);
    } else {
      for (; j + 4 <= j1; j += 4) v128.store(row + (<usize>j << 2), f32x4.mul(v128.load(row + (<usize>j << 2)), vb));
      for (; j < j1; j++) store<f32>(row + (<usize>j << 2), load<f32>(row + (<usize>j << 2)) * beta);
    }
  }
}

/** Columns per inner sweep of `accumRows`: four rows of B over them (8 KiB) stay in L1. */
const JB: i32 = 512;

/**
 * C[i][j0..j1) += sum over p in [p0, p1) of alpha*A[i][p] * B[p][j], for every row i, where row p of
 * B starts at b + (p - p0) * ldb floats. Rows of B are streamed in order (prefetch-friendly), four
 * at a time, each loaded once per JB columns for all rows of A.
 */
function accumRows(params: usize, p0: i32, p1: i32, b: usize, ldb: i32, j0: i32, j1: i32): void {
  const m = pi(params, P_M);
  const k = pi(params, P_K);
  const a = <usize>pi(params, P_PACK_A);
  const c = <usize>pi(params, P_C);
  const ldcBytes = <usize>pi(params, P_LDC) << 2;
  const kBytes = <usize>k << 2;
  const ldbBytes = <usize>ldb << 2;
  let p = p0;
  for (; p + 4 <= p1; p += 4) {
    const b0 = b + <usize>(p - p0) * ldbBytes;
    const b1 = b0 + ldbBytes;
    const b2 = b1 + ldbBytes;
    const b3 = b2 + ldbBytes;
    for (let jb = j0; jb < j1; jb += JB) {
      const je = min(j1, jb + JB);
      for (let i = 0; i < m; i++) {
        const ai = a + <usize>i * kBytes + (<usize>p << 2);
        const u0 = v128.load32_splat(ai);
        const u1 = v128.load32_splat(ai, 4);
        const u2 = v128.load32_splat(ai, 8);
        const u3 = v128.load32_splat(ai, 12);
        const row = c + <usize>i * ldcBytes;
        let j = jb;
        for (; j + 8 <= je; j += 8) {
          const q = <usize>j << 2;
          let x = v128.load(row + q);
          let y = v128.load(row + q, 16);
          x = madd(u0, v128.load(b0 + q), x);
          y = madd(u0, v128.load(b0 + q, 16), y);
          x = madd(u1, v128.load(b1 + q), x);
          y = madd(u1, v128.load(b1 + q, 16), y);
          x = madd(u2, v128.load(b2 + q), x);
          y = madd(u2, v128.load(b2 + q, 16), y);
          x = madd(u3, v128.load(b3 + q), x);
          y = madd(u3, v128.load(b3 + q, 16), y);
          v128.store(row + q, x);
          v128.store(row + q, y, 16);
        }
        for (; j + 4 <= je; j += 4) {
          const q = <usize>j << 2;
          let x = v128.load(row + q);
          x = madd(u0, v128.load(b0 + q), x);
          x = madd(u1, v128.load(b1 + q), x);
          x = madd(u2, v128.load(b2 + q), x);
          x = madd(u3, v128.load(b3 + q), x);
          v128.store(row + q, x);
        }
        for (; j < je; j++) {
          const q = <usize>j << 2;
          let x = load<f32>(row + q);
          x += f32x4.extract_lane(u0, 0) * load<f32>(b0 + q);
          x += f32x4.extract_lane(u1, 0) * load<f32>(b1 + q);
          x += f32x4.extract_lane(u2, 0) * load<f32>(b2 + q);
          x += f32x4.extract_lane(u3, 0) * load<f32>(b3 + q);
          store<f32>(row + q, x);
        }
      }
    }
  }
  for (; p < p1; p++) {
    const bp = b + <usize>(p - p0) * ldbBytes;
    for (let i = 0; i < m; i++) {
      const av = load<f32>(a + <usize>i * kBytes + (<usize>p << 2));
      const u = f32x4.splat(av);
      const row = c + <usize>i * ldcBytes;
      let j = j0;
      for (; j + 4 <= j1; j += 4) {
        const q = <usize>j << 2;
        v128.store(row + q, madd(u, v128.load(bp + q), v128.load(row + q)));
      }
      for (; j < j1; j++) {
        const q = <usize>j << 2;
        store<f32>(row + q, load<f32>(row + q) + av * load<f32>(bp + q));
      }
    }
  }
}

/** Columns per panel of a B in the panel layout (`smallPanels`; src/engine/wasm.ts writes it). */
export const PANEL_W: i32 = 16;

/**
 * Small-M path, op(B) = B, with B in the panel layout: panel t holds columns [16t, 16t + 16) of all K
 * rows, K x 16 floats contiguous (zeros past N), at P_B + t * K * 64 bytes. Writes C[i][16·t0, 16·t1)
 * for every row i, each element summed as `initRows` and `accumRows` sum it (beta·C, or 0 when beta
 * = 0, then one madd per p in order; the last N mod 4 columns of C by scalar multiply and add), so C
 * has the bits of the row-major path. The panels are read front to back: from L3 or memory this is
 * up to twice as fast as the row-major sweep, which reads four rows of B at strides of N floats.
 */
export function smallPanels(params: usize, t0: i32, t1: i32): void {
  const m = pi(params, P_M);
  const n = pi(params, P_N);
  const k = pi(params, P_K);
  const a = <usize>pi(params, P_PACK_A);
  const b = <usize>pi(params, P_B);
  const c = <usize>pi(params, P_C);
  const ldcBytes = <usize>pi(params, P_LDC) << 2;
  const beta = load<f32>(params + P_BETA);
  const vb = f32x4.splat(beta);
  const kBytes = <usize>k << 2;
  const panelBytes = <usize>k << 6;
  const n4 = n & ~3;
  for (let t = t0; t < t1; t++) {
    const j = t << 4;
    const pb = b + <usize>t * panelBytes;
    for (let i = 0; i < m; i++) {
      const row = c + <usize>i * ldcBytes + (<usize>j << 2);
      const ai = a + <usize>i * kBytes;
      if (j + 16 > n4) {
        panelEdge(ai, pb, k, row, j, n, n4, beta);
        continue;
      }
      let x0 = f32x4.splat(0);
      let x1 = f32x4.splat(0);
      let x2 = f32x4.splat(0);
      let x3 = f32x4.splat(0);
      if (beta != 0) {
        x0 = f32x4.mul(v128.load(row), vb);
        x1 = f32x4.mul(v128.load(row, 16), vb);
        x2 = f32x4.mul(v128.load(row, 32), vb);
        x3 = f32x4.mul(v128.load(row, 48), vb);
      }
      let r = pb;
      for (let q: usize = 0; q < kBytes; q += 4) {
        const u = v128.load32_splat(ai + q);
        x0 = madd(u, v128.load(r), x0);
        x1 = madd(u, v128.load(r, 16), x1);
        x2 = madd(u, v128.load(r, 32), x2);
        x3 = madd(u, v128.load(r, 48), x3);
        r += 64;
      }
      v128.store(row, x0);
      v128.store(row, x1, 16);
      v128.store(row, x2, 32);
      v128.store(row, x3, 48);
    }
  }
}

/**
 * Lays out the K x N row-major floats at `src` (row stride N) in the panel layout of `smallPanels` at `dst`
 * (panel t: columns [16t, 16t + 16) of all K rows, contiguous, zeros past N). `dst` must not overlap `src`.
 */
export function panelize(src: usize, dst: usize, k: i32, n: i32): void {
  const rowBytes = <usize>n << 2;
  const full = n >> 4;
  let d = dst;
  for (let t = 0; t < full; t++) {
    let s = src + (<usize>t << 6);
    for (let p = 0; p < k; p++) {
      v128.store(d, v128.load(s));
      v128.store(d, v128.load(s, 16), 16);
      v128.store(d, v128.load(s, 32), 32);
      v128.store(d, v128.load(s, 48), 48);
      s += rowBytes;
      d += 64;
    }
  }
  const w = n - (full << 4);
  if (w == 0) return;
  let s = src + (<usize>full << 6);
  for (let p = 0; p < k; p++) {
    v128.store(d, f32x4.splat(0));
    v128.store(d, f32x4.splat(0), 16);
    v128.store(d, f32x4.splat(0), 32);
    v128.store(d, f32x4.splat(0), 48);
    for (let l = 0; l < w; l++) store<f32>(d + (<usize>l << 2), load<f32>(s + (<usize>l << 2)));
    s += rowBytes;
    d += 64;
  }
}

/**
 * The last panel of `smallPanels` (columns [j, min(j + 16, n)) of one row of C at `row`, A's row at
 * `ai`), when it reaches past n4 = n rounded down to 4: whole groups of four columns in vector lanes,
 * the columns from n4 on one by one (scalar multiply and add, as `accumRows` sums them).
 */
function panelEdge(ai: usize, pb: usize, k: i32, row: usize, j: i32, n: i32, n4: i32, beta: f32): void {
  const kBytes = <usize>k << 2;
  const vb = f32x4.splat(beta);
  let col = j;
  for (; col + 4 <= n4 && col < j + 16; col += 4) {
    const o = <usize>(col - j) << 2;
    const d = row + o;
    let x = beta == 0 ? f32x4.splat(0) : f32x4.mul(v128.load(d), vb);
    let r = pb + o;
    for (let q: usize = 0; q < kBytes; q += 4) {
      x = madd(v128.load32_splat(ai + q), v128.load(r), x);
      r += 64;
    }
    v128.store(d, x);
  }
  for (; col < n && col < j + 16; col++) {
    const o = <usize>(col - j) << 2;
    const d = row + o;
    let x: f32 = beta == 0 ? 0 : load<f32>(d) * beta;
    let r = pb + o;
    for (let q: usize = 0; q < kBytes; q += 4) {
      x += load<f32>(ai + q) * load<f32>(r);
      r += 64;
    }
    store<f32>(d, x);
  }
}

/** Small-M path, op(B) = B, all of C at once: C = beta * C (or 0) before the first `smallStream`. */
export function smallInit(params: usize): void {
  initRows(params, 0, pi(params, P_N));
}

/**
 * Small-M path, op(B) = B: adds rows [p0, p1) of B, copied by the caller to `b` with row stride
 * `ldb`, to all of C. The caller streams B through a small buffer that stays in cache.
 */
export function smallStream(params: usize, p0: i32, p1: i32, b: usize, ldb: i32): void {
  accumRows(params, p0, p1, b, ldb, 0, pi(params, P_N));
}

/**
 * Small-M path, op(B) = Bᵀ: C[i][j0..j1) from rows j0..j1 of B (stored N x K), row j0 at `b`, row
 * stride `ldb`; dot products of contiguous rows (4, 2, then 1 rows of A at a time). The one-thread
 * caller streams B through a small buffer block by block.
 */
export function smallDots(params: usize, j0: i32, j1: i32, b: usize, ldb: i32): void {
  const m = pi(params, P_M);
  const k = pi(params, P_K);
  const a = <usize>pi(params, P_PACK_A);
  const ldbBytes = <usize>ldb << 2;
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
      const b0 = b + <usize>(j - j0) * ldbBytes;
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
      const bj = b + <usize>(j - j0) * ldbBytes;
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
      const b0 = b + <usize>(j - j0) * ldbBytes;
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
      const bj = b + <usize>(j - j0) * ldbBytes;
      finish(cr0 + (<usize>j << 2), dot(a0, bj, k), beta);
      finish(cr1 + (<usize>j << 2), dot(a1, bj, k), beta);
    }
  }
  for (; i < m; i++) {
    const a0 = a + <usize>i * kBytes;
    const cr = c + (<usize>(i * ldc) << 2);
    let j = j0;
    for (; j + 4 <= j1; j += 4) {
      const b0 = b + <usize>(j - j0) * ldbBytes;
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
    for (; j < j1; j++) finish(cr + (<usize>j << 2), dot(a0, b + <usize>(j - j0) * ldbBytes, k), beta);
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
