/**
 * The engine of a page worker (the in-browser translator, the "Train here" trainers): the relaxed-SIMD
 * (FMA) kernels where the browser has them, else plain SIMD, else TypeScript; one thread per worker.
 */
import { initEngine, type EngineInfo } from '../../src/engine/engine.js';

/** URLs of the kernels when `npm run build:wasm` has produced them (empty otherwise). */
const wasmUrls = import.meta.glob(['../../build/gemm-simd.wasm', '../../build/gemm-relaxed.wasm'], { query: '?url', import: 'default', eager: true });

async function fetchBytes(name: string): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const url = Object.entries(wasmUrls).find(([file]) => file.endsWith(`/${name}`))?.[1];
  if (typeof url !== 'string') return undefined;
  return new Uint8Array(await (await fetch(url)).arrayBuffer());
}

let engine: Promise<EngineInfo> | null = null;

/** Start this worker's engine once; later calls return the same promise. */
export function startEngine(): Promise<EngineInfo> {
  engine ??= (async (): Promise<EngineInfo> => {
    try {
      const [simd, relaxed] = await Promise.all([fetchBytes('gemm-simd.wasm'), fetchBytes('gemm-relaxed.wasm')]);
      if (simd === undefined) return await initEngine({ threads: 1 });
      return await initEngine({ threads: 1, wasm: relaxed === undefined ? { simd } : { simd, relaxed } });
    } catch {
      return initEngine({ threads: 1 });
    }
  })();
  return engine;
}
