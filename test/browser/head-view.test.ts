/**
 * The head view in Debian's Chromium (playwright-core), with a real tiny Transformer: server mode
 * (attnmt's server, its worker) and in-browser mode (?model= on a plain static file server). Type a
 * sentence, click a head, hover a word, check the highlighted cells against the model's own numbers.
 * Screenshots go to test-artifacts/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { ModelRunner } from '../../src/server/model-core.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import type { TranslationResult } from '../../src/server/translator.js';
import { tempDir } from '../helpers/tmp.js';
import { artifacts, dist, launchChromium, serveStatic, skipBrowser, watchErrors } from './helpers.js';
import { writeTinyCheckpoint, writeTinyTransformer } from '../helpers/tiny-checkpoint.js';

const skip = skipBrowser;

const SENTENCE = 'the white dog saw the black cat';

/**
 * The page's steps: type the sentence, wait for the head view, check its grid, click layer 1 head 1 of
 * the decoder self-attention, hover the third target word: its row of the enlarged heatmap (and only
 * it) is highlighted, the keys it attends to are tinted, and the enlarged cells are the model's numbers.
 */
async function exercise(page: Page, expected: TranslationResult, shot: string): Promise<void> {
  await page.fill('#source', SENTENCE);
  await page.waitForFunction((text) => document.querySelector('.panel[data-model="attention"] .output')?.textContent === text, expected.text);
  await page.waitForSelector('.head-view[data-kind="cross"] .hv-thumb');
  // 3 decoder layers x (2 heads + their mean) thumbnails for cross-attention; the alignment layer is marked.
  assert.equal(await page.locator('.hv-thumb').count(), 9);
  assert.match(await page.locator('.hv-rowhead:has(.hv-badge)').textContent() ?? '', /layer 1/);
  assert.match(await page.textContent('.hv-caption') ?? '', /Cross-attention · layer 1 · mean of the heads/);

  await page.click('.hv-tab[data-kind="encoder_self"]');
  assert.equal(await page.locator('.hv-thumb').count(), 6, '2 encoder layers x (2 heads + mean)');
  await page.click('.hv-tab[data-kind="decoder_self"]');
  await page.click('.hv-thumb[data-layer="1"][data-head="1"]');
  assert.match(await page.textContent('.hv-caption') ?? '', /Decoder self-attention · layer 1 · head 1/);
  assert.equal(await page.getAttribute('.hv-thumb[data-layer="1"][data-head="1"]', 'aria-pressed'), 'true');
  const T = expected.target_tokens.length;
  const cells = await page.$$eval('.hv-detail rect.attn-cell', (els) => els.map((e) => ({ row: Number(e.getAttribute('data-row')), col: Number(e.getAttribute('data-col')), w: Number(e.getAttribute('data-weight')) })));
  assert.equal(cells.length, T * T);
  const head = expected.decoder_self?.[1]?.[1];
  assert.ok(head !== undefined);
  for (const c of cells) assert.ok(Math.abs(c.w - (head[c.row]?.[c.col] ?? NaN)) < 1e-3, `cell ${c.row},${c.col}: ${c.w}`);

  await page.hover('.hv-detail .translation .word[data-row="2"]');
  const lit = await page.$$eval('.hv-detail rect.attn-cell.attn-hl', (els) => els.map((e) => Number(e.getAttribute('data-row'))));
  assert.equal(lit.length, T, 'the hovered word\'s whole row');
  assert.ok(lit.every((r) => r === 2));
  // Keys after step 2 are masked (causal): never tinted; the key it attends to most is outlined.
  const tints = await page.$$eval('.hv-detail .source .word', (els) => els.map((e) => Number((e as HTMLElement).style.getPropertyValue('--w') || '0')));
  const row = head[2] ?? [];
  tints.forEach((w, k) => assert.ok(Math.abs(w - (row[k] ?? NaN)) < 1e-3, `key ${k} tinted ${w}, weight ${row[k]}`));
  const top = row.indexOf(Math.max(...row));
  assert.ok(await page.locator(`.hv-detail .source .word[data-col="${top}"].attn-hl`).count() === 1);
  assert.ok(await page.locator('.hv-lines.hovering line.attn-hl').count() >= 1, 'the lines of the hovered word stand out');
  await page.locator('.head-view').screenshot({ path: path.join(artifacts, shot) });
}

describe('head view', { skip }, () => {
  let browser: Browser;
  let dir = '';
  let transformerFile = '';
  let expected: TranslationResult;

  before(async () => {
    browser = await launchChromium();
    fs.mkdirSync(artifacts, { recursive: true });
    dir = tempDir('head-view');
    fs.cpSync(dist, dir, { recursive: true });
    const en = ['the white dog saw the black cat', 'the cat ate the mouse'];
    const fr = ['le chien blanc a vu le chat noir', 'le chat a mangé la souris'];
    transformerFile = writeTinyTransformer({ dir, en, fr, layers: [2, 3], decoding: { beam: 1 } });
    writeTinyCheckpoint({ dir, en, fr, attention: 'none' });
    const r = ModelRunner.fromBytes(new Uint8Array(fs.readFileSync(transformerFile)), 'x').translate([SENTENCE], { nbest: 1, attention: 'all' })[0];
    assert.ok(r !== undefined);
    expected = r;
  });
  after(async () => {
    await browser?.close();
  });

  test('server mode: type a sentence, click a head, hover a word', async () => {
    const server: RunningServer = await startServer({ models: [transformerFile, path.join(dir, 'tiny-none.safetensors')], port: 0, staticDir: dir, log: () => undefined });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const errors = watchErrors(page);
      await page.goto(server.url);
      await page.waitForSelector('body[data-ready="server"]');
      await exercise(page, expected, 'head-view-server.png');
      assert.equal(await page.locator('.head-view').count(), 1, 'only the Transformer has a head view');
      assert.deepEqual(errors, []);
      await page.close();
    } finally {
      await server.close();
    }
  });

  test('in-browser mode: the same head view from ?model=', async () => {
    const server = await serveStatic(dir);
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const errors = watchErrors(page);
      await page.goto(`${server.url}?model=tiny-transformer.safetensors&model2=tiny-none.safetensors`);
      await page.waitForSelector('body[data-ready="in-browser"]');
      await exercise(page, expected, 'head-view-in-browser.png');
      assert.deepEqual(errors, []);
      await page.close();
    } finally {
      await server.close();
    }
  });
});
