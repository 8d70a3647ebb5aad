// WebAssembly SIMD GEMM kernels (AssemblyScript), row-major:
//   C = alpha * op(A) * op(B) + beta * C,  op(A) is M x K, op(B) is K x N.
//
// The module owns no data: the JavaScript side lays out operands, packed panels and a parameter
// block in (possibly shared) linear memory and calls `run(kind, params, chunk, scratch)` for each
// chunk of a job, from one or several threads. Chunks of a job write disjoint parts of C.
//
// Register tile: MR x NR = 2 x 16 (8 f32x4 accumulators). V8 11.3 allocates xmm0-xmm15 only, so a
// tile with more accumulators spills inside the inner loop.
//
// Built twice: plain SIMD (f32x4.mul + f32x4.add) and relaxed SIMD (f32x4.relaxed_madd), selected by
// `--enable relaxed-simd` at compile time through ASC_FEATURE_RELAXED_SIMD.

/** Job kinds. */
export const KIND_PACK_A: i32 = 0;
export const KIND_COMPUTE: i32 = 1;
export const KIND_SMALL: i32 = 2;

// Parameter block layout (byte offsets; i32 unless noted).
const P_TRANS_A = 0;
const P_TRANS_B = 4;
const P_M = 8;
const P_N = 12;
const P_K = 16;
const P_A = 20; // pointer to A (stored rows x cols with stride lda)
const P_LDA = 24;
const P_B = 28;
const P_LDB = 32;
const P_C = 36; // pointer to C (m x n, stride ldc)
const P_LDC = 40;
const P_ALPHA = 44; // f32
const P_BETA = 48; // f32
const P_PACK_A = 52; // packed A (compute path) or contiguous alpha*A rows (small path)
const P_KC = 56; // K block
const P_MB = 60; // rows per compute chunk (multiple of MR)
const P_NB = 64; // columns per compute / small chunk (multiple of NR)
const P_CHUNKS_N = 68; // number of column chunks
const P_PANELS = 72; // A panels per pack chunk

const MR: i32 = 2;
const NR: i32 = 16;

/** Size of the parameter block in bytes. */
export const PARAMS_BYTES: i32 = 128;
export const TILE_MR: i32 = MR;
export const TILE_NR: i32 = NR;

/** Start of free memory (after the compiler's static data). */
export function heapBase(): usize {
  return __heap_base;
}

@inline function pi(p: usize, off: usize): i32 {
  return load<i32>(p + off);
}

@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

/** Runs chunk `chunk` of a job of kind `kind`; `scratch` is the calling thread's private buffer. */
export function run(kind: i32, params: usize, chunk: i32, scratch: usize): void {
  if (kind == KIND_PACK_A) packAChunk(params, chunk);
  else if (kind == KIND_COMPUTE) computeChunk(params, chunk, scratch);
  else smallChunk(params, chunk);
}

// ---------------------------------------------------------------------------------------------
// Packing

/**
 * Packs A panels [chunk * panels, ...) for every K block, scaled by alpha.
 * Layout: K block starting at pc holds Mpad x kcb floats; panel ip of it starts at ip*MR*kcb and
 * stores op(A)[ip*MR + r][pc + p] at p*MR + r (rows past M are zero).
 */
