/**
 * `data get` against a local HTTP server on 127.0.0.1 serving small fixtures made here (a zip like the
 * PyTorch tutorial's data.zip, gzipped Multi30k files): the output has the layout and format the configs
 * read, and MANIFEST.json records what was downloaded.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { zipSync } from 'fflate';
import { getCorpus } from '../../src/data/corpora.js';
import { DownloadError } from '../../src/data/download.js';
import { readTsv } from '../../src/data/readers.js';
import { loadConfig } from '../../src/train/config.js';
import { tempDir } from '../helpers/tmp.js';
import { NODE_FLAGS } from '../helpers/node.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

// 150 English sentences, most with two French translations; one malformed line.
const english = Array.from({ length: 150 }, (_, i) => `Sentence number ${i}.`);
const pairs = english.flatMap((en, i) => [`${en}\tPhrase numéro ${i}.`, ...(i % 3 === 0 ? [] : [`${en}\tLa phrase ${i}.`])]);
const engFra = `${pairs.slice(0, 10).join('\n')}\nno tab here\n${pairs.slice(10).join('\r\n')}\n`;
const zip = Buffer.from(zipSync({ 'data/eng-fra.txt': new TextEncoder().encode(engFra), 'data/names/French.txt': new TextEncoder().encode('Abel\n') }));
const multi: Record<string, string> = {};
for (const split of ['train', 'val', 'test_2016_flickr']) {
  for (const lang of ['en', 'de', 'fr']) multi[`${split}.${lang}`] = Array.from({ length: split === 'train' ? 20 : 5 }, (_, i) => `${lang} ${split} ${i}`).join('\n') + '\n';
}
let server: http.Server;
let base = '';
const served: string[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    const url = req.url ?? '';
    served.push(url);
    if (url === '/tutorial/data.zip') return void res.writeHead(200, { 'content-length': String(zip.length) }).end(zip);
    const m = /^\/raw\/(.+)\.gz$/.exec(url);
    const text = m === null ? undefined : url.includes('broken') ? undefined : multi[m[1] as string];
    if (text === undefined) return void res.writeHead(404).end();
    const gz = gzipSync(Buffer.from(text));
    res.writeHead(200, { 'content-length': String(gz.length) }).end(gz);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const quiet = { progress: false, log: () => {} };

/** Run the CLI without blocking this process (its HTTP server must keep answering). */
function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('tatoeba-eng-fra: train.tsv and dev.tsv split on unique English sentences, as configs/tatoeba-*.yaml read them', async () => {
  const out = tempDir('tatoeba');
  const manifest = await getCorpus('tatoeba-eng-fra', { out, url: `${base}/tutorial/data.zip`, ...quiet });
  const train = readTsv(path.join(out, 'train.tsv')).pairs;
  const dev = readTsv(path.join(out, 'dev.tsv')).pairs;
  assert.equal(train.length + dev.length, pairs.length);
  const devSources = new Set(dev.map((p) => p.src));
  assert.equal(devSources.size, 15); // a tenth of 150 unique sources (2,000 for the real corpus)
  assert.ok(train.every((p) => !devSources.has(p.src)), 'no English sentence on both sides');
  assert.ok(dev.filter((p) => p.src === dev[0]?.src).length >= 1);
  assert.equal(manifest.downloads[0]?.sha256, createHash('sha256').update(zip).digest('hex'));
  assert.equal(manifest.downloads[0]?.url, `${base}/tutorial/data.zip`);
  assert.deepEqual(manifest.files.map((f) => f.file), ['train.tsv', 'dev.tsv']);
  assert.match(manifest.notes[0] ?? '', /data\/eng-fra\.txt: 250 pairs of 150 unique English sentences \(1 lines without two columns skipped\)/);
  assert.deepEqual(JSON.parse(fs.readFileSync(path.join(out, 'MANIFEST.json'), 'utf8')), manifest);
  // The configs' data paths point at data/tatoeba-eng-fra next to configs/.
  const cfg = loadConfig(path.join(ROOT, 'configs', 'tatoeba-eng-fra.yaml'));
  assert.equal(path.resolve(cfg.data.train), path.join(ROOT, 'data', 'tatoeba-eng-fra', 'train.tsv'));
});

test('multi30k: the nine files, gunzipped and line-aligned; a missing file names its URL', async () => {
  const out = tempDir('multi30k');
  const manifest = await getCorpus('multi30k', { out, url: `${base}/raw/`, ...quiet });
  for (const [name, text] of Object.entries(multi)) assert.equal(fs.readFileSync(path.join(out, name), 'utf8'), text);
  assert.equal(manifest.downloads.length, 9);
  assert.deepEqual(manifest.files.find((f) => f.file === 'val.de')?.lines, 5);
  const cfg = loadConfig(path.join(ROOT, 'configs', 'multi30k-en-de.yaml'));
  assert.equal(path.resolve(cfg.data.dev ?? ''), path.join(ROOT, 'data', 'multi30k', 'val'));
  await assert.rejects(getCorpus('multi30k', { out: tempDir('m2'), url: `${base}/broken/`, ...quiet }), (e: unknown) => e instanceof DownloadError && e.message === `${base}/broken/train.en.gz: the server answered 404 Not Found`);
});

test('data get seed writes exactly the data/seed that ships (configs/tiny.yaml trains on it)', async () => {
  const out = tempDir('seed');
  await getCorpus('seed', { out, ...quiet });
  for (const f of ['train.tsv', 'dev.tsv', 'test.tsv', 'test.align']) {
    assert.ok(fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(ROOT, 'data', 'seed', f))), `data/seed/${f} is what data get seed writes`);
  }
  const cfg = loadConfig(path.join(ROOT, 'configs', 'tiny.yaml'));
  assert.ok(fs.existsSync(cfg.data.train), `${cfg.data.train} exists`);
});

test('attnmt data get: a clear error without network, exit 1; a download prints its checksum', async () => {
  const out = tempDir('cli');
  const ok = await run(['data', 'get', 'tatoeba-eng-fra', '--out', out, '--url', `${base}/tutorial/data.zip`]);
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, /data\.zip: \d+ bytes, sha256 [0-9a-f]{64}/);
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const offline = await run(['data', 'get', 'multi30k', '--out', tempDir('cli'), '--url', `http://127.0.0.1:${port}/raw/`]);
  assert.equal(offline.status, 1);
  assert.equal(offline.stderr, `error: http://127.0.0.1:${port}/raw/train.en.gz: cannot download: the connection was refused (ECONNREFUSED). Without network, fetch the file by hand and give its path with --url\n`);
  const bad = await run(['data', 'get', 'wmt14']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /Allowed choices are seed, tatoeba-eng-fra, multi30k/);
});
