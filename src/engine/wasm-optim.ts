/**
 * The WebAssembly SIMD kernel of the optimizers (asm/adam.ts), installed by `initEngine`: copies a
 * parameter, its gradient and Adam's two moments into the engine's linear memory, updates them there
 * and copies the parameter and the moments back.
 */
import type { AdamKernel } from './optim.js';
import type { WasmGemm } from './wasm.js';

export function wasmAdamKernel(w: WasmGemm): AdamKernel {
  const k = w.kernels;
  return (wt, g, m, v, c) => {
    const n = wt.length;
    const at = w.callRegions([n, n, n, n]);
    if (at === null) return false;
    const [pw, pg, pm, pv] = at as [number, number, number, number];
    const f = w.heapF32;
    f.set(wt, pw >> 2);
    f.set(g.subarray(0, n), pg >> 2);
    f.set(m.subarray(0, n), pm >> 2);
    f.set(v.subarray(0, n), pv >> 2);
    k.adamStep(pw, pg, pm, pv, n, c.b1, c.b2, c.g1, c.g2, c.stepSize, c.invC2, c.eps, c.wd);
    wt.set(f.subarray(pw >> 2, (pw >> 2) + n));
    m.set(f.subarray(pm >> 2, (pm >> 2) + n));
    v.set(f.subarray(pv >> 2, (pv >> 2) + n));
    return true;
  };
}
