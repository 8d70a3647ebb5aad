import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildServer } from '../../src/server/app.js';
import { createModelTranslator } from '../../src/server/model-translator.js';
import { ModelRunner } from '../../src/server/model-core.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import type { TranslationResult } from '../../src/server/translator.js';
import { writeTinyCheckpoint } from '../helpers/tiny-checkpoint.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnmt-serve-'));
const attentionFile = writeTinyCheckpoint({ dir });
const baselineFile = writeTinyCheckpoint({ dir, attention: 'none' });

interface Reply {
  model: string;
  translations: TranslationResult[];
}

async function translate(url: string, body: unknown): Promise<{ status: number; json: Reply }> {
  const res = await fetch(`${url}translate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Reply };
}

function checkAttention(t: TranslationResult): void {
  assert.ok(t.weights !== null);
  assert.equal(t.weights.length, t.target_tokens.length);
  for (const row of t.weights) {
    assert.equal(row.length, t.source_tokens.length);
    const sum = row.reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-3, `row sums to ${sum}`);
    assert.ok(row.every((w) => w >= 0 && w <= 1));
  }
}

describe('serving real checkpoints', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer({ models: [baselineFile, attentionFile], port: 0, staticDir: null, log: () => undefined });
  });
  after(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('binds to 127.0.0.1 and tells the two models apart by their config', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const model = (await (await fetch(`${server.url}model`)).json()) as { models: Record<string, { name: string; kind: string; parameters: number }> };
    assert.equal(model.models['attention']?.name, 'tiny-additive.safetensors');
    assert.equal(model.models['baseline']?.name, 'tiny-none.safetensors');
    assert.ok((model.models['attention']?.parameters ?? 0) > 0);
  });

  test('attention model: tokens, a full attention matrix, and the same answer as in-process decoding', async () => {
    const { status, json } = await translate(server.url, { text: 'The black cat ate the mouse', attention: true, beam: 2 });
    assert.equal(status, 200);
    const [t] = json.translations;
    assert.ok(t);
    assert.deepEqual(t.source_tokens, ['the', 'black', 'cat', 'ate', 'the', 'mouse', '</s>']);
    checkAttention(t);
    const local = ModelRunner.fromBytes(fs.readFileSync(attentionFile), 'x').translate(['The black cat ate the mouse'], { beam: 2, nbest: 1, attention: true });
    assert.deepEqual(t, local[0]);
  });

  test('n-best lists from beam search, best first', async () => {
    const { status, json } = await translate(server.url, { texts: ['a small house', 'i am hungry'], beam: 4, nbest: 3 });
    assert.equal(status, 200);
    for (const t of json.translations) {
      assert.ok(t.nbest && t.nbest.length >= 1 && t.nbest.length <= 3);
      assert.equal(t.nbest[0]?.text, t.text);
      assert.equal(t.weights, null);
    }
  });

  test('the baseline has no attention weights', async () => {
    const { status, json } = await translate(server.url, { text: 'the cat', model: 'baseline', attention: true });
    assert.equal(status, 200);
    assert.equal(json.model, 'baseline');
    assert.equal(json.translations[0]?.weights, null);
    assert.deepEqual(json.translations[0]?.source_tokens, ['the', 'cat', '</s>']);
  });

  test('50 parallel requests get the answers sequential requests get', async () => {
    const sentences = ['the cat', 'the black cat', 'a small house', 'i am hungry', 'the white dog sees the cat'];
    const expected = new Map<string, string>();
    for (const s of sentences) expected.set(s, (await translate(server.url, { text: s })).json.translations[0]?.text ?? '');
    const texts = Array.from({ length: 50 }, (_, i) => sentences[i % sentences.length] ?? '');
    const replies = await Promise.all(texts.map((text) => translate(server.url, { text })));
    replies.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.equal(r.json.translations[0]?.text, expected.get(texts[i] ?? ''));
    });
  });

  test('/health answers while a batch is being translated', async () => {
    const long = translate(server.url, { texts: Array.from({ length: 8 }, () => 'the white dog sees the black cat'), beam: 4 });
    const health = await fetch(`${server.url}health`);
    assert.equal(health.status, 200);
    assert.equal(((await health.json()) as { status: string }).status, 'ok');
    assert.equal((await long).status, 200);
  });
});

describe('loading problems', () => {
  test('a corrupt checkpoint is reported with its name', async () => {
    const bad = path.join(os.tmpdir(), `attnmt-bad-${process.pid}.safetensors`);
    fs.writeFileSync(bad, 'not a checkpoint');
    try {
      await assert.rejects(createModelTranslator(bad), (err: Error) => err.name === 'CheckpointError' && err.message.includes(bad));
    } finally {
      fs.rmSync(bad, { force: true });
    }
  });

  test('two models of the same kind are refused', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'attnmt-same-'));
    const a = writeTinyCheckpoint({ dir: d });
    try {
      const b = writeTinyCheckpoint({ dir: d, name: 'other.safetensors' });
      await assert.rejects(startServer({ models: [a, b], port: 0, staticDir: null, log: () => undefined }), /both attention models; give one of each/);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });

  test('a worker translator closes and refuses further work', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'attnmt-close-'));
    const t = await createModelTranslator(writeTinyCheckpoint({ dir: d }));
    try {
      const app = buildServer({ translators: { attention: t }, staticDir: null });
      await app.ready();
      await app.close();
      await t.close?.();
      await assert.rejects(t.translate(['the cat'], { beam: 1, nbest: 1, attention: false }), /closed/);
    } finally {
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
