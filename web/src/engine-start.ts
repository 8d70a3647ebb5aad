/**
 * The engine of a page worker (the in-browser translator, the "Train here" trainers), started once per
 * worker, on one thread.
 */
import { initEngine, type EngineInfo } from '../../src/engine/engine.js';

/** URLs of the kernels when `npm run build:wasm` has produced them (empty otherwise). */
const wasmUrls = import.meta.glob(['../../build/gemm-simd.wasm', '../../build/gemm-relaxed.wasm', '../../build/int8-simd.wasm', '../../build/int8-relaxed.wasm'], {
  query: '?url',
  import: 'default',
  eager: true,
});

async function fetchBytes(name: string): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const url = Object.entries(wasmUrls).find(([file]) => file.endsWith(`/${name}`))?.[1];
  if (typeof url !== 'string') return undefined;
  return new Uint8Array(await (await fetch(url)).arrayBuffer());
}

let engine: Promise<EngineInfo> | null = null;

/**
 * The engine, started once: the relaxed-SIMD (FMA) kernels where the browser has them, else plain SIMD,
 * else TypeScript; with the int8 kernels for int8 checkpoints (relaxed SIMD after its self-test).
 */
export function startEngine(): Promise<EngineInfo> {
  engine ??= (async (): Promise<EngineInfo> => {
    try {
      const names = ['gemm-simd.wasm', 'gemm-relaxed.wasm', 'int8-simd.wasm', 'int8-relaxed.wasm'];
      const [simd, relaxed, int8Simd, int8Relaxed] = await Promise.all(names.map(fetchBytes));
      if (simd === undefined) return await initEngine({ threads: 1 });
      const int8 = int8Simd === undefined ? {} : { int8: int8Relaxed === undefined ? { simd: int8Simd } : { simd: int8Simd, relaxed: int8Relaxed } };
      return await initEngine({ threads: 1, wasm: { simd, ...(relaxed === undefined ? {} : { relaxed }), ...int8 } });
    } catch {
      return initEngine({ threads: 1 });
    }
  })();
  return engine;
}
