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
// Built as plain SIMD (f32x4.mul + f32x4.add) and relaxed SIMD (f32x4.relaxed_madd, selected by
// `--enable relaxed-simd` through ASC_FEATURE_RELAXED_SIMD), each for unshared and shared memory
// (asm/build.mjs).

import {
  P_TRANS_A, P_TRANS_B, P_M, P_N, P_K, P_A, P_LDA, P_B, P_LDB, P_C, P_LDC, P_ALPHA, P_BETA, P_PACK_A, P_KC, P_MB,
  P_NB, P_CHUNKS_N, P_PANELS, P_PAIR, pi, madd,
} from './common';
import { smallChunk } from './small';
import { batchedChunk } from './batched';
import { greedyChunk } from './greedy';
import { crossEntropyChunk } from './crossentropy';

export { prepSmall, smallInit, smallStream, smallDots, smallPanels, panelize } from './small';
export { rowMax, expSum } from './vec';
export { attnForward, attnBackward, attnScores, attnContext, attnStepBackward, attnFlush } from './attn';
export { maskedSoftmax, maskedSoftmaxBackward } from './softmax';
export { layerNormForward, layerNormBackward } from './layernorm';
export { geluForward, geluBackward } from './gelu';
export { gruGatesForward, gruGatesBackward } from './gru';
export { expRows, subRows } from './rows';
export { adamStep } from './adam';

/** Job kinds. */
export const KIND_PACK_A: i32 = 0;
export const KIND_COMPUTE: i32 = 1;
export const KIND_SMALL: i32 = 2;
export const KIND_BATCHED: i32 = 3;
export const KIND_GREEDY: i32 = 4;
export const KIND_CROSS_ENTROPY: i32 = 5;
export const KIND_PAIR: i32 = 6;

const MR: i32 = 2;
const NR: i32 = 16;

/** Size of the parameter block in bytes. */
export const PARAMS_BYTES: i32 = 192;
export const TILE_MR: i32 = MR;
export const TILE_NR: i32 = NR;

/** Start of free memory (after the compiler's static data). */
export function heapBase(): usize {
  return __heap_base;
}

/** Runs chunk `chunk` of a job of kind `kind`; `scratch` is the calling thread's private buffer. */
export function run(kind: i32, params: usize, chunk: i32, scratch: usize): void {
  if (kind == KIND_PACK_A) packAChunk(params, chunk);
  else if (kind == KIND_COMPUTE) computeChunk(params, chunk, scratch);
  else if (kind == KIND_BATCHED) batchedChunk(params, chunk, scratch);
  else if (kind == KIND_GREEDY) greedyChunk(params, chunk);
  else if (kind == KIND_CROSS_ENTROPY) crossEntropyChunk(params, chunk);
  else if (kind == KIND_SMALL) smallChunk(params, chunk);
  else if (kind == KIND_PAIR) pairChunk(params, chunk, scratch);
  else unreachable(); // another module's kind (the int8 jobs run asm/int8.ts)
}

/**
 * Chunk `chunk` of a pair job: two independent packed-path products whose A the caller packed already, their
 * parameter blocks at the two words at P_PAIR; the first product's compute chunks (the third word: how many)
 * come first, then the second's. Chunks split only rows and columns of C, so each product has the bits it has
 * alone, and the threads share both products' chunks as one job.
 */
function pairChunk(params: usize, chunk: i32, scratch: usize): void {
  const first = load<i32>(params + P_PAIR + 8);
  const which = chunk < first ? 0 : 1;
  const block = <usize>load<i32>(params + P_PAIR + (<usize>which << 2));
  computeChunk(block, chunk - which * first, scratch);
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

/** Rows of packed A swept against one L1-resident B panel (MC x KC floats, 128 KiB, stay in L2). */
const MC: i32 = 128;

/**
 * One compute chunk: rows [ci*mb, +mb) x columns [cj*nb, +nb) of C, all of K. Loop order as in
 * BLIS: per K block the chunk's B slab is packed once; per MC rows of A, each 16-column B panel
 * stays in L1 while the A panels stream past it.
 */
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
    for (let ic = i0; ic < i1; ic += MC) {
      const ic1 = min(i1, ic + MC);
      for (let j = j0; j < j1; j += NR) {
        const bp = bp0 + (<usize>((j - j0) * kcb) << 2);
        const cols = min(NR, j1 - j);
        for (let i = ic; i < ic1; i += MR) {
          const ap = packA + (<usize>(pc * mpad + i * kcb) << 2);
          const cp = c + (<usize>(i * ldc + j) << 2);
          const rows = min(MR, ic1 - i);
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
}
