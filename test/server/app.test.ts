import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/server/app.js';
import { FakeTranslator } from './fake-translator.js';

async function start(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  assert.ok(addr !== null && typeof addr === 'object');
  return `http://127.0.0.1:${addr.port}`;
}

interface Json {
  [k: string]: unknown;
}

async function post(base: string, body: unknown, raw = false): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${base}/translate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw ? String(body) : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

interface Translation {
  text: string;
  source_tokens: string[];
  target_tokens: string[];
  weights: number[][] | null;
  score: number;
  nbest?: { text: string; score: number }[];
}

function translations(json: Json): Translation[] {
  return json['translations'] as Translation[];
}

describe('API with one attention model', () => {
  const fake = new FakeTranslator('attention');
  const app = buildServer({ translators: { attention: fake }, staticDir: null, limits: { maxSentences: 4, maxChars: 50 } });
  let base = '';
  before(async () => {
    base = await start(app);
  });
  after(() => app.close());

  test('translates one sentence with its attention matrix', async () => {
    const { status, json } = await post(base, { text: 'the black cat', attention: true });
    assert.equal(status, 200);
    assert.equal(json['model'], 'attention');
    const [t] = translations(json);
    assert.ok(t);
    assert.equal(t.text, 'CAT BLACK THE');
    assert.deepEqual(t.source_tokens, ['the', 'black', 'cat', '</s>']);
    assert.deepEqual(t.target_tokens, ['CAT', 'BLACK', 'THE', '</s>']);
    assert.deepEqual(t.weights, [
      [0, 0, 1, 0],
      [0, 1, 0, 0],
      [1, 0, 0, 0],
      [0, 0, 0, 1],
    ]);
    assert.equal(t.score, -3);
    assert.equal('nbest' in t, false);
  });

  test('a list of sentences comes back in order; no weights unless asked', async () => {
    const { status, json } = await post(base, { texts: ['a b', 'c', 'd e f'] });
    assert.equal(status, 200);
    assert.deepEqual(translations(json).map((t) => t.text), ['B A', 'C', 'F E D']);
    assert.deepEqual(translations(json).map((t) => t.weights), [null, null, null]);
  });

  test('nbest > 1 adds the n-best list', async () => {
    const { status, json } = await post(base, { text: 'x y', beam: 3, nbest: 3 });
    assert.equal(status, 200);
    const [t] = translations(json);
    assert.deepEqual(t?.nbest?.map((h) => [h.text, h.score]), [
      ['Y X', -2],
      ['Y#1 X#1', -3],
      ['Y#2 X#2', -4],
    ]);
  });

  test('GET /model and /health describe the server', async () => {
    const model = (await (await fetch(`${base}/model`)).json()) as Json;
    const models = model['models'] as Record<string, Json>;
    assert.deepEqual(Object.keys(models), ['attention']);
    assert.equal(models['attention']?.['name'], 'fake-attention');
    assert.equal((model['limits'] as Json)['maxSentences'], 4);
    const health = await fetch(`${base}/health`);
    assert.equal(health.status, 200);
    const h = (await health.json()) as Json;
    assert.equal(h['status'], 'ok');
    assert.deepEqual(h['models'], ['attention']);
    assert.equal(h['pending'], 0);
  });

  const badRequests: [string, unknown, RegExp, boolean?][] = [
    ['malformed JSON', '{"text": "a', /not valid JSON/, true],
    ['a JSON array', '["a"]', /request body must be a JSON object/, true],
    ['text of the wrong type', { text: 5 }, /"text" must be of type string/],
    ['texts not a list', { texts: 'a b' }, /"texts" must be of type array/],
    ['a non-string in texts', { texts: ['a', 3] }, /"texts.1" must be of type string/],
    ['empty text', { text: '' }, /"text" is empty/],
    ['blank text', { text: '   ' }, /"text" is empty/],
    ['empty sentence in texts', { texts: ['a', ''] }, /"texts.1" is empty/],
    ['empty list', { texts: [] }, /"texts" is an empty list/],
    ['too long text', { text: 'a'.repeat(51) }, /"text" is too long \(at most 50 characters\)/],
    ['too many sentences', { texts: ['a', 'b', 'c', 'd', 'e'] }, /too many sentences in "texts" \(at most 4 per request\)/],
    ['unknown option', { text: 'a', temperature: 2 }, /unknown option "temperature"/],
    ['neither text nor texts', { beam: 2 }, /exactly one of "text"/],
    ['both text and texts', { text: 'a', texts: ['b'] }, /exactly one of "text"/],
    ['beam 0', { text: 'a', beam: 0 }, /"beam" must be >= 1/],
    ['fractional beam', { text: 'a', beam: 1.5 }, /"beam" must be of type integer/],
    ['beam as a string', { text: 'a', beam: '2' }, /"beam" must be of type integer/],
    ['huge beam', { text: 'a', beam: 1000 }, /"beam" must be <= 16/],
    ['nbest above beam', { text: 'a', beam: 2, nbest: 3 }, /"nbest" \(3\) cannot be larger than "beam" \(2\)/],
    ['attention neither a boolean nor "all"', { text: 'a', attention: 'yes' }, /"attention" must be one of true, false, "all"/],
    ['unknown model', { text: 'a', model: 'gpt' }, /"model" must be one of "attention", "baseline"/],
    ['a model that is not loaded', { text: 'a', model: 'baseline' }, /model "baseline" is not loaded \(loaded: attention\)/],
    ['input the translator refuses', { text: 'a BADWORD' }, /the word BADWORD is not allowed/],
  ];
  for (const [name, body, message, raw] of badRequests) {
    test(`400 for ${name}`, async () => {
      const { status, json } = await post(base, body, raw);
      assert.equal(status, 400, JSON.stringify(json));
      assert.equal(json['error'], 'Bad Request');
      assert.match(String(json['message']), message);
    });
  }

  test('400 for a missing body and 415 for a non-JSON body', async () => {
    const none = await fetch(`${base}/translate`, { method: 'POST' });
    assert.equal(none.status, 400);
    assert.match(String(((await none.json()) as Json)['message']), /request body must be a JSON object/);
    const text = await fetch(`${base}/translate`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
    assert.equal(text.status, 415);
  });

  test('500 with a message when the translator fails', async () => {
    const { status, json } = await post(base, { text: 'CRASH' });
    assert.equal(status, 500);
    assert.equal(json['message'], 'internal error: kaboom');
  });

  test('50 parallel requests all get their own answer', async () => {
    const sentences = Array.from({ length: 50 }, (_, i) => `w${i} x${i * 7}`);
    const results = await Promise.all(sentences.map((text) => post(base, { text, attention: true })));
    results.forEach(({ status, json }, i) => {
      assert.equal(status, 200);
      assert.equal(translations(json)[0]?.text, `X${i * 7} W${i}`);
    });
  });

  test('unknown routes are 404, the page is absent without a build', async () => {
    assert.equal((await fetch(`${base}/nope`)).status, 404);
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 404);
    assert.match(await page.text(), /npm run build:web/);
  });
});

