/**
 * Two independent GEMMs at once: task parallelism for products too small to split well by rows or columns
 * (a recurrence's per-step products of a batch's few dozen rows). On the WebAssembly engine with a worker
 * pool each product runs whole on one thread (wasm.ts `gemmPair`), with the same bits as `gemm` gives it;
 * otherwise (no pool, few-row products, int8 weights, the pair measured slower) they run one after the
 * other through `gemm`. Neither product may write what the other reads.
 */
import { checkGemm, countFlops, gemm, type GemmArgs } from './gemm.js';
import { int8Of } from './int8.js';

/** The engine's pair: true when it ran both products, false (nothing run) when it cannot. */
export type GemmPairImpl = (x: GemmArgs, y: GemmArgs) => boolean;

let impl: GemmPairImpl | null = null;

/** Installs (or with null removes) the engine's pair. */
export function setGemmPairImpl(next: GemmPairImpl | null): void {
  impl = next;
}

/** gemm(x) and gemm(y), at once when the engine can. */
export function gemmPair(x: GemmArgs, y: GemmArgs): void {
  if (impl !== null && int8Of(x.b) === undefined && int8Of(y.b) === undefined) {
    checkGemm(x);
    checkGemm(y);
    if (impl(x, y)) {
      countFlops(x.m, x.n, x.k);
      countFlops(y.m, y.n, y.k);
      return;
    }
  }
  gemm(x);
  gemm(y);
}
