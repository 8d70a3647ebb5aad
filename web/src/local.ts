/**
 * In-browser mode: checkpoints are read in the page (file picker or `?model=URL&model2=URL`) and
 * translated in a Web Worker (local-worker.ts) with the same engine (WebAssembly SIMD GEMM when the
 * build has it) and the same decoding code as the server, so the page stays responsive while a
 * sentence is decoded. Nothing is uploaded anywhere.
 */
import type { EngineInfo } from '../../src/engine/engine.js';
import type { ExplainResult } from '../../src/translate/explain.js';
import type { ExplainRequest, ModelInfo, ModelKind, TranslationResult } from '../../src/server/translator.js';
import type { Backend } from './backend.js';

export interface LocalSource {
  name: string;
  bytes: Uint8Array<ArrayBuffer>;
}

/** Messages to the worker. */
export type LocalRequest =
  | { id: number; type: 'load'; sources: LocalSource[] }
  | { id: number; type: 'translate'; kind: ModelKind; text: string; beam: number | undefined; attention: true | 'all' }
  | { id: number; type: 'explain'; kind: ModelKind; text: string; opts: ExplainRequest };

/** Messages from the worker. */
export type LocalReply =
  | { id: number; ok: true; type: 'loaded'; engine: EngineInfo; models: Partial<Record<ModelKind, ModelInfo>> }
  | { id: number; ok: true; type: 'translated'; result: TranslationResult }
  | { id: number; ok: true; type: 'explained'; result: ExplainResult }
  | { id: number; ok: false; message: string };

type Pending = (reply: LocalReply) => void;

/** The page's side of the worker: one request at a time per id, replies matched by id. */
class WorkerClient {
  private readonly worker = new Worker(new URL('./local-worker.ts', import.meta.url), { type: 'module' });
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor() {
    this.worker.addEventListener('message', (e: MessageEvent<LocalReply>) => {
      const done = this.pending.get(e.data.id);
      this.pending.delete(e.data.id);
      done?.(e.data);
    });
    this.worker.addEventListener('error', (e) => {
      const message = `the translation worker failed: ${e.message || 'unknown error'}`;
      for (const [id, done] of this.pending) done({ id, ok: false, message });
      this.pending.clear();
    });
  }

  request(req: LocalRequest, transfer: Transferable[] = []): Promise<LocalReply> {
    return new Promise((resolve, reject) => {
      this.pending.set(req.id, (reply) => (reply.ok ? resolve(reply) : reject(new Error(reply.message))));
      this.worker.postMessage(req, transfer);
    });
  }

  id(): number {
    return this.nextId++;
  }
}

let client: WorkerClient | null = null;

/** Read checkpoints from a URL (`?model=`). */
export async function fetchCheckpoint(url: string): Promise<LocalSource> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status} ${res.statusText}`);
  const name = decodeURIComponent(new URL(url, location.href).pathname.split('/').pop() ?? url);
  return { name, bytes: new Uint8Array(await res.arrayBuffer()) };
}

/** Load one or two checkpoints (at most one per kind) into the worker; the backend translates there. */
export async function loadLocalBackend(sources: readonly LocalSource[]): Promise<Backend & { engine: EngineInfo }> {
  client ??= new WorkerClient();
  const c = client;
  const reply = await c.request({ id: c.id(), type: 'load', sources: [...sources] }, sources.map((s) => s.bytes.buffer));
  if (!reply.ok || reply.type !== 'loaded') throw new Error('the translation worker did not load the models');
  return {
    mode: 'in-browser',
    engine: reply.engine,
    models: reply.models,
    async translate(kind, text, beam, attention = true) {
      const r = await c.request({ id: c.id(), type: 'translate', kind, text, beam, attention });
      if (!r.ok || r.type !== 'translated') throw new Error('the translation worker gave no translation');
      return r.result;
    },
    async explain(kind, text, opts) {
      const r = await c.request({ id: c.id(), type: 'explain', kind, text, opts });
      if (!r.ok || r.type !== 'explained') throw new Error('the translation worker gave no explanation');
      return r.result;
    },
  };
}
