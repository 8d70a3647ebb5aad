/**
 * The server under hostile-but-fair use, over real HTTP on 127.0.0.1: clients that leave, a huge request next
 * to small ones, slow bodies, foreign Host headers (DNS rebinding), odd methods, bad bodies; and `attnmt serve`
 * refusing bad setups with one line and exit code 1.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildServer, type ServerLimits } from '../../src/server/app.js';
import { createModelTranslator, type PoolTranslator } from '../../src/server/model-translator.js';
import { FakeTranslator } from '../server/fake-translator.js';
import { writeTinyCheckpoint } from '../helpers/tiny-checkpoint.js';
import { tempDir } from '../helpers/tmp.js';
import { NODE_FLAGS } from '../helpers/node.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const dir = tempDir('robust-server');
const WORDS = ['the', 'black', 'cat', 'ate', 'mouse', 'white', 'dog', 'sees', 'a', 'small', 'house', 'i', 'am', 'hungry'];
/** n words of the tiny vocabulary. */
const sentence = (n: number): string => Array.from({ length: n }, (_, i) => WORDS[(i * 5) % WORDS.length]).join(' ');

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One HTTP request with any Host header and method (fetch cannot set Host). */
function request(port: number, opts: { method?: string; path?: string; host?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.host !== undefined) headers['host'] = opts.host;
    if (opts.body !== undefined) headers['content-type'] ??= 'application/json';
    const req = http.request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/health', headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Write raw bytes on a new connection; resolves with everything the server sent until it closed. */
function raw(port: number, data: string, opts: { keepOpenMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (got += d));
    socket.on('close', () => resolve(got));
    socket.on('error', reject);
    socket.write(data);
    if (opts.keepOpenMs === undefined) socket.end();
  });
}

async function listen(app: FastifyInstance): Promise<number> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  assert.ok(addr !== null && typeof addr === 'object');
  return addr.port;
}

function translateBody(body: unknown): { method: string; path: string; body: string } {
  return { method: 'POST', path: '/translate', body: JSON.stringify(body) };
}

