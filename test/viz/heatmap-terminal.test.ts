import { test } from 'node:test';
import assert from 'node:assert/strict';
import { heatmapTerminal, shadeFor, terminalOptionsFor } from '../../src/viz/heatmap-terminal.js';

const src = ['the', 'cat', '</s>'];
const tgt = ['le', 'chat', '</s>'];
const weights = [
  [1, 0, 0],
  [0, 0.5, 0.5],
  [0.25, 0, 0.75],
];

test('shades map weights to darker characters', () => {
  assert.equal(shadeFor(0), ' ');
  assert.equal(shadeFor(0.25), '░');
  assert.equal(shadeFor(0.5), '▒');
  assert.equal(shadeFor(0.75), '▓');
  assert.equal(shadeFor(1), '█');
  assert.equal(shadeFor(3), '█');
  assert.equal(shadeFor(Number.NaN), ' ');
});

test('rows carry the target label and two shade characters per source token', () => {
  const out = heatmapTerminal(weights, src, tgt).split('\n');
  // 4 label lines (longest source '</s>'), then 3 rows.
  assert.equal(out.length, 7);
  assert.equal(out[0], '     t c <');
  assert.equal(out[1], '     h a /');
  assert.equal(out[4], '  le ██');
  assert.equal(out[5], 'chat   ▒▒▒▒');
  assert.equal(out[6], '</s> ░░  ▓▓');
});

test('columns that do not fit are cut and counted', () => {
  const n = 60;
  const s = Array.from({ length: n }, (_, i) => `w${i}`);
  const w = [s.map(() => 1 / n)];
  const out = heatmapTerminal(w, s, ['x'], { width: 40 }).split('\n');
  for (const line of out.slice(0, -1)) assert.ok(line.length <= 40, `line too long: ${JSON.stringify(line)}`);
  assert.match(out[out.length - 1] ?? '', /^\(41 more source tokens not shown: terminal is 40 columns wide\)$/);
});

test('long labels are cut with an ellipsis', () => {
  const out = heatmapTerminal([[1]], ['abcdefghijklmnop'], ['a-very-long-target-word'], { maxRowLabel: 6, maxColLabel: 4 }).split('\n');
  assert.deepEqual(out.slice(0, 4).map((l) => l.trim()), ['a', 'b', 'c', '…']);
  assert.equal(out[4], 'a-ver… ██');
});

test('colour mode uses 256-colour backgrounds from dark to light', () => {
  const out = heatmapTerminal(weights, src, tgt, { color: true });
  assert.ok(out.includes('\x1b[48;5;255m  \x1b[0m'));
  assert.ok(out.includes('\x1b[48;5;232m  \x1b[0m'));
  assert.ok(!out.includes('█'));
});

test('terminal options follow the stream', () => {
  assert.deepEqual(terminalOptionsFor({ isTTY: false, columns: 120 }), { width: 80, color: false });
  assert.deepEqual(terminalOptionsFor({ isTTY: true, columns: 120, hasColors: () => true }), { width: 120, color: true });
  assert.deepEqual(terminalOptionsFor({ isTTY: true, columns: 100, hasColors: () => true }, { NO_COLOR: '1' }), { width: 100, color: false });
});
