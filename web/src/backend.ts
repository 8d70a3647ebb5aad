/**
 * Where translations come from: the attnmt server (`/model`, `/translate`) or checkpoints loaded
 * into the page (in-browser mode). Both give the server's JSON shapes.
 */
import type { ExplainResult } from '../../src/translate/explain.js';
import type { ExplainRequest, ModelInfo, ModelKind, TranslationResult } from '../../src/server/translator.js';

export interface Backend {
  /** 'server' or 'in-browser'. */
  readonly mode: string;
  readonly models: Partial<Record<ModelKind, ModelInfo>>;
  /** `beam` undefined: the model's own (its checkpoint's decoding settings); `attention` 'all': every head too (a Transformer's). */
  translate(kind: ModelKind, text: string, beam: number | undefined, attention?: true | 'all'): Promise<TranslationResult>;
  /** Every decoder step of one sentence (POST /explain's object). */
  explain(kind: ModelKind, text: string, opts: ExplainRequest): Promise<ExplainResult>;
}

interface ErrorReply {
  message?: string;
}

/** The server this page came from, if it answers GET /model. */
export async function connectServer(base = ''): Promise<Backend | null> {
  let models: Partial<Record<ModelKind, ModelInfo>>;
  try {
    const res = await fetch(`${base}/model`, { headers: { accept: 'application/json' } });
    if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return null;
    models = ((await res.json()) as { models: Partial<Record<ModelKind, ModelInfo>> }).models;
  } catch {
    return null;
  }
  return {
    mode: 'server',
    models,
    async translate(kind, text, beam, attention = true) {
      const res = await fetch(`${base}/translate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text, ...(beam === undefined ? {} : { beam }), attention, model: kind }),
      });
      const json = (await res.json()) as { translations?: TranslationResult[] } & ErrorReply;
      const t = json.translations?.[0];
      if (!res.ok || t === undefined) throw new Error(json.message ?? `server answered ${res.status}`);
      return t;
    },
    async explain(kind, text, opts) {
      const res = await fetch(`${base}/explain`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text, ...opts, model: kind }),
      });
      const json = (await res.json()) as ExplainResult & ErrorReply;
      if (!res.ok) throw new Error(json.message ?? `server answered ${res.status}`);
      return json;
    },
  };
}
