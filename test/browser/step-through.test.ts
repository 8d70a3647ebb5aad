/**
 * The step-through view in Chromium: step through a sentence and compare what the page shows (scores,
 * weights, the stacked bar filling to 1, the produced words, the forced words' probabilities) with the
 * explain API's numbers, in server mode (POST /explain) and in-browser mode (the page's worker).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import type { ExplainResult } from '../../src/translate/explain.js';
import { openTranslator } from '../../src/translate/open.js';
import { writeTinyCheckpoint } from '../helpers/tiny-checkpoint.js';
import { tempDir } from '../helpers/tmp.js';
import { artifacts, dist, launchChromium, serveStatic, skipBrowser, watchErrors } from './helpers.js';

const SENTENCE = 'the black cat ate the mouse';
const FORCED = 'le chat noir a mangé la souris';
const ST = '#step-through';

let browser: Browser;

async function explainApi(base: string, body: Record<string, unknown>): Promise<ExplainResult> {
  const res = await fetch(`${base}explain`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200);
  return (await res.json()) as ExplainResult;
}

/** What the attention column shows at the current step. */
async function shown(page: Page, kind: 'attention' | 'baseline') {
  const panel = `${ST} .st-panel[data-model="${kind}"]`;
  return page.$eval(panel, (p) => ({
    step: Number((p as HTMLElement).dataset['step']),
    produced: p.querySelector('.st-produces')?.textContent ?? '',
    weights: Array.from(p.querySelectorAll<HTMLElement>('.st-weight')).map((e) => ({ value: Number(e.dataset['weight']), text: e.textContent ?? '' })),
    scores: Array.from(p.querySelectorAll<HTMLElement>('.st-score')).map((e) => Number(e.dataset['score'])),
    sumText: p.querySelector('.st-weight-sum')?.textContent ?? '',
    stack: (() => {
      const s = p.querySelector('.st-stack');
      if (s === null) return null;
      const segs = Array.from(s.querySelectorAll('.st-seg')).reduce((a, e) => a + e.getBoundingClientRect().width, 0);
      return { segs, width: s.getBoundingClientRect().width };
    })(),
    words: Array.from(p.querySelectorAll<HTMLElement>('.st-word')).filter((w) => getComputedStyle(w).display !== 'none').map((w) => w.querySelector('.tok')?.textContent ?? ''),
    contextNorm: Number(p.querySelector<HTMLElement>('.st-vec.sum canvas')?.dataset['norm']),
    fixed: p.querySelector('.st-vec.fixed') !== null,
    top: Array.from(p.querySelectorAll('.top .st-bar-row')).map((r) => ({ token: (r.querySelector('.st-tok')?.textContent ?? '').replace('▶ ', ''), chosen: r.classList.contains('chosen') })),
  }));
}

/** Step through every step with the "next" button, checking the attention column against `api` (`baseline`: the other column's). */
async function stepThroughAndCompare(page: Page, api: ExplainResult, baseline: ExplainResult, tol: number): Promise<void> {
  const total = Math.max(api.steps.length, baseline.steps.length);
  assert.equal(await page.textContent(`${ST} .st-label`), `step 1 of ${total}`);
  for (const s of api.steps) {
    const v = await shown(page, 'attention');
    assert.equal(v.step, s.t);
    assert.equal(v.produced, s.token);
    assert.deepEqual(v.words, api.target_tokens.slice(0, s.t), 'the produced word is appended to the output');
    assert.equal(v.weights.length, api.source_tokens.length);
    v.weights.forEach((w, i) => {
      const expected = s.weights?.[i] as number;
      assert.ok(Math.abs(w.value - expected) <= tol, `step ${s.t} weight ${i}: shown ${w.value}, API ${expected}`);
      assert.equal(w.text, expected.toFixed(3));
    });
    v.scores.forEach((e, i) => assert.ok(Math.abs(e - (s.scores?.[i] as number)) <= tol * 100, `step ${s.t} score ${i}`));
    assert.equal(v.sumText, 'Σ 1.0000');
    assert.ok(v.stack !== null && Math.abs(v.stack.segs - v.stack.width) < 1.5, `the stacked weights fill the bar: ${JSON.stringify(v.stack)}`);
    assert.ok(Math.abs(v.contextNorm - s.context_norm) <= tol * 100);
    assert.deepEqual(v.top.map((w) => w.token), s.top.map((w) => w.token));
    assert.deepEqual(v.top.map((w) => w.chosen), s.top.map((w) => w.chosen));
    if (s.t < total) await page.click(`${ST} .st-next`);
  }
  assert.equal(await page.isDisabled(`${ST} .st-next`), api.steps.length === total);
}

