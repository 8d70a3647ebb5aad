/**
 * End-to-end tests of the web page in Debian's Chromium (playwright-core): server mode against
 * buildServer with deterministic translators, and in-browser mode with real tiny checkpoints
 * served by a plain static file server (no API). Screenshots go to test-artifacts/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/server/app.js';
import { packageRoot } from '../../src/server/static.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ModelRunner } from '../../src/server/model-core.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { FakeTranslator } from '../server/fake-translator.js';
import { writeTinyCheckpoint } from '../helpers/tiny-checkpoint.js';
import { NODE_FLAGS } from '../helpers/node.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

const CHROMIUM = '/usr/bin/chromium';
const root = packageRoot();
const dist = path.join(root, 'web', 'dist');
const artifacts = path.join(root, 'test-artifacts');
const skip = !fs.existsSync(CHROMIUM)
  ? `${CHROMIUM} is not installed (apt-get install chromium; CI installs it)`
  : !fs.existsSync(path.join(dist, 'index.html'))
    ? 'web/dist is not built (npm run build:web)'
    : false;

let browser: Browser;

async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}

/** Collect page errors (and anything the server's Content-Security-Policy blocked) so the test fails with the message. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) errors.push(m.text());
  });
  return errors;
}

describe('web page', { skip }, () => {
  before(async () => {
    browser = await launch();
    fs.mkdirSync(artifacts, { recursive: true });
  });
  after(async () => {
    await browser?.close();
  });

  describe('server mode', () => {
    let app: FastifyInstance;
    let base = '';
    before(async () => {
      app = buildServer({
        translators: { attention: new FakeTranslator('attention'), baseline: new FakeTranslator('baseline', '_b') },
        staticDir: dist,
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    });
    after(() => app.close());

    test('the first example translates on load; typing translates without Enter; hover highlights', async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors = watchErrors(page);
      await page.goto(`${base}/`);
      await page.waitForSelector('body[data-ready="server"]');
      assert.match(await page.textContent('#status') ?? '', /Attention model fake-attention .*Fixed-context baseline fake-baseline/);
      const attn = '.panel[data-model="attention"]';
      await page.waitForFunction(() => document.querySelector('.panel[data-model="attention"] .output')?.textContent === 'MOUSE THE ATE CAT BLACK THE');
      assert.equal(await page.inputValue('#source'), 'the black cat ate the mouse');
      // Typing: no Enter, no click.
      await page.fill('#source', 'the black cat');
      await page.waitForFunction(() => document.querySelector('.panel[data-model="attention"] .output')?.textContent === 'CAT BLACK THE');
      await page.waitForSelector(`${attn} svg.attn-heatmap`);
      assert.equal(await page.textContent('.panel[data-model="baseline"] .output'), 'CAT_b BLACK_b THE_b');
      assert.match(await page.textContent('.panel[data-model="baseline"] .noattn') ?? '', /No attention here/);
      assert.equal(await page.locator(`${attn} rect.attn-cell`).count(), 16);

      // Hover the first target word CAT: its row lights up, and the source word "cat" it attends to.
      await page.hover(`${attn} .translation .word[data-row="0"]`);
      const hlCells = await page.$$eval(`${attn} rect.attn-cell.attn-hl`, (els) => els.map((e) => `${e.getAttribute('data-row')},${e.getAttribute('data-col')}`));
      assert.deepEqual(hlCells, ['0,0', '0,1', '0,2', '0,3']);
      assert.deepEqual(await page.$$eval(`${attn} .source .word.attn-hl`, (els) => els.map((e) => e.textContent)), ['cat']);
      assert.deepEqual(await page.$$eval(`${attn} text.attn-src.attn-hl`, (els) => els.map((e) => e.getAttribute('data-col'))), ['2']);
      assert.deepEqual(await page.$$eval(`${attn} text.attn-tgt.attn-hl`, (els) => els.map((e) => e.getAttribute('data-row'))), ['0']);
      await page.screenshot({ path: path.join(artifacts, 'page-server-hover.png'), fullPage: true });

      // The reverse: hover the source word "the": the target word THE (row 2) lights up.
      await page.hover(`${attn} .source .word[data-col="0"]`);
      assert.deepEqual(await page.$$eval(`${attn} .translation .word.attn-hl`, (els) => els.map((e) => e.textContent)), ['THE']);
      assert.deepEqual(await page.$$eval(`${attn} rect.attn-cell.attn-hl`, (els) => els.map((e) => e.getAttribute('data-row'))), ['0', '1', '2', '3']);

      // Hovering a cell focuses its row.
      await page.hover(`${attn} rect.attn-cell[data-row="1"][data-col="1"]`);
      assert.deepEqual(await page.$$eval(`${attn} .source .word.attn-hl`, (els) => els.map((e) => e.textContent)), ['black']);

      // The gallery translates a seed example.
      await page.click('#gallery button:nth-child(2)');
      await page.waitForFunction(() => document.querySelector('.panel[data-model="attention"] .output')?.textContent === 'BIRD WHITE SMALL THE SAW MAN OLD THE');
      assert.deepEqual(errors, []);
      await page.close();
    });

    test('server errors are shown on the page', async () => {
      const page = await browser.newPage();
      await page.goto(`${base}/`);
      await page.waitForSelector('body[data-ready="server"]');
      await page.fill('#source', 'CRASH now');
      await page.press('#source', 'Enter');
      await page.waitForSelector('#error:not([hidden])');
      assert.equal(await page.textContent('#error'), 'internal error: kaboom');
      await page.close();
    });
  });

  describe('in-browser mode (static files, no server API)', () => {
    let server: http.Server;
    let base = '';
    let dir = '';
    let attentionFile = '';
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnmt-static-site-'));
      fs.cpSync(dist, dir, { recursive: true });
      attentionFile = writeTinyCheckpoint({ dir });
      writeTinyCheckpoint({ dir, attention: 'none' });
      server = http.createServer((req, res) => {
        const rel = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
        const file = path.join(dir, rel === '/' ? 'index.html' : path.normalize(rel).replace(/^(\.\.[/\\])+/, ''));
        if (!file.startsWith(dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
          return;
        }
        const ext = path.extname(file);
        const type = ext === '.html' ? 'text/html' : ext === '.js' ? 'text/javascript' : ext === '.css' ? 'text/css' : ext === '.wasm' ? 'application/wasm' : 'application/octet-stream';
        res.writeHead(200, { 'content-type': type, 'access-control-allow-origin': '*' }).end(fs.readFileSync(file));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await new Promise((resolve) => server.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('?model= loads checkpoints and translates in the page like Node does', async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const errors = watchErrors(page);
      await page.goto(`${base}/?model=tiny-additive.safetensors&model2=tiny-none.safetensors`);
      await page.waitForSelector('body[data-ready="in-browser"]');
      // Chromium has relaxed SIMD, so the page's worker runs the FMA kernels.
      assert.match(await page.textContent('#status') ?? '', /In this page: .*tiny-additive\.safetensors.*tiny-none\.safetensors.*engine wasm-relaxed-simd/);
      assert.equal(page.workers().length, 1, 'decoding runs in one Web Worker, off the page\'s thread');
      const sentence = 'the black cat ate the mouse';
      // Typing translates after a pause: wait for that translation to land, so no translation is pending when the
      // beam changes (a late one re-renders the panels and drops the hover below).
      await page.fill('#source', sentence);
      await page.waitForFunction((text) => document.querySelector('#results')?.getAttribute('data-source') === text && document.body.dataset['busy'] === undefined, sentence);
      await page.selectOption('#beam', '4');
      const attn = '.panel[data-model="attention"]';
      const expected = ModelRunner.fromBytes(fs.readFileSync(attentionFile), 'x').translate([sentence], { beam: 4, nbest: 1, attention: true })[0];
      assert.ok(expected);
      await page.waitForFunction((text) => document.querySelector('.panel[data-model="attention"] .output')?.textContent === text && document.body.dataset['busy'] === undefined, expected.text);
      await page.waitForSelector(`${attn} svg.attn-heatmap`);
      const rows = await page.$$eval(`${attn} rect.attn-cell`, (els) => {
        const sums = new Map<string, number>();
        for (const e of els) {
          const r = e.getAttribute('data-row') ?? '';
          sums.set(r, (sums.get(r) ?? 0) + Number(e.getAttribute('data-weight')));
        }
        return [...sums.values()];
      });
      assert.equal(rows.length, expected.target_tokens.length);
      for (const s of rows) assert.ok(Math.abs(s - 1) < 1e-3, `row sums to ${s}`);
      // Both panels are drawn before the hover: a panel finishing later re-renders the results and would drop it.
      await page.waitForSelector('.panel[data-model="baseline"] .noattn', { state: 'visible' });
      // The mouse comes from outside the panel, so the hover is a fresh mouseover; the highlight is drawn by its handler.
      await page.mouse.move(0, 0);
      await page.hover(`${attn} .translation .word[data-row="0"]`);
      await page.waitForFunction((sel) => document.querySelectorAll(sel).length > 0, `${attn} rect.attn-cell.attn-hl`, { timeout: 5000 });
      assert.ok((await page.locator(`${attn} .source .word.attn-hl`).count()) >= 1);
      assert.equal(await page.locator(`${attn} rect.attn-cell.attn-hl`).count(), 7);
      await page.screenshot({ path: path.join(artifacts, 'page-in-browser.png'), fullPage: true });
      assert.deepEqual(errors, []);
      await page.close();
    });

    test('without a server the page offers the file picker, which loads a checkpoint', async () => {
      const page = await browser.newPage();
      const errors = watchErrors(page);
      await page.goto(`${base}/`);
      await page.waitForSelector('#local:not([hidden])');
      assert.match(await page.textContent('#status') ?? '', /No translation server/);
      await page.setInputFiles('#checkpoint-file', attentionFile);
      await page.waitForSelector('body[data-ready="in-browser"]');
      await page.fill('#source', 'i am hungry');
      await page.click('#translate');
      await page.waitForFunction(() => document.querySelector('#results')?.getAttribute('data-source') === 'i am hungry');
      await page.waitForSelector('.panel[data-model="attention"] svg.attn-heatmap');
      assert.equal(await page.locator('.panel').count(), 1);
      assert.deepEqual(errors, []);
      await page.close();
    });

    test('a failed ?model= load says so in the status line', async () => {
      const page = await browser.newPage();
      await page.goto(`${base}/?model=missing.safetensors`);
      await page.waitForSelector('#error:not([hidden])');
      assert.match(await page.textContent('#status') ?? '', /No model loaded: missing\.safetensors could not be/);
      assert.match(await page.textContent('#error') ?? '', /missing\.safetensors: 404/);
      await page.close();
    });
  });

  describe('one checkpoint, three doors: attnmt translate, POST /translate and the page give the same translation', () => {
    let server: RunningServer;
    let statics: http.Server;
    let dir = '';
    let model = '';
    const sentences = ['the black cat ate the mouse', 'the white dog sees the cat', 'a small house', 'i am hungry'];
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnmt-doors-'));
      // The checkpoint's own settings differ from every fallback: beam 3, alpha 1.
      model = writeTinyCheckpoint({ dir, seed: 21, decoding: { beam: 3, alpha: 1 } });
      server = await startServer({ models: [model], port: 0, staticDir: dist, log: () => undefined });
      fs.cpSync(dist, path.join(dir, 'site'), { recursive: true });
      fs.copyFileSync(model, path.join(dir, 'site', 'model.safetensors'));
      statics = http.createServer((req, res) => {
        const rel = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
        const file = path.join(dir, 'site', rel === '/' ? 'index.html' : path.normalize(rel).replace(/^(\.\.[/\\])+/, ''));
        if (!fs.existsSync(file) || !fs.statSync(file).isFile()) return void res.writeHead(404).end();
        const ext = path.extname(file);
        const type = ext === '.html' ? 'text/html' : ext === '.js' ? 'text/javascript' : ext === '.css' ? 'text/css' : ext === '.wasm' ? 'application/wasm' : 'application/octet-stream';
        res.writeHead(200, { 'content-type': type, 'access-control-allow-origin': '*' }).end(fs.readFileSync(file));
      });
      await new Promise<void>((resolve) => statics.listen(0, '127.0.0.1', resolve));
    });
    after(async () => {
      await server.close();
      await new Promise((resolve) => statics.close(resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('the same text for every sentence, default options everywhere', async () => {
      const cli = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, 'translate', '--model', model, '--threads', '1'], { input: `${sentences.join('\n')}\n`, encoding: 'utf8', timeout: 60000 });
      assert.equal(cli.status, 0, cli.stderr);
      const fromCli = cli.stdout.split('\n').slice(0, -1);
      const res = await fetch(`${server.url}translate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ texts: sentences }) });
      const fromApi = ((await res.json()) as { translations: Array<{ text: string }> }).translations.map((t) => t.text);
      assert.deepEqual(fromApi, fromCli);
      // The settings matter here: greedy decoding gives another translation for at least one sentence.
      const greedy = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, 'translate', '--model', model, '--threads', '1', '--beam', '1'], { input: `${sentences.join('\n')}\n`, encoding: 'utf8', timeout: 60000 });
      assert.notDeepEqual(greedy.stdout.split('\n').slice(0, -1), fromCli, 'beam 3 / alpha 1 and greedy agree on every sentence: the test would not see a wrong default');
      const port = (statics.address() as AddressInfo).port;
      const elsewhere = encodeURIComponent(`http://127.0.0.1:${port}/model.safetensors`);
      // The last: the page from `serve` (under its Content-Security-Policy) decoding in the browser (Web Worker, WebAssembly).
      for (const [mode, url] of [['server', server.url], ['in-browser', `http://127.0.0.1:${port}/?model=model.safetensors`], ['in-browser', `${server.url}?model=${elsewhere}`]] as const) {
        const page = await browser.newPage();
        const errors = watchErrors(page);
        await page.goto(url);
        await page.waitForSelector(`body[data-ready="${mode}"]`);
        assert.equal(await page.$eval('#beam', (e) => (e as HTMLSelectElement).value), '', 'the beam menu starts on the model\'s own');
        assert.match(await page.textContent('#beam option[value=""]') ?? '', /model's own \(3\)/);
        const fromPage: string[] = [];
        for (const sentence of sentences) {
          await page.fill('#source', sentence);
          await page.press('#source', 'Enter');
          await page.waitForFunction((text) => document.querySelector('#results')?.getAttribute('data-source') === text && document.body.dataset['busy'] === undefined, sentence);
          fromPage.push((await page.textContent('.panel[data-model="attention"] .output')) ?? '');
        }
        assert.deepEqual(fromPage, fromCli, `${mode} page`);
        assert.deepEqual(errors, [], url);
        await page.close();
      }
    });

    test('a long sentence\'s heatmap keeps readable labels: natural size in a scrolling box, with zoom', async () => {
      const page = await browser.newPage({ viewport: { width: 640, height: 800 } });
      await page.goto(server.url);
      await page.waitForSelector('body[data-ready="server"]');
      const long = Array.from({ length: 6 }, () => 'the white dog sees the black cat and').join(' ');
      await page.fill('#source', long);
      await page.press('#source', 'Enter');
      await page.waitForFunction((text) => document.querySelector('#results')?.getAttribute('data-source') === text, long);
      const size = await page.$eval('.heatmap svg', (svg) => ({ natural: Number(svg.getAttribute('width')), shown: svg.getBoundingClientRect().width, box: (svg.parentElement as HTMLElement).clientWidth }));
      assert.ok(size.natural > size.box, `a ${size.natural}px matrix in a ${size.box}px box`);
      assert.ok(Math.abs(size.shown - size.natural) < 1, 'shown at its natural size');
      await page.click('.zoom button:has-text("fit")');
      const fitted = await page.$eval('.heatmap svg', (svg) => svg.getBoundingClientRect().width);
      assert.ok(fitted <= size.box + 1, `fit: ${fitted}px in ${size.box}px`);
      await page.screenshot({ path: path.join(artifacts, 'page-long-sentence.png'), fullPage: true });
      await page.close();
    });
  });
});
