import { test } from 'node:test';
import assert from 'node:assert/strict';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { Resvg } from '@resvg/resvg-js';
import { animatedHeatmapSvg } from '../../src/viz/animate-svg.js';
import type { AttentionSnapshot } from '../../src/train/snapshot.js';

const SRC = ['the', 'black', 'cat', '</s>'];

function snap(step: number, tgt: string[], weights: number[][]): AttentionSnapshot {
  return { step, seconds: step / 10, loss: step === 0 ? null : 5 / step, text: tgt.slice(0, -1).join(' '), source_tokens: SRC, target_tokens: tgt, weights };
}

const flat = [0.25, 0.25, 0.25, 0.25];
const SNAPS = [
  snap(0, ['le', 'le', '</s>'], [flat, flat, flat]),
  snap(50, ['le', 'chat', '</s>'], [[0.7, 0.1, 0.1, 0.1], [0.1, 0.1, 0.7, 0.1], [0, 0, 0.1, 0.9]]),
  snap(100, ['le', 'chat', 'noir', '</s>'], [[0.9, 0.05, 0.05, 0], [0.05, 0.05, 0.9, 0], [0, 0.9, 0.1, 0], [0, 0, 0, 1]]),
];

interface Node {
  [key: string]: unknown;
}

function frames(svg: string): Node[] {
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@', isArray: (name) => name === 'g' }).parse(svg) as { svg: { g: Node[] } };
  return doc.svg.g.filter((g) => g['@class'] === 'anim-frame');
}

test('the animated SVG is well-formed XML with one frame per snapshot, in step order, each a heatmap of its snapshot', () => {
  const svg = animatedHeatmapSvg(SNAPS);
  assert.equal(XMLValidator.validate(svg), true);
  const fs = frames(svg);
  assert.equal(fs.length, SNAPS.length);
  assert.deepEqual(fs.map((f) => f['@data-step']), ['0', '50', '100']);
  fs.forEach((f, i) => {
    const heat = f['svg'] as Node;
    assert.equal(heat['@class'], 'attn-heatmap');
    assert.equal(heat['@data-rows'], String(SNAPS[i]?.target_tokens.length));
    assert.equal(heat['@data-cols'], '4');
  });
  assert.match(svg, /data-frames="3"/);
  // Frames take turns: each animates its visibility on one shared loop; without animation the last one shows.
  assert.deepEqual(fs.map((f) => f['@visibility']), ['hidden', 'hidden', 'visible']);
  const anims = fs.map((f) => f['animate'] as Node);
  assert.ok(anims.every((a) => a['@attributeName'] === 'visibility' && a['@calcMode'] === 'discrete' && a['@repeatCount'] === 'indefinite'));
  assert.equal(new Set(anims.map((a) => a['@dur'])).size, 1);
  assert.deepEqual(anims.map((a) => a['@values']), ['visible;hidden', 'hidden;visible;hidden', 'hidden;visible']);
  assert.doesNotMatch(svg, /<script/);
  // resvg (static) renders it.
  assert.ok(new Resvg(svg, { font: { loadSystemFonts: false } }).width > 0);
});

test('snapshots without attention (the baseline) or none at all are refused', () => {
  assert.throws(() => animatedHeatmapSvg([]), /no snapshots/);
  assert.throws(() => animatedHeatmapSvg([{ ...snap(0, ['x', '</s>'], []), weights: [] }]), /snapshot 0 \(step 0\) has no attention weights/);
});