describe('step-through view', { skip: skipBrowser }, () => {
  let dir = '';
  let attention = '';
  let baseline = '';
  before(async () => {
    browser = await launchChromium();
    fs.mkdirSync(artifacts, { recursive: true });
    dir = tempDir('step-through');
    attention = writeTinyCheckpoint({ dir, seed: 4 });
    baseline = writeTinyCheckpoint({ dir, seed: 4, attention: 'none' });
  });
  after(async () => {
    await browser?.close();
  });

  describe('server mode', () => {
    let server: RunningServer;
    before(async () => {
      server = await startServer({ models: [attention, baseline], port: 0, staticDir: dist, log: () => undefined });
    });
    after(() => server.close());

    test('step through a sentence: the shown weights, scores and words are the API\'s; the baseline keeps one context; forcing shows each word\'s probability', async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const errors = watchErrors(page);
      await page.goto(server.url);
      await page.waitForSelector('body[data-ready="server"]');
      await page.selectOption('#beam', '1'); // greedy: the view explains what the heatmap shows
      await page.fill('#source', SENTENCE);
      await page.press('#source', 'Enter');
      // The page translated its first example on load; that translation may land before Enter's: wait for the last one.
      await page.waitForFunction((text) => document.querySelector('#results')?.getAttribute('data-source') === text && document.body.dataset['busy'] === undefined, SENTENCE);
      await page.waitForFunction(() => document.querySelector('#step-through')?.getAttribute('data-busy') === null && document.querySelector('#step-through .st-panel') !== null);
      const api = await explainApi(server.url, { text: SENTENCE, top: 5 });
      assert.equal(api.mode, 'greedy');
      // The view may still be answering an earlier request of the page (the first example, the beam menu): wait
      // until it settles on this sentence's explanation (fails after the default timeout if it never does).
      await page.waitForFunction((sel) => /steps of greedy decoding/.test(document.querySelector(sel)?.textContent ?? '') && document.querySelector('#step-through')?.getAttribute('data-busy') === null, `${ST} .st-status`);
      assert.match(await page.textContent(`${ST} .st-status`) ?? '', /steps of greedy decoding/);
      const base = await explainApi(server.url, { text: SENTENCE, top: 5, model: 'baseline' });
      await stepThroughAndCompare(page, api, base, 1e-9);

      // The baseline column: no weights, a fixed context with the same norm at every step.
      const norms = new Set<number>();
      for (let t = 1; t <= Math.min(3, base.steps.length); t++) {
        await page.$eval(`${ST} .st-slider`, (el, value) => {
          (el as HTMLInputElement).value = String(value);
          el.dispatchEvent(new Event('input'));
        }, t);
        const b = await shown(page, 'baseline');
        assert.equal(b.weights.length, 0);
        assert.ok(b.fixed);
        assert.equal(b.produced, base.steps[t - 1]?.token);
        norms.add(b.contextNorm);
      }
      assert.equal(norms.size, 1, 'one unchanging context');
      assert.ok(Math.abs([...norms][0] as number - (base.steps[0]?.context_norm as number)) < 1e-9);

      // The arrow keys and "previous" move too.
      await page.focus(ST);
      await page.keyboard.press('ArrowRight');
      assert.equal((await shown(page, 'attention')).step, Math.min(4, api.steps.length));
      await page.click(`${ST} .st-prev`);
      assert.equal((await shown(page, 'attention')).step, Math.min(3, api.steps.length));
      await page.click(`${ST} .st-panel[data-model="attention"] .st-word[data-step="1"]`);
      assert.equal((await shown(page, 'attention')).step, 1);

      // Translating the same sentence again (Enter once more) keeps the view and its step, and explains nothing anew:
      // when the translation lands the view is not busy.
      await page.click(`${ST} .st-next`);
      await page.press('#source', 'Enter');
      const viewBusy = await page.waitForFunction(() => document.body.dataset['busy'] === undefined ? { busy: document.querySelector('#step-through')?.getAttribute('data-busy') ?? null } : false);
      assert.deepEqual(await viewBusy.jsonValue(), { busy: null });
      assert.equal((await shown(page, 'attention')).step, 2);

      // Force a translation: every forced word shows the probability the model gave it.
      await page.fill('#st-force-input', FORCED);
      await page.press('#st-force-input', 'Enter');
      await page.waitForFunction(() => document.querySelector('#step-through')?.getAttribute('data-mode') === 'forced' && document.querySelector('#step-through')?.getAttribute('data-busy') === null);
      const forced = await explainApi(server.url, { text: SENTENCE, target: FORCED, top: 5 });
      const words = await page.$$eval(`${ST} .st-panel[data-model="attention"] .st-word`, (ws) => ws.map((w) => ({ tok: w.querySelector('.tok')?.textContent, p: w.querySelector('.pv')?.textContent, title: w.getAttribute('title') })));
      assert.deepEqual(words.map((w) => w.tok), forced.target_tokens);
      words.forEach((w, i) => {
        const s = forced.steps[i] as ExplainResult['steps'][number];
        assert.equal(w.title, `step ${s.t}: p(${s.token}) = ${s.p.toFixed(4)}, rank ${s.rank}`);
      });
      await page.click(`${ST} .st-next`);
      await page.click(`${ST} .st-next`);
      const third = await shown(page, 'attention');
      assert.equal(third.produced, 'noir');
      third.weights.forEach((w, i) => assert.ok(Math.abs(w.value - (forced.steps[2]?.weights?.[i] as number)) < 1e-9));
      await page.locator(ST).screenshot({ path: path.join(artifacts, 'step-through-server.png') });
      await page.click(`${ST} .st-clear`);
      await page.waitForFunction(() => document.querySelector('#step-through')?.getAttribute('data-mode') === 'greedy');
      assert.deepEqual(errors, []);
      await page.close();
    });
  });

  describe('in-browser mode', () => {
    let site: { url: string; close(): Promise<void> };
    before(async () => {
      const root = path.join(dir, 'site');
      fs.cpSync(dist, root, { recursive: true });
      fs.copyFileSync(attention, path.join(root, 'attention.safetensors'));
      fs.copyFileSync(baseline, path.join(root, 'baseline.safetensors'));
      site = await serveStatic(root);
    });
    after(() => site.close());

    test('the page\'s worker explains the beam\'s translation: the shown weights are the library\'s', async () => {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const errors = watchErrors(page);
      await page.goto(`${site.url}?model=attention.safetensors&model2=baseline.safetensors`);
      await page.waitForSelector('body[data-ready="in-browser"]');
      await page.fill('#source', SENTENCE);
      await page.press('#source', 'Enter');
      // The page translated its first example on load; that translation may land before Enter's: wait for the last one.
      await page.waitForFunction((text) => document.querySelector('#results')?.getAttribute('data-source') === text && document.body.dataset['busy'] === undefined, SENTENCE);
      await page.waitForFunction(() => document.querySelector('#step-through')?.getAttribute('data-busy') === null && document.querySelector('#step-through .st-panel') !== null);
      // The beam menu is on the model's own (the default 5 here): the view explains the beam's best translation.
      // The page's engine is WebAssembly relaxed SIMD, Node's here TypeScript: equal up to float rounding.
      const api = openTranslator(attention).explain(SENTENCE, { top: 5, beam: 5 });
      assert.equal(api.mode, 'beam');
      assert.match(await page.textContent(`${ST} .st-status`) ?? '', /best translation of a beam search of 5/);
      const heatmapWords = await page.$$eval('.panel[data-model="attention"] .translation .word', (ws) => ws.map((w) => w.textContent));
      assert.deepEqual(heatmapWords, api.target_tokens, 'the view explains the translation the heatmap shows');
      await stepThroughAndCompare(page, api, openTranslator(baseline).explain(SENTENCE, { top: 5, beam: 5 }), 1e-5);
      assert.ok(await page.isVisible(`${ST} .st-panel[data-model="baseline"] .st-vec.fixed`));
      assert.deepEqual(errors, []);
      await page.close();
    });
  });
});
