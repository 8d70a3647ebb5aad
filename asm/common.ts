// Shared by the GEMM kernels (asm/gemm.ts) and the small-M path (asm/small.ts): the parameter
// block the JavaScript side writes (src/engine/wasm.ts) and the multiply-add of the build.

// Parameter block layout (byte offsets; i32 unless noted).
export const P_TRANS_A = 0;
export const P_TRANS_B = 4;
export const P_M = 8;
export const P_N = 12;
export const P_K = 16;
export const P_A = 20; // pointer to A (stored rows x cols with stride lda)
export const P_LDA = 24;
export const P_B = 28;
export const P_LDB = 32;
export const P_C = 36; // pointer to C (m x n, stride ldc)
export const P_LDC = 40;
export const P_ALPHA = 44; // f32
export const P_BETA = 48; // f32
export const P_PACK_A = 52; // packed A (compute path) or contiguous alpha*A rows (small path)
export const P_KC = 56; // K block
export const P_MB = 60; // rows per compute chunk (multiple of MR)
export const P_NB = 64; // columns per compute / small chunk (multiple of NR)
export const P_CHUNKS_N = 68; // number of column chunks
export const P_PANELS = 72; // A panels per pack chunk
// Batched small GEMMs (asm/batched.ts): item (o, h) of outer x inner, operand X of item (o, h) at
// X + o * strideX0 + h * strideX1 floats.
export const P_OUTER = 76;
export const P_INNER = 80;
export const P_SA0 = 84;
export const P_SA1 = 88;
export const P_SB0 = 92;
export const P_SB1 = 96;
export const P_SC0 = 100;
export const P_SC1 = 104;
export const P_ITEMS = 108; // items per chunk
// A pair job (asm/gemm.ts KIND_PAIR): the byte addresses of two parameter blocks, then the first's compute chunks
// (three words, 112-123).
export const P_PAIR = 112;
// Small-M path (asm/small.ts): 1 when B is in the panel layout (panels of PANEL_W columns, each K x PANEL_W contiguous).
export const P_B_PANELS = 124;

@inline export function pi(p: usize, off: usize): i32 {
  return load<i32>(p + off);
}

/** Lanes 0 and 1 of a float vector promoted to double. */
@inline export function promoteLo(x: v128): v128 {
  return f64x2.promote_low_f32x4(x);
}

/** Lanes 2 and 3 of a float vector promoted to double. */
@inline export function promoteHi(x: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(x, x, 2, 3, 0, 1));
}

/** Two double vectors (lanes 0-1, lanes 2-3) rounded back into one float vector. */
@inline export function demoteJoin(a: v128, b: v128): v128 {
  return v128.shuffle<f32>(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 1, 4, 5);
}

/** a * b + c: relaxed_madd (FMA where the hardware has it) in the relaxed build, mul + add otherwise. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}
// Greedy pick over rows of logits (asm/greedy.ts), after the GEMM's words.
export const P_G_PTR = 128; // the (rows, d) floats
export const P_G_D = 132;
export const P_G_ROWS = 136;
export const P_G_PER = 140; // rows per chunk
export const P_G_OUT = 144; // results, GREEDY_OUT_BYTES per row
export const P_G_SKIP0 = 148; // ids never picked (PAD, BOS)
export const P_G_SKIP1 = 152;
export const P_G_LOGD = 160; // f64: ln d
// Label-smoothed cross-entropy over rows of logits in place (asm/crossentropy.ts), after the GEMM's words.
export const P_CE_PTR = 128; // the (rows, d) logits, turned into the gradient G in place
export const P_CE_D = 132;
export const P_CE_ROWS = 136;
export const P_CE_PER = 140; // rows per chunk
export const P_CE_TARGETS = 144; // i32 per row
export const P_CE_BIAS = 148; // d floats added to every row first (0: none)
export const P_CE_STATS = 152; // results, CE_STATS_BYTES per row
export const P_CE_IGNORE = 156; // rows with this target are zeroed
export const P_CE_SMOOTH = 160; // f32: ε / d
export const P_CE_HIT = 164; // f32: 1 - ε
export const P_CE_SUMX = 168; // nonzero: also Σ_j x_j per row
