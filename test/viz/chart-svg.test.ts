import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Resvg } from '@resvg/resvg-js';
import { LENGTH_BUCKETS, STUDY_BUCKETS, bleuByLengthChartSvg, lengthBucket, lengthBuckets, lineChartSvg, niceStep } from '../../src/viz/chart-svg.js';

test('length buckets follow the study', () => {
  assert.deepEqual(
    [1, 5, 6, 10, 11, 15, 16, 20, 21, 30, 31, 80].map(lengthBucket),
    ['1-5', '1-5', '6-10', '6-10', '11-15', '11-15', '16-20', '16-20', '21-30', '21-30', '31+', '31+'],
  );
  assert.throws(() => lengthBucket(0), /positive integer/);
});

test('lengthBuckets: labels from upper bounds, an open last bucket, one-length buckets by their length', () => {
  const b = lengthBuckets([3, 4, 10]);
  assert.deepEqual(b.labels, ['1-3', '4', '5-10', '11+']);
  assert.deepEqual([1, 3, 4, 5, 10, 11, 99].map((n) => b.of(n)), ['1-3', '1-3', '4', '5-10', '5-10', '11+', '11+']);
  assert.throws(() => b.of(0), /positive integer/);
  assert.throws(() => lengthBuckets([]), /no upper bounds/);
  assert.throws(() => lengthBuckets([5, 5]), /ascending positive integers/);
  assert.throws(() => lengthBuckets([0, 5]), /ascending positive integers/);
  // The study's default buckets are the same as lengthBuckets([5, 10, 15, 20, 30]).
  const same = lengthBuckets([5, 10, 15, 20, 30]);
  assert.deepEqual(same.labels, [...LENGTH_BUCKETS]);
  assert.deepEqual(STUDY_BUCKETS.labels, LENGTH_BUCKETS);
  for (let n = 1; n <= 40; n++) assert.equal(STUDY_BUCKETS.of(n), same.of(n), String(n));
});

test('nice steps', () => {
  assert.equal(niceStep(30), 10);
  assert.equal(niceStep(12), 2.5);
  assert.equal(niceStep(0.9), 0.2);
});

test('one line and one marker per value, gaps at null', () => {
  const svg = bleuByLengthChartSvg([
    { name: 'attention', values: [30.5, 29, 28, 27.5, 26, 25] },
    { name: 'fixed-context baseline', values: [29, 25, 20, null, 12, 8] },
  ]);
  assert.equal((svg.match(/class="chart-series"/g) ?? []).length, 2);
  assert.equal((svg.match(/<polyline/g) ?? []).length, 3, 'baseline line is split at the gap');
  assert.equal((svg.match(/data-bucket=/g) ?? []).length, 11);
  assert.ok(svg.includes('<title>fixed-context baseline, 31+: 8.00</title>'));
  for (const b of LENGTH_BUCKETS) assert.ok(svg.includes(`>${b}</text>`), b);
  assert.ok(svg.includes('>BLEU by source sentence length</text>'));
  const r = new Resvg(svg, { font: { loadSystemFonts: false } });
  assert.equal(r.width, 640);
});

test('higher BLEU is drawn higher', () => {
  const svg = lineChartSvg({ buckets: ['a', 'b'], series: [{ name: 's<1>', values: [10, 20] }] });
  const ys = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
  assert.equal(ys.length, 2);
  assert.ok((ys[1] ?? 0) < (ys[0] ?? 0));
  assert.ok(svg.includes('s&lt;1&gt;'));
  assert.throws(() => lineChartSvg({ buckets: ['a'], series: [{ name: 'x', values: [1, 2] }] }), /"x" has 2 values for 1 buckets/);
});

test('the BLEU axis stops at 100 even when the best bucket is close to it', () => {
  const svg = bleuByLengthChartSvg([{ name: 'attention', values: [98, 90, 80, 70, 60, 50] }]);
  const axis = svg.slice(svg.indexOf('<g class="chart-y-axis"'), svg.indexOf('<g class="chart-x-axis"'));
  const ticks = [...axis.matchAll(/>(\d+(?:\.\d+)?)<\/text>/g)].map((m) => Number(m[1]));
  assert.equal(Math.max(...ticks), 100);
  const low = bleuByLengthChartSvg([{ name: 'attention', values: [30, 20, 10, 5, 2, 1] }]);
  const lowAxis = low.slice(low.indexOf('<g class="chart-y-axis"'), low.indexOf('<g class="chart-x-axis"'));
  assert.ok(Math.max(...[...lowAxis.matchAll(/>(\d+(?:\.\d+)?)<\/text>/g)].map((m) => Number(m[1]))) < 50, 'low scores keep a tight axis');
});
