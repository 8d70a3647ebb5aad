/**
 * The WebAssembly SIMD kernel of the optimizers (asm/adam.ts), installed by `initEngine`: copies a
 * parameter, its gradient and Adam's two moments into the engine's linear memory, updates them there
 * and copies the parameter and the moments back, a block of CHUNK elements at a time, so each block is
 * still in cache when the kernel reads it and when it is copied back (one pass over memory, not three).
 */
import type { AdamKernel } from './optim.js';
import type { WasmGemm } from './wasm.js';

/** Elements per block: four blocks of 64 KiB stay in a core's L2 cache. */
const CHUNK = 16384;

export function wasmAdamKernel(w: WasmGemm): AdamKernel {
  const k = w.kernels;
  return (wt, g, m, v, c) => {
    const n = wt.length;
    const block = Math.min(n, CHUNK);
    const at = w.callRegions([block, block, block, block]);
    if (at === null) return false;
    const [pw, pg, pm, pv] = at as [number, number, number, number];
    const f = w.heapF32;
    for (let i0 = 0; i0 < n; i0 += CHUNK) {
      const i1 = Math.min(n, i0 + CHUNK);
      const len = i1 - i0;
      f.set(wt.subarray(i0, i1), pw >> 2);
      f.set(g.subarray(i0, i1), pg >> 2);
      f.set(m.subarray(i0, i1), pm >> 2);
      f.set(v.subarray(i0, i1), pv >> 2);
      k.adamStep(pw, pg, pm, pv, len, c.b1, c.b2, c.g1, c.g2, c.stepSize, c.invC2, c.eps, c.wd);
      wt.set(f.subarray(pw >> 2, (pw >> 2) + len), i0);
      m.set(f.subarray(pm >> 2, (pm >> 2) + len), i0);
      v.set(f.subarray(pv >> 2, (pv >> 2) + len), i0);
    }
    return true;
  };
}
