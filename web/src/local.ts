/**
 * In-browser mode: checkpoints are read in the page (file picker or `?model=URL&model2=URL`) and
 * translated here with the same engine (WebAssembly SIMD GEMM when the build has it) and the same
 * decoding code as the server. Nothing is uploaded anywhere.
 */
import { initEngine, type EngineInfo } from '../../src/engine/engine.js';
import { ModelRunner } from '../../src/server/model-core.js';
import type { ModelInfo, ModelKind } from '../../src/server/translator.js';
import type { Backend } from './backend.js';

/** URL of the SIMD kernels when `npm run build:wasm` has produced them (empty otherwise). */
const wasmUrls = import.meta.glob('../../build/gemm-simd.wasm', { query: '?url', import: 'default', eager: true });

let engine: Promise<EngineInfo> | null = null;

/** Start the engine once: WebAssembly kernels if available, else the TypeScript GEMM. */
export function startLocalEngine(): Promise<EngineInfo> {
  if (engine === null) {
    engine = (async (): Promise<EngineInfo> => {
      const url = Object.values(wasmUrls)[0];
      if (typeof url !== 'string') return initEngine({ threads: 1 });
      try {
        const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
        return await initEngine({ threads: 1, wasm: { simd: bytes } });
      } catch {
        return initEngine({ threads: 1 });
      }
    })();
  }
  return engine;
}

export interface LocalSource {
  name: string;
  bytes: Uint8Array;
}

/** Read checkpoints from a URL (`?model=`). */
export async function fetchCheckpoint(url: string): Promise<LocalSource> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${res.statusText}`);
  const name = decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() ?? url);
  return { name, bytes: new Uint8Array(await res.arrayBuffer()) };
}

/** Load one or two checkpoints (at most one per kind) into a backend translating in this page. */
export async function loadLocalBackend(sources: readonly LocalSource[]): Promise<Backend & { engine: EngineInfo }> {
  const info = await startLocalEngine();
  const runners: Partial<Record<ModelKind, ModelRunner>> = {};
  for (const s of sources) {
    const runner = ModelRunner.fromBytes(s.bytes, s.name);
    const kind = runner.info.kind;
    if (runners[kind] !== undefined) throw new Error(`${s.name} and ${runners[kind]?.info.name} are both ${kind} models; load one of each`);
    runners[kind] = runner;
  }
  const models: Partial<Record<ModelKind, ModelInfo>> = {};
  for (const k of ['attention', 'baseline'] as const) {
    const r = runners[k];
    if (r !== undefined) models[k] = r.info;
  }
  return {
    mode: 'in-browser',
    engine: info,
    models,
    async translate(kind, text, beam) {
      const r = runners[kind];
      if (r === undefined) throw new Error(`no ${kind} model loaded`);
      // Let the browser paint "translating…" before the synchronous work.
      await new Promise((resolve) => setTimeout(resolve, 0));
      const [result] = r.translate([text], { beam, nbest: 1, attention: true });
      if (result === undefined) throw new Error('no translation');
      return result;
    },
  };
}
