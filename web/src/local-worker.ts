/**
 * The in-browser translator's thread: a dedicated Web Worker that owns the engine and the loaded
 * models, so decoding (beam search over a long sentence takes a while) never blocks the page.
 * Requests and replies are `LocalRequest` / `LocalReply` (local.ts), matched by `id`.
 */
import { initEngine, type EngineInfo } from '../../src/engine/engine.js';
import { ModelRunner } from '../../src/server/model-core.js';
import type { ModelInfo, ModelKind } from '../../src/server/translator.js';
import type { LocalReply, LocalRequest } from './local.js';

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
function startEngine(): Promise<EngineInfo> {
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

let runners: Partial<Record<ModelKind, ModelRunner>> = {};

async function handle(req: LocalRequest): Promise<LocalReply> {
  if (req.type === 'load') {
    const info = await startEngine();
    const next: Partial<Record<ModelKind, ModelRunner>> = {};
    for (const s of req.sources) {
      const runner = ModelRunner.fromBytes(s.bytes, s.name);
      const kind = runner.info.kind;
      if (next[kind] !== undefined) throw new Error(`${s.name} and ${next[kind]?.info.name} are both ${kind} models; load one of each`);
      next[kind] = runner;
    }
    runners = next;
    const models: Partial<Record<ModelKind, ModelInfo>> = {};
    for (const k of ['attention', 'baseline'] as const) {
      const r = runners[k];
      if (r !== undefined) models[k] = r.info;
    }
    return { id: req.id, ok: true, type: 'loaded', engine: info, models };
  }
  const r = runners[req.kind];
  if (r === undefined) throw new Error(`no ${req.kind} model loaded`);
  const [result] = r.translate([req.text], { beam: req.beam, nbest: 1, attention: true });
  if (result === undefined) throw new Error('no translation');
  return { id: req.id, ok: true, type: 'translated', result };
}

self.addEventListener('message', (e: MessageEvent<LocalRequest>) => {
  const req = e.data;
  handle(req).then(
    (reply) => self.postMessage(reply),
    (err: unknown) => self.postMessage({ id: req.id, ok: false, message: err instanceof Error ? err.message : String(err) } satisfies LocalReply),
  );
});
