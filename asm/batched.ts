// Batched small GEMMs (src/engine/batched.ts), e.g. the scores Q·Kᵀ and the contexts P·V of every
// attention head of every sentence in one call: outer x inner products of one shape,
//   C_i = alpha * op(A_i) * op(B_i) + beta * C_i,   item i = (o, h), o = i / inner, h = i % inner,
// where operand X of item (o, h) starts at X + o * strideX0 + h * strideX1 floats (the parameter
// block: asm/common.ts). The JavaScript side copies each operand into linear memory once per call.
//
// A chunk runs P_ITEMS consecutive items on the calling thread, on its own copy of the parameter
// block and its own gathered alpha * op(A) (both in the thread's scratch buffer), with the small-M
// kernels of small.ts: prepSmall gathers op(A) into contiguous rows, then smallDots (op(B) = Bᵀ:
// dot products of contiguous rows) or smallInit + smallStream (op(B) = B: rows of B added to C).

import {
  P_TRANS_B, P_N, P_K, P_A, P_B, P_LDB, P_C, P_PACK_A, P_OUTER, P_INNER, P_SA0, P_SA1, P_SB0, P_SB1, P_SC0, P_SC1, P_ITEMS, pi,
} from './common';
import { prepSmall, smallDots, smallInit, smallStream } from './small';

/** Bytes of the parameter block a chunk copies (the rest of the thread's scratch holds op(A)). */
export const BATCHED_PARAMS_BYTES: i32 = 128;

/** One chunk of a batched job: items [chunk * P_ITEMS, +P_ITEMS). */
export function batchedChunk(params: usize, chunk: i32, scratch: usize): void {
  const outer = pi(params, P_OUTER);
  const inner = pi(params, P_INNER);
  const per = pi(params, P_ITEMS);
  const count = outer * inner;
  const i0 = chunk * per;
  const i1 = min(count, i0 + per);
  const local = scratch;
  memory.copy(local, params, BATCHED_PARAMS_BYTES);
  store<i32>(local + P_PACK_A, <i32>(scratch + BATCHED_PARAMS_BYTES));
  const a = <usize>pi(params, P_A);
  const b = <usize>pi(params, P_B);
  const c = <usize>pi(params, P_C);
  const sa0 = pi(params, P_SA0);
  const sa1 = pi(params, P_SA1);
  const sb0 = pi(params, P_SB0);
  const sb1 = pi(params, P_SB1);
  const sc0 = pi(params, P_SC0);
  const sc1 = pi(params, P_SC1);
  const n = pi(params, P_N);
  const k = pi(params, P_K);
  const ldb = pi(params, P_LDB);
  const transB = pi(params, P_TRANS_B);
  for (let i = i0; i < i1; i++) {
    const o = i / inner;
    const h = i - o * inner;
    const bi = b + (<usize>(o * sb0 + h * sb1) << 2);
    store<i32>(local + P_A, <i32>(a + (<usize>(o * sa0 + h * sa1) << 2)));
    store<i32>(local + P_C, <i32>(c + (<usize>(o * sc0 + h * sc1) << 2)));
    prepSmall(local);
    if (transB != 0) {
      smallDots(local, 0, n, bi, ldb);
    } else {
      smallInit(local);
      smallStream(local, 0, k, bi, ldb);
    }
  }
}
