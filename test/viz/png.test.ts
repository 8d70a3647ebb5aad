import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { svgToPng, writePicture, writePng } from '../../src/viz/png.js';
import { heatmapSvg } from '../../src/viz/heatmap-svg.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const svg = heatmapSvg([[0.7, 0.3], [0.2, 0.8]], ['a', 'b'], ['x', 'y'], { title: 't' });
const svgWidth = Number(svg.match(/<svg[^>]*width="(\d+)"/)?.[1]);
const svgHeight = Number(svg.match(/<svg[^>]*height="(\d+)"/)?.[1]);

function ihdrSize(png: Uint8Array): [number, number] {
  const v = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return [v.getUint32(16), v.getUint32(20)];
}

test('PNG bytes start with the signature and have the SVG size', () => {
  const png = svgToPng(svg);
  assert.deepEqual([...png.subarray(0, 8)], SIGNATURE);
  assert.deepEqual(ihdrSize(png), [svgWidth, svgHeight]);
  assert.deepEqual(ihdrSize(svgToPng(svg, { scale: 2 })), [svgWidth * 2, svgHeight * 2]);
});

test('without fonts it still renders and says why labels are missing', () => {
  const warnings: string[] = [];
  const png = svgToPng(svg, { loadSystemFonts: false, onWarning: (m) => warnings.push(m) });
  assert.deepEqual([...png.subarray(0, 8)], SIGNATURE);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /no fonts found/);
});

test('files are written atomically, format chosen by extension', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'attnmt-png-'));
  try {
    const png = path.join(dir, 'sub', 'a.png');
    writePng(png, svg);
    assert.deepEqual([...fs.readFileSync(png).subarray(0, 8)], SIGNATURE);
    writePicture(path.join(dir, 'b.svg'), svg);
    assert.equal(fs.readFileSync(path.join(dir, 'b.svg'), 'utf8'), svg);
    assert.throws(() => writePicture(path.join(dir, 'c.gif'), svg), /unknown picture format "\.gif"/);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['b.svg', 'sub']);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'sub')), ['a.png']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
