/** Alignment tests; expected links and AER values worked out by hand. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pieceWords } from '../../src/data/bpe.js';
import {
  aerCounts,
  alignmentErrorRate,
  alignS2T,
  alignSymmetric,
  alignT2S,
  corpusAlignmentErrorRate,
  formatPharaoh,
  hardAlign,
  parseGoldLine,
  parseGoldText,
  parsePharaoh,
  parsePharaohText,
  symmetrize,
  wordAttention,
  type Link,
} from '../../src/eval/alignment.js';

// weights[t][s]: 4 target rows x 4 source columns.
// Row argmax (t2s): t0->s0, t1->s1, t2->s1, t3->s3.  Column argmax (s2t): s0->t0, s1->t1, s2->t2, s3->t0.
const W = [
  [0.9, 0.05, 0.0, 0.5],
  [0.1, 0.8, 0.05, 0.05],
  [0.1, 0.6, 0.2, 0.1],
  [0.05, 0.05, 0.1, 0.4],
];

const links = (s: string): Link[] => parsePharaoh(s);

test('pieceWords: a piece ending with @@ continues into the next one', () => {
  assert.deepEqual(pieceWords(['the', 'bl@@', 'ack', 'cat']), [0, 1, 1, 2]);
  assert.deepEqual(pieceWords(['un@@', 'believ@@', 'able', '!']), [0, 0, 0, 1]);
  assert.deepEqual(pieceWords(['@@', 'x']), [0, 1]); // a bare "@@" is a token, not a continuation
  assert.deepEqual(pieceWords([]), []);
});

test('wordAttention: source pieces are summed, target pieces averaged', () => {
  // Target pieces t0 t1 | t2 (2 words); source pieces s0 | s1 s2 (2 words).
  const pieces = [
    [0.5, 0.25, 0.25],
    [0.1, 0.6, 0.3],
    [0.7, 0.2, 0.1],
  ];
  const words = wordAttention(pieces, [0, 0, 1], [0, 1, 1]);
  const expected = [
    [(0.5 + 0.1) / 2, (0.5 + 0.9) / 2],
    [0.7, 0.3],
  ];
  words.forEach((row, t) => row.forEach((x, s) => assert.ok(Math.abs(x - (expected[t]?.[s] ?? NaN)) < 1e-12, `[${t}][${s}] = ${x}`)));
  for (const row of words) assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  assert.throws(() => wordAttention(pieces, [0, 1], [0, 1, 1]), /matrix is \(3, 3\) but the pieces map 2 target/);
});

test('t2s takes each row argmax, s2t each column argmax', () => {
  assert.equal(formatPharaoh(alignT2S(W)), '0-0 1-1 1-2 3-3');
  assert.equal(formatPharaoh(alignS2T(W)), '0-0 1-1 2-2 3-0');
});

test('symmetric: intersection, union, and grow-diag in between', () => {
  assert.equal(formatPharaoh(alignSymmetric(W, 'intersection')), '0-0 1-1');
  assert.equal(formatPharaoh(alignSymmetric(W, 'union')), '0-0 1-1 1-2 2-2 3-0 3-3');
  // grow-diag: from 1-1 add 1-2 (target 2 unaligned) and 2-2 (source 2 unaligned); then from 2-2 add 3-3.
  // 3-0 has no aligned neighbour and stays out.
  assert.equal(formatPharaoh(alignSymmetric(W)), '0-0 1-1 1-2 2-2 3-3');
});

test('grow-diag does not add a union link whose source and target are both aligned', () => {
  // intersection {0-0, 1-1}; union adds 0-1, whose source 0 and target 1 are both aligned already.
  const out = symmetrize(links('0-0 1-1 0-1'), links('0-0 1-1'), 'grow-diag', 2, 2);
  assert.equal(formatPharaoh(out), '0-0 1-1');
});

test('argmax ties go to the lowest index; shape errors name the row', () => {
  assert.equal(formatPharaoh(alignT2S([[0.5, 0.5]])), '0-0');
  assert.deepEqual(alignT2S([]), []);
  assert.throws(() => alignT2S([[0.1, 0.9], [1]]), /row 1 has 1 columns, row 0 has 2/);
  assert.throws(() => alignS2T([[0.1, NaN]]), /weight \[0\]\[1\] is NaN/);
  assert.equal(formatPharaoh(alignT2S([new Float32Array([0.2, 0.7, 0.1])])), '1-0');
});

test('Pharaoh text round-trips, sorted and deduplicated; errors name the line and token', () => {
  assert.equal(formatPharaoh(links('2-1 0-0 2-1 1-3')), '0-0 1-3 2-1');
  assert.deepEqual(parsePharaohText('0-0 1-1\n\n2-0\n'), [links('0-0 1-1'), [], links('2-0')]);
  assert.throws(() => parsePharaohText('0-0\n1-x\n', 'gold.txt'), /gold\.txt:2: bad alignment link "1-x"/);
  assert.throws(() => parsePharaoh('0?1', 4, 'pred.txt'), /pred\.txt:4: possible links/);
  const gold = parseGoldLine('0-0 1?2 2-1');
  assert.equal(formatPharaoh(gold.sure), '0-0 2-1');
  assert.equal(formatPharaoh(gold.possible), '0-0 1-2 2-1');
  assert.equal(parseGoldText('0-0\n1?1\n').length, 2);
});

test('AER with sure and possible links', () => {
  // A = {0-0, 1-1, 2-1}, S = {0-0, 1-1}, P = S + {2-2}: |A∩S| = 2, |A∩P| = 2, |A| = 3, |S| = 2 -> 1 - 4/5.
  const A = links('0-0 1-1 2-1');
  const S = links('0-0 1-1');
  assert.ok(Math.abs(alignmentErrorRate(A, S, links('2-2')) - 0.2) < 1e-12);
  // 2-1 possible: |A∩P| = 3 -> 1 - 5/5 = 0.
  assert.equal(alignmentErrorRate(A, S, links('2-1')), 0);
  assert.deepEqual(aerCounts(A, S, links('2-1')), { predicted: 3, sure: 2, predictedSure: 2, predictedPossible: 3 });
});

test('AER with a single gold set (S = P)', () => {
  // A = {0-0, 1-2}, G = {0-0, 1-1, 2-2}: |A∩G| = 1 -> 1 - 2/5 = 0.6.
  assert.ok(Math.abs(alignmentErrorRate(links('0-0 1-2'), links('0-0 1-1 2-2')) - 0.6) < 1e-12);
  assert.equal(alignmentErrorRate(links('0-0 1-1'), links('0-0 1-1')), 0);
  assert.equal(alignmentErrorRate(links('0-1'), links('0-0')), 1);
  assert.equal(alignmentErrorRate([], []), 0);
});

test('corpus AER sums counts over sentences', () => {
  // Sentence 1: counts (|A|, |S|, |A∩S|, |A∩P|) = (3, 2, 2, 2); sentence 2: A = {0-0}, G = {0-0, 1-1, 2-2}: (1, 3, 1, 1).
  // 1 - (2 + 2 + 1 + 1) / (3 + 2 + 1 + 3) = 1/3 (the mean of 0.2 and 0.5 would be 0.35).
  const aer = corpusAlignmentErrorRate(
    [links('0-0 1-1 2-1'), links('0-0')],
    [links('0-0 1-1'), links('0-0 1-1 2-2')],
    [links('0-0 1-1 2-2'), links('0-0 1-1 2-2')],
  );
  assert.ok(Math.abs(aer - 1 / 3) < 1e-12);
  assert.throws(() => corpusAlignmentErrorRate([[]], []), /1 predicted alignments, 0 sure/);
});

test('hardAlign: t2s takes each row\'s argmax; grow-diag adds union links next to the intersection', () => {
  // Rows: target words; columns: source words. Target 0 -> source 0, target 1 -> source 2, target 2 -> source 1.
  const w = [
    [0.7, 0.2, 0.1],
    [0.1, 0.3, 0.6],
    [0.2, 0.5, 0.3],
  ];
  assert.equal(formatPharaoh(hardAlign(w, 't2s')), '0-0 1-2 2-1');
  // Column argmaxes: source 0 -> target 0, source 1 -> target 2, source 2 -> target 1: the same links.
  assert.equal(formatPharaoh(hardAlign(w, 'intersection')), '0-0 1-2 2-1');
  // A matrix where the two directions disagree:
  const v = [
    [0.6, 0.4],
    [0.55, 0.45],
  ];
  // t2s: both targets -> source 0; s2t: source 0 -> target 0, source 1 -> target 1.
  assert.equal(formatPharaoh(hardAlign(v, 't2s')), '0-0 0-1');
  assert.equal(formatPharaoh(hardAlign(v, 'intersection')), '0-0');
  assert.equal(formatPharaoh(hardAlign(v, 'union')), '0-0 0-1 1-1');
  // grow-diag: from 0-0, the neighbours 0-1 and 1-1 (diagonal) are union links with an unaligned side.
  assert.equal(formatPharaoh(hardAlign(v, 'grow-diag')), '0-0 0-1 1-1');
  assert.deepEqual(hardAlign([], 't2s'), []);
});