describe('HTTP policy', () => {
  let app: FastifyInstance;
  let port: number;
  const page = path.join(dir, 'page');
  before(async () => {
    fs.mkdirSync(page, { recursive: true });
    fs.writeFileSync(path.join(page, 'index.html'), '<!doctype html><title>t</title>');
    app = buildServer({ translators: { attention: new FakeTranslator() }, staticDir: page, limits: { bodyTimeoutMs: 300, maxWork: 400 } });
    port = await listen(app);
  });
  after(async () => {
    await app.close();
  });

  test('loopback Host names are answered, any other gets 403 naming the host', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `[::1]:${port}`, `LOCALHOST:${port}`]) {
      assert.equal((await request(port, { host })).status, 200, host);
    }
    for (const host of [`evil.example:${port}`, 'attacker.test', `127.0.0.1.nip.io:${port}`, `192.168.1.5:${port}`]) {
      const r = await request(port, { host, ...translateBody({ text: 'the cat' }) });
      assert.equal(r.status, 403, host);
      const json = JSON.parse(r.body) as { message: string };
      assert.match(json.message, new RegExp(`Host "${host.replace(/\./g, '\\.')}" is not allowed.*--allowed-hosts`));
    }
  });

  test('--allowed-hosts adds names; on a public interface without a list any Host is answered', async () => {
    const named = buildServer({ translators: { attention: new FakeTranslator() }, staticDir: null, allowedHosts: ['mt.example.org'] });
    const open = buildServer({ translators: { attention: new FakeTranslator() }, staticDir: null, host: '0.0.0.0' });
    const guarded = buildServer({ translators: { attention: new FakeTranslator() }, staticDir: null, host: '0.0.0.0', allowedHosts: ['mt.example.org'] });
    try {
      const [p1, p2, p3] = [await listen(named), await listen(open), await listen(guarded)];
      assert.equal((await request(p1, { host: 'mt.example.org:8080' })).status, 200);
      assert.equal((await request(p1, { host: `localhost:${p1}` })).status, 200);
      assert.equal((await request(p1, { host: 'other.example.org' })).status, 403);
      assert.equal((await request(p2, { host: 'anything.example' })).status, 200);
      assert.equal((await request(p3, { host: 'mt.example.org' })).status, 200);
      assert.equal((await request(p3, { host: 'anything.example' })).status, 403);
    } finally {
      await Promise.all([named.close(), open.close(), guarded.close()]);
    }
  });

  test('methods other than GET, HEAD, POST get 405 with an Allow header, CONNECT and unknown methods too', async () => {
    for (const method of ['DELETE', 'PUT', 'PATCH', 'OPTIONS', 'PROPFIND']) {
      const r = await request(port, { method, path: '/translate' });
      assert.equal(r.status, 405, method);
      assert.equal(r.headers['allow'], 'GET, HEAD, POST');
      assert.match((JSON.parse(r.body) as { message: string }).message, new RegExp(`${method} is not allowed`));
    }
    const connect = await raw(port, `CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n`, { keepOpenMs: 1 });
    assert.match(connect, /^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    assert.match(connect, /Allow: GET, HEAD, POST/);
    const unknown = await raw(port, `FROB / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    assert.match(unknown, /^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    assert.equal((await request(port, { method: 'HEAD' })).status, 200);
  });

  test('a body that does not arrive within the body timeout gets 408 and the connection is closed', async () => {
    const started = Date.now();
    const got = await raw(port, `POST /translate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"text": "the`, { keepOpenMs: 1 });
    assert.match(got, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(got, /not received within 300 ms/);
    assert.ok(Date.now() - started < 20_000);
    const headersOnly = await raw(port, `GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n`, { keepOpenMs: 1 });
    assert.match(headersOnly, /^HTTP\/1\.1 408 /);
  });

  test('a translation slower than the body timeout still answers', async () => {
    const fake = new FakeTranslator();
    const slow = buildServer({ translators: { attention: fake }, staticDir: null, limits: { bodyTimeoutMs: 100 } });
    try {
      const p = await listen(slow);
      const started = fake.slowStarted();
      const answer = request(p, translateBody({ text: 'SLOW cat' }));
      await started;
      await new Promise((r) => setTimeout(r, 400));
      fake.release();
      assert.equal((await answer).status, 200);
    } finally {
      await slow.close();
    }
  });

  test('bad JSON, oversized bodies and too much work get 4xx with a message', async () => {
    const bad = await request(port, { method: 'POST', path: '/translate', body: '{"text": ' });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /not valid JSON/);
    const big = await request(port, translateBody({ text: 'x'.repeat(70 * 1024) }));
    assert.equal(big.status, 413);
    assert.match(big.body, /larger than 65536 bytes/);
    // maxWork 400: 10 sentences of 9 characters at beam 5 is 450 character-beams.
    const work = await request(port, translateBody({ texts: Array(10).fill('the cat x'), beam: 5 }));
    assert.equal(work.status, 413);
    assert.match((JSON.parse(work.body) as { message: string }).message, /too much work in one request: 10 sentence\(s\), 90 characters at beam 5 = 450 character-beams \(at most 400\)/);
    assert.equal((await request(port, translateBody({ texts: Array(8).fill('the cat x'), beam: 5 }))).status, 200);
    const type = await request(port, { method: 'POST', path: '/translate', body: 'the cat', headers: { 'content-type': 'text/plain' } });
    assert.equal(type.status, 415);
  });

  test('every answer says nosniff; the page has a CSP that forbids framing', async () => {
    const api = await request(port);
    assert.equal(api.headers['x-content-type-options'], 'nosniff');
    const html = await request(port, { path: '/' });
    assert.equal(html.status, 200);
    assert.equal(html.headers['x-content-type-options'], 'nosniff');
    const csp = String(html.headers['content-security-policy']);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.match(csp, /worker-src 'self' blob:/);
    assert.equal(html.headers['x-frame-options'], 'DENY');
  });

  test('/health reports the memory in use', async () => {
    const h = JSON.parse((await request(port)).body) as { rss_mb: number; heap_mb: number };
    assert.ok(h.rss_mb > 10 && h.rss_mb < 100_000, `rss_mb ${h.rss_mb}`);
    assert.ok(h.heap_mb > 0 && h.heap_mb <= h.rss_mb);
  });
});

