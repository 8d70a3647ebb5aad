/**
 * "Train here" end to end in Debian's Chromium: the page (served with its COOP/COEP headers, no API)
 * trains both demo models in two Web Workers for a few hundred steps; the attention model's loss
 * goes down, pausing stops both, and the downloaded checkpoint translates with `attnmt translate`
 * exactly as the page showed. Screenshot in test-artifacts/train-here.png.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser } from 'playwright-core';
import { startPageServer } from '../../src/server/static.js';
import { ISOLATION_HEADERS } from '../../src/server/http-policy.js';
import { loadCheckpoint } from '../../src/model/checkpoint-file.js';
import { tempDir } from '../helpers/tmp.js';
import { artifacts, dist, launchChromium, skipBrowser } from './helpers.js';
import { NODE_FLAGS } from '../helpers/node.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const skip = skipBrowser;

/** Steps the attention model trains before the test pauses it. */
const STEPS = 200;

describe('Train here', { skip }, () => {
  let browser: Browser;
  let server: { url: string; close: () => Promise<void> };
  before(async () => {
    browser = await launchChromium();
    server = await startPageServer(dist);
    fs.mkdirSync(artifacts, { recursive: true });
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('the page is cross-origin isolated: served with COOP/COEP, and the build writes them to _headers', async () => {
    const res = await fetch(server.url);
    assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(res.headers.get('cross-origin-embedder-policy'), 'require-corp');
    assert.deepEqual(ISOLATION_HEADERS, { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' });
    // The worker scripts too (Chromium runs a module worker of an isolated page only with them).
    const html = await res.text();
    const script = /src="\.\/(assets\/index-[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script !== undefined, 'the page\'s script');
    const js = await fetch(new URL(script, server.url));
    assert.equal(js.headers.get('cross-origin-embedder-policy'), 'require-corp');
    const headersFile = fs.readFileSync(path.join(dist, '_headers'), 'utf8');
    assert.match(headersFile, /^\/\*\n/);
    assert.match(headersFile, /\n {2}cross-origin-opener-policy: same-origin\n/);
    assert.match(headersFile, /\n {2}cross-origin-embedder-policy: require-corp\n/);
    assert.match(headersFile, /\n {2}content-security-policy: default-src 'self'/);
  });

  test(`training ${STEPS} steps in two workers lowers the loss; the downloaded model translates with the CLI as the page showed`, { timeout: 15 * 60 * 1000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1400 }, acceptDownloads: true });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), true);
    assert.equal(await page.getAttribute('#train', 'data-state'), 'idle');
    await page.click('#train-start');
    await page.waitForFunction((steps) => Number(document.getElementById('train')?.dataset['stepsAttention'] ?? 0) >= steps || document.getElementById('train')?.dataset['state'] === 'error', STEPS, { timeout: 14 * 60 * 1000, polling: 500 });
    assert.notEqual(await page.getAttribute('#train', 'data-state'), 'error', await page.textContent('#train-progress') ?? '');
    assert.equal(await page.getAttribute('#train', 'data-workers'), '2');
    assert.equal(page.workers().length >= 2, true, 'one Web Worker per model');
    assert.equal(await page.getAttribute('#train', 'data-engine-attention'), 'wasm-relaxed-simd');
    // The progress line: both models, steps/s.
    assert.match(await page.textContent('#train-progress') ?? '', /attention model: step \d+ · [\d.]+ steps\/s · loss [\d.]+.*fixed-context baseline: step \d+ · [\d.]+ steps\/s/);
    // Both loss curves are drawn, and the attention model's went down.
    const losses = JSON.parse((await page.getAttribute('#train', 'data-losses-attention')) ?? '[]') as Array<[number, number]>;
    assert.ok(losses.length >= 3, `${losses.length} loss points`);
    const first = (losses[0] as [number, number])[1];
    const last = (losses[losses.length - 1] as [number, number])[1];
    assert.ok(last < first - 1, `loss fell from ${first} to ${last}`);
    assert.equal(await page.locator('#train-loss polyline.loss-attention').count(), 1);
    assert.equal(await page.locator('#train-loss polyline.loss-baseline').count(), 1);
    // The attention matrix of the demo sentence: 7 source columns (6 words and </s>), rows that sum to 1.
    const cols = await page.getAttribute('#train-heatmap svg.attn-heatmap', 'data-cols');
    assert.equal(cols, '7');

    // Pause: both workers stop and say at which step; the step count stays put.
    await page.click('#train-pause');
    await page.waitForFunction(() => document.getElementById('train')?.dataset['pausedAttention'] !== undefined && document.getElementById('train')?.dataset['pausedBaseline'] !== undefined, undefined, { timeout: 60000 });
    assert.equal(await page.getAttribute('#train', 'data-state'), 'paused');
    assert.equal(await page.textContent('#train-pause'), 'Resume');
    const pausedAt = Number(await page.getAttribute('#train', 'data-paused-attention'));
    const shown = (await page.textContent('.train-output-attention .text')) ?? '';
    await page.screenshot({ path: path.join(artifacts, 'train-here.png'), fullPage: true });

    // Download the attention model; attnmt translate loads it and gives what the page showed.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#train-download-attention')]);
    assert.match(download.suggestedFilename(), new RegExp(`^attention-step${pausedAt}\\.safetensors$`));
    const dir = tempDir('train-here');
    const file = path.join(dir, download.suggestedFilename());
    await download.saveAs(file);
    const ckpt = loadCheckpoint(file);
    assert.equal((ckpt.config as { attention?: string }).attention, 'additive');
    assert.equal(ckpt.metadata?.['steps'], pausedAt);
    const cli = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, 'translate', '--model', file, '--threads', '1'], { input: 'the black cat ate the mouse\n', encoding: 'utf8', timeout: 120000 });
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(cli.stdout.trim(), shown === '(nothing yet)' ? '' : shown);
    assert.notEqual(cli.stdout.trim(), '');
    assert.equal(Number(await page.getAttribute('#train', 'data-steps-attention')) <= pausedAt, true, 'no progress after the pause');

    // Resume continues from there.
    await page.click('#train-pause');
    await page.waitForFunction((at) => Number(document.getElementById('train')?.dataset['stepsAttention'] ?? 0) > at, pausedAt, { timeout: 120000, polling: 500 });
    assert.deepEqual(errors, []);
    await page.close();
  });
});
