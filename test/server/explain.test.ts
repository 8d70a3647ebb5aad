/** POST /explain: the object `attnmt explain --json` writes, from the real worker-thread translator; refusals. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { buildServer } from '../../src/server/app.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { openTranslator } from '../../src/translate/open.js';
import { writeTinyCheckpoint } from '../helpers/tiny-checkpoint.js';
import { tempDir } from '../helpers/tmp.js';
import { FakeTranslator } from './fake-translator.js';

async function explain(base: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${base}explain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('POST /explain with an attention model and a baseline', () => {
  let server: RunningServer;
  let attention = '';
  let baseline = '';
  before(async () => {
    const dir = tempDir('explain-server');
    attention = writeTinyCheckpoint({ dir, seed: 9 });
    baseline = writeTinyCheckpoint({ dir, seed: 9, attention: 'none' });
    await initEngine({ threads: 1 }); // the worker's engine: the same numbers here
    server = await startServer({ models: [attention, baseline], port: 0, staticDir: null, log: () => undefined });
  });
  after(async () => {
    await server.close();
    await shutdownEngine();
  });

  test('returns what the library (and explain --json) gives, for each model and option', async () => {
    const requests = [
      { body: { text: 'the black cat ate the mouse' }, file: attention, opts: {} },
      { body: { text: 'the black cat ate the mouse', target: 'le chat noir a mangé la souris', top: 2, step: 3 }, file: attention, opts: { target: 'le chat noir a mangé la souris', top: 2, step: 3 } },
      { body: { text: 'a small house', beam: 3 }, file: attention, opts: { beam: 3 } },
      { body: { text: 'a small house', model: 'baseline' }, file: baseline, opts: {} },
    ];
    for (const r of requests) {
      const res = await explain(server.url, r.body);
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.deepEqual(res.json, JSON.parse(JSON.stringify(openTranslator(r.file).explain(r.body.text, r.opts))));
    }
  });

  test('bad requests get 400 with a message naming the problem', async () => {
    const cases: [unknown, RegExp][] = [
      [{}, /"text" is missing/],
      [{ text: 'the cat', foo: 1 }, /unknown option "foo" \(allowed: text, target, top, step, beam, layer, model\)/],
      [{ text: 'the cat', step: 50 }, /step 50 does not exist: this translation has steps 1\.\.\d+/],
      [{ text: 'the cat', target: ' ' }, /"target" is empty/],
      [{ text: 'the cat', target: 'le chat', beam: 2 }, /either a target to force or a beam size/],
      [{ text: 'the cat', top: 500 }, /"top" must be <= 50/],
      [{ text: 'the cat', layer: 0 }, /only a Transformer/],
    ];
    for (const [body, message] of cases) {
      const res = await explain(server.url, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.match(String(res.json['message']), message);
    }
  });
});

describe('POST /explain without an explaining translator', () => {
  let app: FastifyInstance;
  let base = '';
  before(async () => {
    app = buildServer({ translators: { attention: new FakeTranslator('attention') }, staticDir: null });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    assert.ok(addr !== null && typeof addr === 'object');
    base = `http://127.0.0.1:${addr.port}/`;
  });
  after(() => app.close());

  test('says the model cannot explain, and that a model is not loaded', async () => {
    assert.deepEqual(await explain(base, { text: 'the cat' }), { status: 400, json: { statusCode: 400, error: 'Bad Request', message: 'model "attention" cannot explain its steps' } });
    const res = await explain(base, { text: 'the cat', model: 'baseline' });
    assert.equal(res.status, 400);
    assert.match(String(res.json['message']), /model "baseline" is not loaded/);
  });
});