function packAChunk(params: usize, chunk: i32): void {
  const m = pi(params, P_M);
  const k = pi(params, P_K);
  const kc = pi(params, P_KC);
  const panels = pi(params, P_PANELS);
  const transA = pi(params, P_TRANS_A);
  const a = <usize>pi(params, P_A);
  const lda = pi(params, P_LDA);
  const dstBase = <usize>pi(params, P_PACK_A);
  const alpha = load<f32>(params + P_ALPHA);
  const va = f32x4.splat(alpha);
  const mpad = (m + MR - 1) / MR * MR;
  const ip0 = chunk * panels;
  const ip1 = min(ip0 + panels, mpad / MR);
  for (let pc = 0; pc < k; pc += kc) {
    const kcb = min(kc, k - pc);
    for (let ip = ip0; ip < ip1; ip++) {
      const i = ip * MR;
      const rows = min(MR, m - i);
      const dst = dstBase + (<usize>(pc * mpad + i * kcb) << 2);
      if (transA == 0) {
        // op(A)[i + r][pc + p] = A[(i + r) * lda + pc + p]
        const s0 = a + (<usize>(i * lda + pc) << 2);
        if (rows == MR) {
          const s1 = s0 + (<usize>lda << 2);
          let p = 0;
          for (; p + 4 <= kcb; p += 4) {
            const x = f32x4.mul(v128.load(s0 + (<usize>p << 2)), va);
            const y = f32x4.mul(v128.load(s1 + (<usize>p << 2)), va);
            const d = dst + (<usize>(p * MR) << 2);
            v128.store(d, v128.shuffle<f32>(x, y, 0, 4, 1, 5));
            v128.store(d, v128.shuffle<f32>(x, y, 2, 6, 3, 7), 16);
          }
          for (; p < kcb; p++) {
            const d = dst + (<usize>(p * MR) << 2);
            store<f32>(d, load<f32>(s0 + (<usize>p << 2)) * alpha);
            store<f32>(d, load<f32>(s1 + (<usize>p << 2)) * alpha, 4);
          }
        } else {
          for (let p = 0; p < kcb; p++) {
            const d = dst + (<usize>(p * MR) << 2);
            store<f32>(d, load<f32>(s0 + (<usize>p << 2)) * alpha);
            store<f32>(d, 0, 4);
          }
        }
      } else {
        // op(A)[i + r][pc + p] = A[(pc + p) * lda + i + r]
        const s = a + (<usize>(pc * lda + i) << 2);
        if (rows == MR) {
          let p = 0;
          for (; p + 2 <= kcb; p += 2) {
            const x = v128.load64_zero(s + (<usize>(p * lda) << 2));
            const y = v128.load64_zero(s + (<usize>((p + 1) * lda) << 2));
            v128.store(dst + (<usize>(p * MR) << 2), f32x4.mul(v128.shuffle<f32>(x, y, 0, 1, 4, 5), va));
          }
          for (; p < kcb; p++) {
            const src = s + (<usize>(p * lda) << 2);
            const d = dst + (<usize>(p * MR) << 2);
            store<f32>(d, load<f32>(src) * alpha);
            store<f32>(d, load<f32>(src, 4) * alpha, 4);
          }
        } else {
          for (let p = 0; p < kcb; p++) {
            const d = dst + (<usize>(p * MR) << 2);
            store<f32>(d, load<f32>(s + (<usize>(p * lda) << 2)) * alpha);
            store<f32>(d, 0, 4);
          }
        }
      }
    }
  }
}

/**
 * Packs op(B)[pc .. pc+kcb][j0 .. j1] into `dst` as panels of NR columns: panel jp starts at
 * jp*NR*kcb and stores op(B)[pc + p][j0 + jp*NR + c] at p*NR + c (columns past N are zero).
 */