describe('real worker threads: cancelling and fairness', () => {
  // Never emits end-of-sentence: every decode runs to 400 steps per source token (greedy), so a sentence of 150
  // words takes 60,000 steps and "the cat" 1,200.
  const long = writeTinyCheckpoint({ dir, name: 'long.safetensors', attention: 'none', neverEnds: true, decoding: { beam: 1, maxLenRatio: 400 } });
  const servers: FastifyInstance[] = [];

  async function serve(pool: Parameters<typeof createModelTranslator>[1], limits: Partial<ServerLimits> = {}): Promise<{ port: number; translator: PoolTranslator }> {
    const translator = await createModelTranslator(long, pool);
    const app = buildServer({ translators: { attention: translator }, staticDir: null, limits });
    app.addHook('onClose', async () => translator.close());
    servers.push(app);
    return { port: await listen(app), translator };
  }

  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  /** Wait until /health says `n` translations are in progress. */
  async function pending(port: number, n: number): Promise<void> {
    for (;;) {
      const h = JSON.parse((await request(port)).body) as { pending: number };
      if (h.pending === n) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** A POST /translate whose client goes away when `leave()` is called. */
  function leaving(port: number, body: unknown): { leave: () => void } {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/translate', headers: { 'content-type': 'application/json' }, agent: false });
    req.on('error', () => undefined);
    req.end(JSON.stringify(body));
    return { leave: () => req.destroy() };
  }

  test('a client that disconnects stops its decode and frees the worker', { timeout: 120_000 }, async () => {
    const { port, translator } = await serve({ workers: 1 });
    const client = leaving(port, { text: sentence(150) });
    await pending(port, 1);
    client.leave();
    await pending(port, 0);
    // The only worker takes the next request; the abandoned decode was stopped, not run to its end.
    const r = await request(port, translateBody({ text: 'the cat' }));
    assert.equal(r.status, 200, r.body);
    assert.equal(translator.stoppedChunks, 1);
  });

  test('a request queued behind a timed-out one gets 504, not 500', { timeout: 120_000 }, async () => {
    const { port, translator } = await serve({ workers: 1 }, { timeoutMs: 300 });
    const [a, b] = await Promise.all([request(port, translateBody({ text: sentence(150) })), request(port, translateBody({ text: 'the cat' }))]);
    for (const r of [a, b]) {
      assert.equal(r.status, 504, r.body);
      assert.match(r.body, /did not finish within 300 ms/);
    }
    // The worker reports the stopped decode (not a finished one) soon after; the test's timeout fails it otherwise.
    while (translator.stoppedChunks === 0) await new Promise((r) => setTimeout(r, 20));
    // The long decode was stopped; the short request was either still queued at its own deadline (never started)
    // or had just reached the freed worker and was stopped there too: which one depends on the machine's timing.
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(translator.stoppedChunks === 1 || translator.stoppedChunks === 2, `stopped chunks: ${translator.stoppedChunks}`);
  });

  test('fair: a small request finishes while a big one still runs (one worker, chunks interleave)', { timeout: 120_000 }, async () => {
    // Every sentence is a chunk of its own (chunkWork 1).
    const { port } = await serve({ workers: 1, chunkWork: 1 });
    const order: string[] = [];
    const big = request(port, translateBody({ texts: Array.from({ length: 8 }, () => sentence(12)) })).then((r) => {
      order.push('big');
      return r;
    });
    await pending(port, 1);
    const small = await request(port, translateBody({ text: 'the cat' }));
    order.push('small');
    assert.equal(small.status, 200);
    assert.equal((await big).status, 200);
    assert.deepEqual(order, ['small', 'big']);
  });

  test('fair: with two workers a small request is answered while long sentences hold the other', { timeout: 120_000 }, async () => {
    // shortWork 50: the second worker takes only chunks of at most 50 characters x beam.
    const { port, translator } = await serve({ workers: 2, shortWork: 50 });
    const big = leaving(port, { texts: [sentence(150), sentence(150), sentence(150), sentence(150)] });
    await pending(port, 1);
    const r = await request(port, translateBody({ text: 'the cat' }));
    assert.equal(r.status, 200, r.body);
    const h = JSON.parse((await request(port)).body) as { pending: number };
    assert.equal(h.pending, 1, 'the big request is still running');
    big.leave();
    await pending(port, 0);
    while (translator.stoppedChunks === 0) await new Promise((r) => setTimeout(r, 20));
    assert.equal(translator.stoppedChunks, 1);
  });
});

describe('attnmt serve refuses bad setups with one line and exit code 1', () => {
  const model = writeTinyCheckpoint({ dir, name: 'serve-a.safetensors' });
  let busy: net.Server;
  let busyPort = 0;
  before(async () => {
    busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    busyPort = (busy.address() as net.AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>((resolve) => busy.close(() => resolve()));
  });

  /** A copy of `model` whose metadata's model config has `key` set to `value`. */
  function withConfig(name: string, key: string, value: unknown): string {
    const file = path.join(dir, name);
    const bytes = fs.readFileSync(model);
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as { __metadata__: Record<string, string> };
    const config = JSON.parse(header.__metadata__['config'] as string) as Record<string, unknown>;
    config[key] = value;
    header.__metadata__['config'] = JSON.stringify(config);
    let h = Buffer.from(JSON.stringify(header), 'utf8');
    h = Buffer.concat([h, Buffer.alloc((8 - (h.length % 8)) % 8, 0x20)]);
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.length));
    fs.writeFileSync(file, Buffer.concat([len, h, bytes.subarray(8 + n)]));
    return file;
  }

  const cases: [string, () => string[], RegExp][] = [
    ['a port in use', () => ['--model', model, '--port', String(busyPort)], /^error: serve: 127\.0\.0\.1:\d+ is already in use/],
    ['port 99999', () => ['--model', model, '--port', '99999'], /^error: --port: must be a TCP port, 0 to 65535$/],
    ['an unresolvable host', () => ['--model', model, '--host', 'no-such-host.invalid', '--port', '0'], /^error: serve: cannot resolve --host no-such-host\.invalid/],
    ['a host that is not this machine', () => ['--model', model, '--host', '192.0.2.1', '--port', '0'], /^error: serve: cannot listen on 192\.0\.2\.1:0: --host 192\.0\.2\.1 is not an address of this machine$/],
    ['the same file as --model and --model2', () => ['--model', model, '--model2', model], /^error: serve: --model and --model2 are the same file/],
    ['a checkpoint whose config contradicts its vocabulary', () => ['--model', withConfig('bad-vocab.safetensors', 'srcVocabSize', 7), '--port', '0'], /^error: .*bad-vocab\.safetensors: .*srcVocabSize 7/],
    ['a checkpoint whose config is invalid', () => ['--model', withConfig('bad-rnn.safetensors', 'rnn', 'bogus'), '--port', '0'], /^error: .*bad-rnn\.safetensors: .*rnn/],
  ];
  for (const [name, args, message] of cases) {
    test(name, { timeout: 30_000 }, () => {
      const r = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, 'serve', ...args()], { encoding: 'utf8', timeout: 25_000 });
      assert.equal(r.status, 1, `exit ${r.status}: ${r.stderr}`);
      const lines = r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('serve: attention model'));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0] as string, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  test('a server that starts still stops cleanly on SIGTERM', { timeout: 30_000 }, async () => {
    const child = spawn(process.execPath, [...NODE_FLAGS, MAIN, 'serve', '--model', model, '--port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.setEncoding('utf8');
    await new Promise<void>((resolve) => {
      child.stderr.on('data', (d: string) => {
        err += d;
        if (err.includes('listening on')) resolve();
      });
    });
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.equal(code, 0, err);
  });
});
