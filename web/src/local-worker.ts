/**
 * The in-browser translator's thread: a dedicated Web Worker that owns the engine and the loaded
 * models, so decoding (beam search over a long sentence takes a while) never blocks the page.
 * Requests and replies are `LocalRequest` / `LocalReply` (local.ts), matched by `id`.
 */
import { ModelRunner } from '../../src/server/model-core.js';
import type { ModelInfo, ModelKind } from '../../src/server/translator.js';
import type { LocalReply, LocalRequest } from './local.js';
import { startEngine } from './engine-start.js';

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
  if (req.type === 'explain') return { id: req.id, ok: true, type: 'explained', result: r.explain(req.text, req.opts) };
  const [result] = r.translate([req.text], { beam: req.beam, nbest: 1, attention: req.attention });
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
