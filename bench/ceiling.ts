/**
 * This machine's 128-bit FMA ceiling in WebAssembly (build/peak.wasm: register-only loops with 8 and 12
 * independent accumulator chains, asm/peak.ts), on one thread. bench:engine prints it next to the GEMM's
 * numbers; bench:model divides its FLOP rates by it (times the threads used) to give each row's share.
 */
import { readFile } from 'node:fs/promises';
import { enableRelaxedSimd } from '../src/engine/engine.js';

export interface FmaCeiling {
  /** GFLOP/s with 8 independent chains (what a GEMM tile of 8 accumulators can reach at most). */
  chains8: number;
  chains12: number;
}

/** Median of `samples` runs of `iters` iterations each; null when the runtime has no relaxed SIMD. */
export async function fmaCeiling(samples = 7, iters = 20_000_000): Promise<FmaCeiling | null> {
  const bytes = await readFile(new URL('../../build/peak.wasm', import.meta.url));
  if (!WebAssembly.validate(bytes) && !(await enableRelaxedSimd(bytes))) return null;
  const { instance } = await WebAssembly.instantiate(bytes, { env: { abort: () => {} } });
  const run = (name: string, chains: number): number => {
    const fn = instance.exports[name] as (iters: number) => number;
    const ms: number[] = [];
    fn(iters / 10);
    for (let r = 0; r < samples; r++) {
      const t0 = performance.now();
      fn(iters);
      ms.push(performance.now() - t0);
    }
    ms.sort((a, b) => a - b);
    return (iters * chains * 8) / (ms[samples >> 1] as number) / 1e6;
  };
  return { chains8: run('chains8', 8), chains12: run('chains12', 12) };
}
