/**
 * The WebAssembly SIMD kernels of the fused recurrent cells (asm/gru.ts), installed by `initEngine`:
 * each copies its operands into the engine's linear memory, runs there and copies the results out.
 * They return false (nothing written) when they cannot run, and the cell runs its TypeScript loop.
 */
import type { GruKernels } from './fused/gru.js';
import type { WasmGemm } from './wasm.js';

/** The GRU step kernels over a WebAssembly engine instance's linear memory. */
export function wasmGruKernels(w: WasmGemm): GruKernels {
  const k = w.kernels;
  return {
    forward(hidden, batch, x, xRowOffset, hPrev, hPrevOff, gh, bias, hNew, hNewOff, act, actOff, active) {
      if (hidden % 4 !== 0) return false;
      const bh = batch * hidden;
      const at = w.callRegions([3 * bh, 3 * bh, 3 * hidden, bh, bh, 4 * bh, batch]);
      if (at === null) return false;
      const [px, pg, pb, ph, pn, pa, pf] = at as [number, number, number, number, number, number, number];
      const f = w.heapF32;
      const flags = w.heapI32;
      const h3 = 3 * hidden;
      for (let b = 0; b < batch; b++) {
        const on = active(b);
        flags[(pf >> 2) + b] = on ? 1 : 0;
        if (on) {
          const xo = xRowOffset(b);
          f.set(x.subarray(xo, xo + h3), (px >> 2) + b * h3);
        }
      }
      f.set(gh.subarray(0, 3 * bh), pg >> 2);
      f.set(bias.subarray(0, h3), pb >> 2);
      f.set(hPrev.subarray(hPrevOff, hPrevOff + bh), ph >> 2);
      k.gruGatesForward(px, pg, pb, ph, pn, pa, pf, batch, hidden);
      hNew.set(f.subarray(pn >> 2, (pn >> 2) + bh), hNewOff);
      if (act !== null) act.set(f.subarray(pa >> 2, (pa >> 2) + 4 * bh), actOff);
      return true;
    },
    backward(hidden, batch, hPrev, hPrevOff, act, actOff, dh, dg, dx, dxRowOffset, active, dxZero) {
      if (hidden % 4 !== 0) return false;
      const bh = batch * hidden;
      const at = w.callRegions([bh, 4 * bh, bh, 3 * bh, 3 * bh, batch]);
      if (at === null) return false;
      const [ph, pa, pd, pg, px, pf] = at as [number, number, number, number, number, number];
      const f = w.heapF32;
      const flags = w.heapI32;
      for (let b = 0; b < batch; b++) flags[(pf >> 2) + b] = active(b) ? 1 : 0;
      f.set(hPrev.subarray(hPrevOff, hPrevOff + bh), ph >> 2);
      f.set(act.subarray(actOff, actOff + 4 * bh), pa >> 2);
      f.set(dh.subarray(0, bh), pd >> 2);
      k.gruGatesBackward(ph, pa, pd, pg, px, pf, batch, hidden);
      dg.set(f.subarray(pg >> 2, (pg >> 2) + 3 * bh));
      dh.set(f.subarray(pd >> 2, (pd >> 2) + bh));
      if (dx !== null) {
        const h3 = 3 * hidden;
        for (let b = 0; b < batch; b++) {
          if (flags[(pf >> 2) + b] === 0) continue;
          const xo = dxRowOffset(b);
          const src = (px >> 2) + b * h3;
          if (dxZero === true) dx.set(f.subarray(src, src + h3), xo);
          else for (let j = 0; j < h3; j++) dx[xo + j] += f[src + j] as number;
        }
      }
      return true;
    },
  };
}