describe('limits', () => {
  test('bodies over the limit get 413', async () => {
    const app = buildServer({ translators: { attention: new FakeTranslator() }, staticDir: null, limits: { bodyLimit: 1024 } });
    const base = await start(app);
    try {
      const { status, json } = await post(base, { text: 'a '.repeat(600) });
      assert.equal(status, 413);
      assert.match(String(json['message']), /larger than 1024 bytes/);
      assert.equal((await post(base, { text: 'a b' })).status, 200);
    } finally {
      await app.close();
    }
  });

  test('a translation past the timeout gets 504 and the work is aborted', async () => {
    const fake = new FakeTranslator();
    const app = buildServer({ translators: { attention: fake }, staticDir: null, limits: { timeoutMs: 50 } });
    const base = await start(app);
    try {
      const { status, json } = await post(base, { text: 'HANG' });
      assert.equal(status, 504);
      assert.match(String(json['message']), /did not finish within 50 ms/);
      assert.equal(fake.aborted, 1);
    } finally {
      await app.close();
    }
  });

  test('/health answers while a long translation runs', async () => {
    const fake = new FakeTranslator();
    const app = buildServer({ translators: { attention: fake }, staticDir: null });
    const base = await start(app);
    try {
      const started = fake.slowStarted();
      const slow = post(base, { text: 'a SLOW one' });
      await started;
      const health = await fetch(`${base}/health`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as Json)['pending'], 1);
      fake.release();
      const { status, json } = await slow;
      assert.equal(status, 200);
      assert.equal(translations(json)[0]?.text, 'ONE SLOW A');
    } finally {
      await app.close();
    }
  });
});

describe('two models', () => {
  test('the model option picks attention or baseline', async () => {
    const app = buildServer({
      translators: { attention: new FakeTranslator('attention'), baseline: new FakeTranslator('baseline', '_b') },
      staticDir: null,
    });
    const base = await start(app);
    try {
      const a = await post(base, { text: 'le chat' });
      const b = await post(base, { text: 'le chat', model: 'baseline' });
      assert.equal(translations(a.json)[0]?.text, 'CHAT LE');
      assert.equal(a.json['model'], 'attention');
      assert.equal(translations(b.json)[0]?.text, 'CHAT_b LE_b');
      assert.equal(b.json['model'], 'baseline');
      const model = (await (await fetch(`${base}/model`)).json()) as Json;
      assert.deepEqual(Object.keys(model['models'] as Json), ['attention', 'baseline']);
    } finally {
      await app.close();
    }
  });

  test('a server needs at least one translator', () => {
    assert.throws(() => buildServer({ translators: {} }), /no translator given/);
  });
});

/** GET with the path sent exactly as written (fetch would normalize "..").  */
function rawGet(base: string, p: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const req = http.request({ host: url.hostname, port: url.port, path: p, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: String(res.headers['content-type']) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('static page', () => {
  test('serves index.html and assets, nothing outside the directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnmt-static-'));
    const root = path.join(dir, 'dist');
    fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>attnmt</title>');
    fs.writeFileSync(path.join(root, 'assets', 'app-1234.js'), 'console.log(1)');
    fs.writeFileSync(path.join(dir, 'secret.txt'), 'secret');
    const app = buildServer({ translators: { attention: new FakeTranslator() }, staticDir: root });
    const base = await start(app);
    try {
      const index = await rawGet(base, '/');
      assert.equal(index.status, 200);
      assert.match(index.type, /text\/html/);
      assert.equal(index.body, '<!doctype html><title>attnmt</title>');
      const js = await rawGet(base, '/assets/app-1234.js?v=1');
      assert.equal(js.status, 200);
      assert.match(js.type, /text\/javascript/);
      for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/missing.js']) {
        const r = await rawGet(base, p);
        assert.equal(r.status, 404, p);
        assert.notEqual(r.body, 'secret', p);
      }
    } finally {
      await app.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
