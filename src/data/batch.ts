/**
 * Padded id batches for the encoder-decoder (row-major Int32Array, one row per sentence).
 * Pair ids come without BOS/EOS; this module adds them.
 */
import { BOS, EOS, PAD } from './vocab.js';

export interface Batch {
  /** B sentences. */
  size: number;
  /** S = longest source in batch (tokens incl. final EOS). */
  srcLen: number;
  /** T = longest target (decoder steps). */
  tgtLen: number;
  /** (B, S) source ids, each ends with EOS, then PAD. */
  src: Int32Array;
  /** (B) real source lengths (incl. EOS). */
  srcLengths: Int32Array;
  /** (B, T) decoder inputs: BOS w1 .. wn, then PAD. */
  tgtIn: Int32Array;
  /** (B, T) decoder targets: w1 .. wn EOS, then PAD. */
  tgtOut: Int32Array;
  /** (B) n+1. */
  tgtLengths: Int32Array;
  /** Number of non-PAD target tokens (sum of tgtLengths). */
  ntokens: number;
  /** (B) index of each pair in the corpus it came from. */
  indices: Int32Array;
}

export interface IdPair {
  src: number[];
  tgt: number[];
}

/** Build a teacher-forcing batch from id pairs (without BOS/EOS) and their corpus indices. */
export function makeBatch(pairs: { src: number[]; tgt: number[] }[], indices: number[]): Batch {
  if (pairs.length !== indices.length) {
    throw new Error(`makeBatch: ${pairs.length} pairs but ${indices.length} indices`);
  }
  const B = pairs.length;
  let S = 0;
  let T = 0;
  for (const p of pairs) {
    S = Math.max(S, p.src.length + 1);
    T = Math.max(T, p.tgt.length + 1);
  }
  const src = new Int32Array(B * S).fill(PAD);
  const srcLengths = new Int32Array(B);
  const tgtIn = new Int32Array(B * T).fill(PAD);
  const tgtOut = new Int32Array(B * T).fill(PAD);
  const tgtLengths = new Int32Array(B);
  let ntokens = 0;
  pairs.forEach((p, b) => {
    fillSource(src, b * S, p.src);
    srcLengths[b] = p.src.length + 1;
    const n = p.tgt.length;
    tgtIn[b * T] = BOS;
    for (let t = 0; t < n; t++) {
      const id = p.tgt[t] as number;
      tgtIn[b * T + t + 1] = id;
      tgtOut[b * T + t] = id;
    }
    tgtOut[b * T + n] = EOS;
    tgtLengths[b] = n + 1;
    ntokens += n + 1;
  });
  return { size: B, srcLen: S, tgtLen: T, src, srcLengths, tgtIn, tgtOut, tgtLengths, ntokens, indices: Int32Array.from(indices) };
}

/** Build a source-only batch for translation: T = 0, empty target arrays, indices 0..B-1. */
export function makeSourceBatch(srcs: number[][]): Batch {
  const B = srcs.length;
  let S = 0;
  for (const s of srcs) S = Math.max(S, s.length + 1);
  const src = new Int32Array(B * S).fill(PAD);
  const srcLengths = new Int32Array(B);
  srcs.forEach((s, b) => {
    fillSource(src, b * S, s);
    srcLengths[b] = s.length + 1;
  });
  return {
    size: B, srcLen: S, tgtLen: 0, src, srcLengths,
    tgtIn: new Int32Array(0), tgtOut: new Int32Array(0), tgtLengths: new Int32Array(B), ntokens: 0,
    indices: Int32Array.from({ length: B }, (_, i) => i),
  };
}

function fillSource(dst: Int32Array, offset: number, ids: readonly number[]): void {
  for (let s = 0; s < ids.length; s++) dst[offset + s] = ids[s] as number;
  dst[offset + ids.length] = EOS;
}
