import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Resvg } from '@resvg/resvg-js';
import { checkHeadStack, headGridSvg } from '../../src/viz/head-grid-svg.js';

const q = ['le', 'chat', '</s>'];
const k = ['the', 'cat', '</s>'];
const eye = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
const flat = [[0.5, 0.25, 0.25], [0.2, 0.6, 0.2], [0, 0.1, 0.9]];
const heads = [[eye, flat], [flat, eye], [eye, eye]]; // 3 layers x 2 heads

test('one labelled group per layer x head, one cell per weight with its value and tokens', () => {
  const svg = headGridSvg(heads, q, k, { title: 'every head' });
  new Resvg(svg, { font: { loadSystemFonts: false } }); // well-formed
  assert.match(svg, /data-layers="3" data-heads="2" data-rows="3" data-cols="3"/);
  const groups = [...svg.matchAll(/<g class="head" data-layer="(\d)" data-head="(\d)">\n<text class="head-label"[^>]*>([^<]*)<\/text>/g)].map((m) => `${m[1]}${m[2]} ${m[3]}`);
  assert.deepEqual(groups, ['00 layer 0 · head 0', '01 layer 0 · head 1', '10 layer 1 · head 0', '11 layer 1 · head 1', '20 layer 2 · head 0', '21 layer 2 · head 1']);
  assert.equal((svg.match(/class="head-cell"/g) ?? []).length, 6 * 9);
  // Layer 0 head 1 is `flat`: its cell (1, 1) holds 0.6 and says which tokens it joins.
  const g01 = svg.split('<g class="head" data-layer="0" data-head="1">')[1]?.split('</g>\n<g class="head"')[0] ?? '';
  assert.match(g01, /data-row="1" data-col="1" data-weight="0\.6000"[^>]*><title>chat ← cat: 0\.6000<\/title>/);
  assert.equal((svg.match(/class="layer-label"/g) ?? []).length, 3);
});

test('a matrix of the wrong shape is refused, naming the layer, head and row', () => {
  assert.throws(() => checkHeadStack([[eye], [[[1, 0, 0], [0, 1]]]], q, k), /layer 1 head 0 has 2 rows for 3 query tokens/);
  assert.throws(() => checkHeadStack([[eye, [[1, 0], [0, 1], [1, 0]]]], q, k), /layer 0 head 1 row 0 has 2 columns for 3 key tokens/);
  assert.throws(() => checkHeadStack([], q, k), /no layers/);
  assert.throws(() => headGridSvg([[]], q, k), /layer 0 has no heads/);
});
