import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Rng } from '../../src/engine/random.js';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointContents } from '../../src/model/checkpoint.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/model/checkpoint-file.js';
import { loadModel } from '../../src/model/model.js';
import { Seq2Seq } from '../../src/model/seq2seq.js';
import { checkpointOf, randomBatch, testVocab, tinyConfig } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'attnmt-ckpt-'));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Entry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Parse the safetensors header independently of the code under test. */
function header(bytes: Uint8Array): { len: number; json: Record<string, Entry>; meta: Record<string, string> } {
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const text = Buffer.from(bytes.subarray(8, 8 + len)).toString('utf8');
  const { __metadata__: meta, ...json } = JSON.parse(text) as { __metadata__: Record<string, string> } & Record<string, Entry>;
  return { len, json, meta };
}

test('round trip through a file gives the same config, vocabularies, extras and identical outputs', () => {
  const config = tinyConfig({ rnn: 'lstm', layers: 2, attention: 'general' });
  const model = new Seq2Seq(config, 3);
  const path = join(dir, 'model.safetensors');
  saveCheckpoint(path, checkpointOf(model));
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], 'no temporary file left behind');
  const c = loadCheckpoint(path);
  assert.deepEqual(c.config, config);
  assert.deepEqual(c.srcVocab.tokens, testVocab(11, 's').tokens);
  assert.deepEqual(c.tokenizer, { kind: 'word', lowercase: true });
  assert.deepEqual(c.metadata, { step: 42, bestBleu: 12.5 });
  assert.deepEqual(c.extraTensors?.get('optim.m.decoder.output.bias')?.toArray(), [1, 2, 3]);
  assert.equal(c.params.has('optim.m.decoder.output.bias'), false);
  const loaded = loadModel(c);
  const batch = randomBatch(new Rng(1), [5, 3], [4, 2], config.srcVocabSize, config.tgtVocabSize);
  assert.equal(loaded.loss(batch).nll, model.loss(batch).nll);
  for (const [n, p] of model.parameters()) assert.deepEqual(loaded.parameters().get(n)?.toArray(), p.toArray(), n);
});

test('the bytes follow the safetensors layout: aligned JSON header, F32 tensors back to back, string metadata', () => {
  const model = new Seq2Seq(tinyConfig(), 1);
  const bytes = encodeCheckpoint(checkpointOf(model));
  const { len, json, meta } = header(bytes);
  assert.equal(len % 8, 0);
  for (const v of Object.values(meta)) assert.equal(typeof v, 'string');
  const entries = Object.entries(json).sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0]);
  let end = 0;
  for (const [name, e] of entries) {
    assert.equal(e.dtype, 'F32');
    assert.equal(e.data_offsets[0], end, `${name} starts where the previous tensor ended`);
    end = e.data_offsets[1];
  }
  assert.equal(8 + len + end, bytes.length);
  const w = json['decoder.combine.weight'];
  assert.ok(w !== undefined);
  const start = 8 + len + w.data_offsets[0];
  const first = new DataView(bytes.buffer, bytes.byteOffset).getFloat32(start, true);
  assert.equal(first, model.parameters().get('decoder.combine.weight')?.data[0]);
});

test('corrupt and truncated files give errors naming the file and the problem', () => {
  const bytes = encodeCheckpoint(checkpointOf(new Seq2Seq(tinyConfig(), 1)));
  const { len, json, meta } = header(bytes);
  const write = (name: string, b: Uint8Array): string => {
    const p = join(dir, name);
    writeFileSync(p, b);
    return p;
  };
  const withHeader = (h: Record<string, Entry>, m: Record<string, string> | null = meta): Uint8Array => {
    const text = Buffer.from(JSON.stringify(m === null ? h : { __metadata__: m, ...h }));
    const out = new Uint8Array(8 + text.length + (bytes.length - 8 - len));
    new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
    out.set(text, 8);
    out.set(bytes.subarray(8 + len), 8 + text.length);
    return out;
  };
  assert.throws(() => loadCheckpoint(write('short.safetensors', bytes.subarray(0, 5))), /short\.safetensors: file is 5 bytes/);
  assert.throws(() => loadCheckpoint(write('cut.safetensors', bytes.subarray(0, 8 + len + 10))), /cut\.safetensors: tensor '.*' data_offsets .* outside/);
  assert.throws(() => loadCheckpoint(write('cuthead.safetensors', bytes.subarray(0, 100))), /cuthead\.safetensors: header length \d+ does not fit/);
  const badLen = bytes.slice();
  new DataView(badLen.buffer).setBigUint64(0, 1n << 60n, true);
  assert.throws(() => loadCheckpoint(write('len.safetensors', badLen)), /len\.safetensors: header length/);
  const badJson = bytes.slice();
  badJson[8] = 0x7d; // '}' first: not JSON
  assert.throws(() => loadCheckpoint(write('json.safetensors', badJson)), /json\.safetensors: header is not valid JSON/);
  const f16 = structuredClone(json);
  (f16['bridge.weight'] as { dtype: string }).dtype = 'F16';
  assert.throws(() => loadCheckpoint(write('dtype.safetensors', withHeader(f16))), /dtype\.safetensors: tensor 'bridge\.weight' has dtype "F16"/);
  const shape = structuredClone(json);
  const bw = shape['bridge.weight'] as { shape: number[] };
  bw.shape = [bw.shape[1] as number, bw.shape[0] as number, 1];
  assert.throws(() => loadCheckpoint(write('shape.safetensors', withHeader(shape))), /shape\.safetensors: weights do not match the config: parameter 'bridge\.weight' has shape \[8, 8, 1\], the config needs \[8, 8\]$/);
  const missing = structuredClone(json);
  delete missing['decoder.output.bias'];
  assert.throws(() => loadCheckpoint(write('missing.safetensors', withHeader(missing))), /missing parameter 'decoder\.output\.bias'/);
  const badConfig = { ...meta, config: JSON.stringify({ ...JSON.parse(meta['config'] as string), attention: 'cosine' }) };
  assert.throws(() => loadCheckpoint(write('cfg.safetensors', withHeader(json, badConfig))), /cfg\.safetensors: __metadata__\.config: invalid model configuration: attention: Invalid option/);
  assert.throws(() => loadCheckpoint(write('plain.safetensors', withHeader(json, null))), /plain\.safetensors: no __metadata__/);
  assert.throws(() => decodeCheckpoint(new Uint8Array(readFileSync(join(dir, 'len.safetensors'))), 'upload.bin'), /^CheckpointError: upload\.bin: /);
  assert.throws(() => loadCheckpoint(join(dir, 'absent.safetensors')), /absent\.safetensors: no such model file/);
});

test('checkpoint from another config is rejected by loadModel with the parameter names', () => {
  const c = checkpointOf(new Seq2Seq(tinyConfig(), 1));
  const other = loadCheckpoint(saveAndPath(c));
  other.config = tinyConfig({ attention: 'dot' });
  assert.throws(() => loadModel(other), /unexpected tensor 'decoder\.attention\.query\.weight'/);
});

function saveAndPath(c: CheckpointContents): string {
  const p = join(dir, 'other.safetensors');
  saveCheckpoint(p, c);
  return p;
}
