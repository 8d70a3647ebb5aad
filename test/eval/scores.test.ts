import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketBleuSeries, formatComparisonTable, markdownComparisonTable, scoreByLength, scoreSet, sourceWordCount, type BucketScore } from '../../src/eval/scores.js';

const row = (bucket: string, sentences: number, bleu: number): BucketScore => ({ bucket, sentences, bleu, chrf: bleu + 10, exact: 0 });

test('sourceWordCount counts words and punctuation of the text, not a model\'s subwords', () => {
  assert.equal(sourceWordCount('the black cat ate the mouse'), 6);
  assert.equal(sourceWordCount("  I don't know, Tom.  "), 7); // I do n't know , Tom .
  assert.equal(sourceWordCount('unbelievably-long-compound'), 1);
  assert.equal(sourceWordCount(''), 0);
});

test('bucketBleuSeries: one value per length bucket in order, null where a model has no sentence', () => {
  assert.deepEqual(bucketBleuSeries([row('6-10', 4, 30), row('1-5', 3, 50), row('31+', 1, 5)]), [50, 30, null, null, null, 5]);
});

test('comparison tables list every bucket any model has, with each model\'s BLEU', () => {
  const models = [
    { name: 'attention', rows: [row('1-5', 10, 52.5), row('6-10', 8, 40)] },
    { name: 'baseline', rows: [row('1-5', 10, 48), row('16-20', 2, 3.25)] },
  ];
  const text = formatComparisonTable(models).split('\n');
  assert.equal(text.length, 4);
  assert.match(text[0] ?? '', /attention BLEU.*baseline BLEU/);
  assert.match(text[1] ?? '', /^1-5\s+10\s+52\.5\s+62\.5\s+48\.0\s+58\.0$/);
  assert.match(text[2] ?? '', /^6-10\s+8\s+40\.0\s+50\.0\s+-\s+-$/);
  assert.match(text[3] ?? '', /^16-20\s+2\s+-\s+-\s+3\.3\s+13\.3$/);
  assert.deepEqual(markdownComparisonTable(models).split('\n'), [
    '| source length | sentences | attention BLEU | baseline BLEU |',
    '|---|---:|---:|---:|',
    '| 1-5 | 10 | 52.5 | 48.0 |',
    '| 6-10 | 8 | 40.0 | - |',
    '| 16-20 | 2 | - | 3.3 |',
  ]);
});

test('other length buckets: series, tables and rows in the order of their labels', () => {
  const labels = ['1-8', '9-10', '11-12', '13+'];
  const rows = [row('13+', 2, 20), row('9-10', 4, 30)];
  assert.deepEqual(bucketBleuSeries(rows, labels), [null, 30, null, 20]);
  const models = [{ name: 'Transformer', rows }, { name: 'RNN attention', rows: [row('1-8', 3, 40), row('13+', 2, 25)] }];
  assert.deepEqual(formatComparisonTable(models, 'src len', labels).split('\n').map((l) => l.split(/\s+/)[0]), ['src', '1-8', '9-10', '13+']);
  assert.deepEqual(markdownComparisonTable(models, 'length', labels).split('\n').slice(2), ['| 1-8 | 3 | - | 40.0 |', '| 9-10 | 4 | 30.0 | - |', '| 13+ | 2 | 20.0 | 25.0 |']);
  // The study's buckets know none of these labels: nothing to show.
  assert.deepEqual(markdownComparisonTable(models).split('\n').length, 2);
});

test('scoreSet: exact match against any reference after normalization, lowercased when asked', () => {
  const s = scoreSet(['Le chat.', 'un chien'], [['le chat.'], ['une souris', 'un chien']], { lowercase: true });
  assert.equal(s.sentences, 2);
  assert.equal(s.exact, 1);
  assert.equal(s.chrf, 100);
  assert.equal(scoreSet(['Le chat.'], [['le chat.']], { lowercase: false }).exact, 0);
  assert.throws(() => scoreSet(['a'], [], { lowercase: true }), /1 hypotheses for 0 reference lists/);
});

test('scoreByLength: one row per bucket that has sentences, in bucket order', () => {
  const rows = scoreByLength(['a b', 'c', 'd e f'], [['a b'], ['x'], ['d e f']], [7, 2, 40], { lowercase: true });
  assert.deepEqual(rows.map((r) => [r.bucket, r.sentences, r.exact]), [['1-5', 1, 0], ['6-10', 1, 1], ['31+', 1, 1]]);
});