function packB(params: usize, pc: i32, kcb: i32, j0: i32, j1: i32, dst: usize): void {
  const n = pi(params, P_N);
  const transB = pi(params, P_TRANS_B);
  const b = <usize>pi(params, P_B);
  const ldb = pi(params, P_LDB);
  for (let j = j0; j < j1; j += NR) {
    const cols = min(NR, n - j);
    const d0 = dst + (<usize>((j - j0) * kcb) << 2);
    if (transB == 0) {
      // op(B)[pc + p][j + c] = B[(pc + p) * ldb + j + c]
      const s0 = b + (<usize>(pc * ldb + j) << 2);
      if (cols == NR) {
        for (let p = 0; p < kcb; p++) {
          const s = s0 + (<usize>(p * ldb) << 2);
          const d = d0 + (<usize>(p * NR) << 2);
          v128.store(d, v128.load(s));
          v128.store(d, v128.load(s, 16), 16);
          v128.store(d, v128.load(s, 32), 32);
          v128.store(d, v128.load(s, 48), 48);
        }
      } else {
        for (let p = 0; p < kcb; p++) {
          const s = s0 + (<usize>(p * ldb) << 2);
          const d = d0 + (<usize>(p * NR) << 2);
          for (let c = 0; c < NR; c++) store<f32>(d + (<usize>c << 2), c < cols ? load<f32>(s + (<usize>c << 2)) : 0);
        }
      }
    } else {
      // op(B)[pc + p][j + c] = B[(j + c) * ldb + pc + p]
      const s0 = b + (<usize>(j * ldb + pc) << 2);
      const rowBytes = <usize>ldb << 2;
      if (cols == NR) {
        let p = 0;
        for (; p + 4 <= kcb; p += 4) {
          const d = d0 + (<usize>(p * NR) << 2);
          for (let g = 0; g < 4; g++) {
            const s = s0 + (<usize>(g * 4) * rowBytes) + (<usize>p << 2);
            const r0 = v128.load(s);
            const r1 = v128.load(s + rowBytes);
            const r2 = v128.load(s + 2 * rowBytes);
            const r3 = v128.load(s + 3 * rowBytes);
            const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
            const t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
            const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
            const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
            const dg = d + (<usize>(g * 4) << 2);
            v128.store(dg, v128.shuffle<f64>(t0, t1, 0, 2));
            v128.store(dg + (NR << 2), v128.shuffle<f64>(t0, t1, 1, 3));
            v128.store(dg + (2 * NR << 2), v128.shuffle<f64>(t2, t3, 0, 2));
            v128.store(dg + (3 * NR << 2), v128.shuffle<f64>(t2, t3, 1, 3));
          }
        }
        for (; p < kcb; p++) {
          const d = d0 + (<usize>(p * NR) << 2);
          for (let c = 0; c < NR; c++) store<f32>(d + (<usize>c << 2), load<f32>(s0 + <usize>c * rowBytes + (<usize>p << 2)));
        }
      } else {
        for (let p = 0; p < kcb; p++) {
          const d = d0 + (<usize>(p * NR) << 2);
          for (let c = 0; c < NR; c++) {
            store<f32>(d + (<usize>c << 2), c < cols ? load<f32>(s0 + <usize>c * rowBytes + (<usize>p << 2)) : 0);
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Packed compute path

/**
 * 2 x 16 micro-kernel over kcb steps of packed panels. mode 0: C = acc; 1: C = beta*C + acc;
 * 2: C += acc. `ldc` is in bytes.
 */
@inline function kernel(ap: usize, bp: usize, kcb: i32, c: usize, ldc: usize, mode: i32, beta: f32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  const end = ap + (<usize>(kcb * MR) << 2);
  while (ap < end) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const b2 = v128.load(bp, 32);
    const b3 = v128.load(bp, 48);
    const a0 = v128.load32_splat(ap);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    c02 = madd(a0, b2, c02);
    c03 = madd(a0, b3, c03);
    const a1 = v128.load32_splat(ap, 4);
    c10 = madd(a1, b0, c10);
    c11 = madd(a1, b1, c11);
    c12 = madd(a1, b2, c12);
    c13 = madd(a1, b3, c13);
    ap += MR << 2;
    bp += NR << 2;
  }
  const c1 = c + ldc;
  if (mode == 2) {
    v128.store(c, f32x4.add(v128.load(c), c00));
    v128.store(c, f32x4.add(v128.load(c, 16), c01), 16);
    v128.store(c, f32x4.add(v128.load(c, 32), c02), 32);
    v128.store(c, f32x4.add(v128.load(c, 48), c03), 48);
    v128.store(c1, f32x4.add(v128.load(c1), c10));
    v128.store(c1, f32x4.add(v128.load(c1, 16), c11), 16);
    v128.store(c1, f32x4.add(v128.load(c1, 32), c12), 32);
    v128.store(c1, f32x4.add(v128.load(c1, 48), c13), 48);
  } else if (mode == 1) {
    const vb = f32x4.splat(beta);
    v128.store(c, madd(v128.load(c), vb, c00));
    v128.store(c, madd(v128.load(c, 16), vb, c01), 16);
    v128.store(c, madd(v128.load(c, 32), vb, c02), 32);
    v128.store(c, madd(v128.load(c, 48), vb, c03), 48);
    v128.store(c1, madd(v128.load(c1), vb, c10));
    v128.store(c1, madd(v128.load(c1, 16), vb, c11), 16);
    v128.store(c1, madd(v128.load(c1, 32), vb, c12), 32);
    v128.store(c1, madd(v128.load(c1, 48), vb, c13), 48);
  } else {
    v128.store(c, c00);
    v128.store(c, c01, 16);
    v128.store(c, c02, 32);
    v128.store(c, c03, 48);
    v128.store(c1, c10);
    v128.store(c1, c11, 16);
    v128.store(c1, c12, 32);
    v128.store(c1, c13, 48);
  }
}

/** One compute chunk: rows [ci*mb, +mb) x columns [cj*nb, +nb) of C, all of K. */
function computeChunk(params: usize, chunk: i32, scratch: usize): void {
  const m = pi(params, P_M);
  const n = pi(params, P_N);
  const k = pi(params, P_K);
  const kc = pi(params, P_KC);
  const mb = pi(params, P_MB);
  const nb = pi(params, P_NB);
  const chunksN = pi(params, P_CHUNKS_N);
  const c = <usize>pi(params, P_C);
  const ldc = pi(params, P_LDC);
  const ldcBytes = <usize>ldc << 2;
  const packA = <usize>pi(params, P_PACK_A);
  const beta = load<f32>(params + P_BETA);
  const mpad = (m + MR - 1) / MR * MR;
  const i0 = (chunk / chunksN) * mb;
  const i1 = min(m, i0 + mb);
  const j0 = (chunk % chunksN) * nb;
  const j1 = min(n, j0 + nb);
  const bp0 = scratch;
  const tile = scratch + (<usize>(kc * nb) << 2);
  for (let pc = 0; pc < k; pc += kc) {
    const kcb = min(kc, k - pc);
    packB(params, pc, kcb, j0, j1, bp0);
    const mode = pc > 0 ? 2 : beta == 0 ? 0 : 1;
    for (let i = i0; i < i1; i += MR) {
      const ap = packA + (<usize>(pc * mpad + i * kcb) << 2);
      const rows = min(MR, i1 - i);
      for (let j = j0; j < j1; j += NR) {
        const bp = bp0 + (<usize>((j - j0) * kcb) << 2);
        const cp = c + (<usize>(i * ldc + j) << 2);
        const cols = min(NR, j1 - j);
        if (rows == MR && cols == NR) {
          kernel(ap, bp, kcb, cp, ldcBytes, mode, beta);
        } else {
          kernel(ap, bp, kcb, tile, NR << 2, 0, 0);
          for (let r = 0; r < rows; r++) {
            for (let q = 0; q < cols; q++) {
              const dst = cp + <usize>r * ldcBytes + (<usize>q << 2);
              const v = load<f32>(tile + (<usize>(r * NR + q) << 2));
              if (mode == 0) store<f32>(dst, v);
              else if (mode == 1) store<f32>(dst, load<f32>(dst) * beta + v);
              else store<f32>(dst, load<f32>(dst) + v);
            }
          }
        }
      }
    }
  }
}

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
function smallChunk(params: usize, chunk: i32): void {
  const nb = pi(params, P_NB);
  const n = pi(params, P_N);
  const j0 = chunk * nb;
  const j1 = min(n, j0 + nb);
  if (pi(params, P_TRANS_B) == 0) smallRows(params, j0, j1);
  else smallDots(params, j0, j1);
}

/** C[i][j0..j1] for op(B) = B (K x N rows): accumulate rows of B scaled by A[i][p]. */
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

/** C[i][j0..j1] for op(B) = Bᵀ (B stored N x K): dot products of contiguous rows. */
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
