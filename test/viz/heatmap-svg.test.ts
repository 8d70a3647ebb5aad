import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Resvg } from '@resvg/resvg-js';
import { heatmapSvg, checkAttentionShape } from '../../src/viz/heatmap-svg.js';
import { textWidth, weightColor, xmlEscape } from '../../src/viz/svg-util.js';

const src = ['the', 'black', 'cat', '</s>'];
const tgt = ['le', 'chat', 'noir', '</s>'];
const weights = [
  [0.9, 0.05, 0.05, 0],
  [0.1, 0.1, 0.75, 0.05],
  [0, 0.8, 0.2, 0],
  [0, 0, 0.25, 0.75],
];

function cells(svg: string): RegExpMatchArray[] {
  return [...svg.matchAll(/<rect class="attn-cell" data-row="(\d+)" data-col="(\d+)" data-weight="([^"]+)"[^>]*fill="([^"]+)"><title>([^<]*)<\/title><\/rect>/g)];
}

/** resvg parses the document as XML: throws on malformed markup. */
function assertWellFormed(svg: string): void {
  const r = new Resvg(svg, { font: { loadSystemFonts: false } });
  assert.ok(r.width > 0 && r.height > 0);
}

test('one cell per weight, with row, column and the weight in its title', () => {
  const svg = heatmapSvg(weights, src, tgt, { title: 'example' });
  const found = cells(svg);
  assert.equal(found.length, 16);
  const byPos = new Map(found.map((m) => [`${m[1]},${m[2]}`, m]));
  const m = byPos.get('2,1');
  assert.ok(m, 'cell (2,1) present');
  assert.equal(m[3], '0.8000');
  assert.equal(m[5], 'noir \u2190 black: 0.8000');
  assert.equal(byPos.get('3,2')?.[5], '&lt;/s&gt; \u2190 cat: 0.2500');
  assert.match(svg, /<text class="attn-title"[^>]*>example<\/text>/);
  assert.equal((svg.match(/class="attn-src"/g) ?? []).length, 4);
  assert.equal((svg.match(/class="attn-tgt"/g) ?? []).length, 4);
  assert.match(svg, /<text class="attn-src" data-col="1"[^>]*><title>black<\/title>black<\/text>/);
  assertWellFormed(svg);
});

test('heavier weights get darker cells', () => {
  const lum = (c: string): number => {
    const [r, g, b] = (c.match(/\d+/g) ?? []).map(Number);
    return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (b ?? 0);
  };
  assert.ok(lum(weightColor(0.9)) < lum(weightColor(0.5)));
  assert.ok(lum(weightColor(0.5)) < lum(weightColor(0.1)));
  assert.equal(weightColor(0), 'rgb(247,251,255)');
  assert.equal(weightColor(1), 'rgb(8,48,107)');
  assert.equal(weightColor(7), weightColor(1));
  const svg = heatmapSvg(weights, src, tgt);
  const fill = new Map(cells(svg).map((m) => [`${m[1]},${m[2]}`, m[4]]));
  assert.equal(fill.get('0,0'), weightColor(0.9));
  assert.equal(fill.get('0,3'), weightColor(0));
});

test('labels and title are XML-escaped', () => {
  const nasty = ['<b>', 'a&b', '"q"', "it's"];
  const svg = heatmapSvg(weights, nasty, tgt, { title: 'A <title> & "more"' });
  assert.ok(!svg.includes('<b>'));
  assert.ok(svg.includes('&lt;b&gt;'));
  assert.ok(svg.includes('a&amp;b'));
  assert.ok(svg.includes('&quot;q&quot;'));
  assert.ok(svg.includes('it&#39;s'));
  assert.ok(svg.includes('A &lt;title&gt; &amp; &quot;more&quot;'));
  assertWellFormed(svg);
  assert.equal(xmlEscape(`<>&"'`), '&lt;&gt;&amp;&quot;&#39;');
});

test('shape mismatches are reported with the numbers', () => {
  assert.throws(() => heatmapSvg(weights, src, tgt.slice(0, 3)), /4 weight rows but 3 target tokens/);
  assert.throws(() => checkAttentionShape([[1, 0], [0.5, 0.5, 0]], ['a', 'b'], ['x', 'y']), /row 1 has 3 columns but there are 2 source tokens/);
});

test('40x40 renders with smaller cells and font, long labels cut', () => {
  const n = 45;
  const s = Array.from({ length: n }, (_, i) => `source${i}`);
  const t = Array.from({ length: n }, (_, i) => (i === 3 ? 'a'.repeat(60) : `target${i}`));
  const w = t.map((_, i) => s.map((_, j) => (i === j ? 0.6 : 0.4 / (n - 1))));
  const svg = heatmapSvg(w, s, t);
  assert.equal(cells(svg).length, n * n);
  const small = heatmapSvg(weights, src, tgt);
  const cellSize = (x: string): number => Number(x.match(/class="attn-cell"[^>]*width="(\d+)"/)?.[1]);
  const fontSize = (x: string): number => Number(x.match(/<svg[^>]*font-size="(\d+)"/)?.[1]);
  assert.ok(cellSize(svg) >= 14 && cellSize(svg) < cellSize(small), `cell ${cellSize(svg)} vs ${cellSize(small)}`);
  assert.ok(fontSize(svg) >= 9 && fontSize(svg) < fontSize(small));
  assert.ok(svg.includes('a'.repeat(23) + '…'));
  assert.ok(svg.includes(`<title>${'a'.repeat(60)}</title>`));
  const width = Number(svg.match(/<svg[^>]*width="(\d+)"/)?.[1]);
  assert.ok(width > n * cellSize(svg) && width < n * cellSize(svg) + 600, `width ${width}`);
  assertWellFormed(svg);
});

test('values are printed in big cells and not in small ones', () => {
  assert.match(heatmapSvg(weights, src, tgt, { cellSize: 40 }), /<g class="attn-values"[^>]*>.*>\.90<\/text>/s);
  assert.ok(!heatmapSvg(weights, src, tgt, { cellSize: 20 }).includes('attn-values'));
});

test('a long title widens the picture instead of being cut off', () => {
  const title = 'the black cat ate the mouse → le chat noir a mangé la souris';
  const narrow = heatmapSvg(weights, src, tgt, {});
  const titled = heatmapSvg(weights, src, tgt, { title });
  const width = (svg: string): number => Number(/<svg[^>]* width="(\d+)"/.exec(svg)?.[1]);
  assert.ok(width(titled) > width(narrow), `${width(titled)} > ${width(narrow)}`);
  const size = Number(/<text class="attn-title"[^>]* font-size="(\d+)"/.exec(titled)?.[1]);
  assert.ok(size > 0);
  assert.ok(width(titled) >= 10 + textWidth(title, size), 'the whole title fits');
});
