/** POST /translate with "attention": "all": every layer's and head's attention of a Transformer, through the server's worker. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { ModelRunner } from '../../src/server/model-core.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import type { TranslationResult } from '../../src/server/translator.js';
import { tempDir } from '../helpers/tmp.js';
import { writeTinyCheckpoint, writeTinyTransformer } from '../helpers/tiny-checkpoint.js';

const dir = tempDir('serve-heads');
const transformerFile = writeTinyTransformer({ dir, layers: [2, 3] });
const baselineFile = writeTinyCheckpoint({ dir, attention: 'none' });
let server: RunningServer;

async function post(body: unknown): Promise<{ status: number; json: { translations?: TranslationResult[]; message?: string } }> {
  const res = await fetch(`${server.url}translate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as { translations?: TranslationResult[]; message?: string } };
}

before(async () => {
  server = await startServer({ models: [transformerFile, baselineFile], port: 0, staticDir: null, log: () => undefined });
});
after(async () => {
  await server.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('"attention": "all" returns cross, encoder_self and decoder_self [layer][head][query][key], as in-process decoding gives them', async () => {
  const { status, json } = await post({ text: 'the black cat ate the mouse', attention: 'all', beam: 2 });
  assert.equal(status, 200, json.message);
  const t = json.translations?.[0];
  assert.ok(t !== undefined && t.cross !== undefined && t.encoder_self !== undefined && t.decoder_self !== undefined);
  const S = t.source_tokens.length;
  const T = t.target_tokens.length;
  assert.deepEqual([t.cross.length, t.cross[0]?.length, t.cross[0]?.[0]?.length, t.cross[0]?.[0]?.[0]?.length], [3, 2, T, S]);
  assert.deepEqual([t.encoder_self.length, t.encoder_self[0]?.[0]?.length, t.encoder_self[0]?.[0]?.[0]?.length], [2, S, S]);
  assert.deepEqual([t.decoder_self.length, t.decoder_self[0]?.[0]?.length, t.decoder_self[0]?.[0]?.[0]?.length], [3, T, T]);
  assert.equal(t.alignment_layer, 1);
  assert.deepEqual(t.decoder_tokens, ['<s>', ...t.target_tokens.slice(0, -1)]);
  for (const layer of [...t.cross, ...t.encoder_self, ...t.decoder_self]) {
    for (const head of layer) for (const row of head) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-3);
  }
  const local = ModelRunner.fromBytes(new Uint8Array(fs.readFileSync(transformerFile)), 'local').translate(['the black cat ate the mouse'], { beam: 2, nbest: 1, attention: 'all' })[0];
  assert.equal(t.text, local?.text);
  // The same numbers up to float rounding (the server's worker may split its GEMMs differently).
  const close = (a: number[][][][] | undefined, b: number[][][][] | undefined): void =>
    assert.ok(a !== undefined && b !== undefined && a.flat(3).length === b.flat(3).length && a.flat(3).every((x, i) => Math.abs(x - (b.flat(3)[i] ?? NaN)) < 1e-4));
  close(t.cross, local?.cross);
  close(t.encoder_self, local?.encoder_self);
  close(t.decoder_self, local?.decoder_self);
});

test('"attention": true gives the weights only; the baseline has no heads; other values are refused by name', async () => {
  const plain = (await post({ text: 'the black cat', attention: true })).json.translations?.[0];
  assert.ok(plain?.weights !== null && plain?.weights !== undefined);
  assert.equal(plain?.cross, undefined);
  const base = (await post({ text: 'the black cat', attention: 'all', model: 'baseline' })).json.translations?.[0];
  assert.equal(base?.weights, null);
  assert.equal(base?.cross, undefined);
  const bad = await post({ text: 'the black cat', attention: 'heads' });
  assert.equal(bad.status, 400);
  assert.match(bad.json.message ?? '', /"attention" must be one of true, false, "all"/);
});
