/** Downloads against a local HTTP server on 127.0.0.1 (no outside network): resume, checksums, clear errors. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { download, DownloadError } from '../../src/data/download.js';
import { tempDir } from '../helpers/tmp.js';

const body = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 251));
const sha = createHash('sha256').update(body).digest('hex');
let server: http.Server;
let base = '';
const ranges: string[] = [];
let breakNext = false;

before(async () => {
  server = http.createServer((req, res) => {
    if (req.url !== '/file.bin') return void res.writeHead(404).end('no such file');
    const range = req.headers.range;
    ranges.push(range ?? '');
    const m = /^bytes=(\d+)-$/.exec(range ?? '');
    const from = m === null ? 0 : Number(m[1]);
    if (from >= body.length) return void res.writeHead(416).end();
    res.writeHead(m === null ? 200 : 206, { 'content-length': String(body.length - from), ...(m === null ? {} : { 'content-range': `bytes ${from}-${body.length - 1}/${body.length}` }) });
    if (breakNext) {
      // Send a part, then cut the connection: the client keeps what it got.
      breakNext = false;
      res.write(body.subarray(from, from + 70_000), () => res.destroy());
      return;
    }
    res.end(body.subarray(from));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const quiet = { progress: false, log: () => {} };

test('an interrupted download is resumed with a Range request and ends byte for byte', async () => {
  const dir = tempDir('dl');
  const file = path.join(dir, 'file.bin');
  ranges.length = 0;
  breakNext = true;
  await assert.rejects(download(`${base}/file.bin`, file, quiet), (e: unknown) => e instanceof DownloadError && /broke off after|got \d+ of 200000 bytes/.test(e.message) && /run the command again to resume/.test(e.message));
  const partial = fs.statSync(`${file}.part`).size;
  assert.ok(partial > 0 && partial < body.length, `partial file of ${partial} bytes`);
  const d = await download(`${base}/file.bin`, file, quiet);
  assert.deepEqual(ranges, ['', `bytes=${partial}-`]);
  assert.equal(d.resumedFrom, partial);
  assert.deepEqual(fs.readFileSync(file), body);
  assert.equal(d.sha256, sha);
  assert.equal(d.verified, false);
  assert.equal(fs.existsSync(`${file}.part`), false);
  // A finished file is reused, not fetched again.
  const again = await download(`${base}/file.bin`, file, { ...quiet, sha256: sha });
  assert.equal(ranges.length, 2);
  assert.equal(again.verified, true);
});

test('a wrong checksum deletes the file and says both digests', async () => {
  const file = path.join(tempDir('dl'), 'file.bin');
  const wrong = '0'.repeat(64);
  await assert.rejects(download(`${base}/file.bin`, file, { ...quiet, sha256: wrong }), (e: unknown) => e instanceof DownloadError && e.message.includes(sha) && e.message.includes(wrong));
  assert.equal(fs.existsSync(file), false);
});

test('no network, a refused connection or an HTTP error is one clear line naming the URL', async () => {
  const closed = http.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const dir = tempDir('dl');
  await assert.rejects(download(`http://127.0.0.1:${port}/x.zip`, path.join(dir, 'x.zip'), quiet), (e: unknown) => e instanceof DownloadError && e.message === `http://127.0.0.1:${port}/x.zip: cannot download: the connection was refused (ECONNREFUSED). Without network, fetch the file by hand and give its path with --url`);
  await assert.rejects(download(`${base}/missing.zip`, path.join(dir, 'm.zip'), quiet), (e: unknown) => e instanceof DownloadError && e.message === `${base}/missing.zip: the server answered 404 Not Found`);
});

test('a local path (a file fetched by hand) is copied', async () => {
  const dir = tempDir('dl');
  const src = path.join(dir, 'by-hand.bin');
  fs.writeFileSync(src, body);
  const d = await download(src, path.join(dir, 'out', 'file.bin'), { ...quiet, sha256: sha.toUpperCase() });
  assert.equal(d.verified, true);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'out', 'file.bin')), body);
  await assert.rejects(download(path.join(dir, 'nope.bin'), path.join(dir, 'out', 'n.bin'), quiet), /nope\.bin: no such file/);
});
