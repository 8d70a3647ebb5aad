/**
 * Reproduces every case of ../shared/data/sacrebleu-vectors.jsonl (scores computed by sacreBLEU 2.6.0):
 * corpus score, n-gram counts and totals, brevity penalty, lengths, signatures and the first sentence scores.
 * Skips, saying why, when the shared data directory is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpusBleu, isSmoothMethod, sentenceBleu, type BleuOptions } from '../../src/eval/bleu.js';
import { corpusChrf, sentenceChrf, type ChrfOptions } from '../../src/eval/chrf.js';
import { isTokenizerName } from '../../src/eval/tokenizers.js';

/** The project root: the nearest ancestor of this file holding package.json. */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above the test file');
    dir = up;
  }
  return dir;
}

const VECTORS = resolve(projectRoot(), '../shared/data/sacrebleu-vectors.jsonl');

interface VectorCase {
  metric: 'bleu' | 'chrf';
  options: Record<string, string | number | boolean>;
  hypotheses: string[];
  references: string[][];
  score: number;
  signature: string;
  sentence_scores_first5: number[];
  sentence_signature: string;
  counts?: number[];
  totals?: number[];
  bp?: number;
  sys_len?: number;
  ref_len?: number;
}

function bleuOptions(opts: VectorCase['options']): BleuOptions {
  const o: BleuOptions = {};
  for (const [k, v] of Object.entries(opts)) {
    if (k === 'lowercase' && typeof v === 'boolean') o.lowercase = v;
    else if (k === 'tokenize' && typeof v === 'string' && isTokenizerName(v)) o.tokenize = v;
    else if (k === 'smooth_method' && typeof v === 'string' && isSmoothMethod(v)) o.smoothMethod = v;
    else if (k === 'smooth_value' && typeof v === 'number') o.smoothValue = v;
    else throw new Error(`unhandled BLEU option ${k}=${String(v)}`);
  }
  return o;
}

function chrfOptions(opts: VectorCase['options']): ChrfOptions {
  const o: ChrfOptions = {};
  for (const [k, v] of Object.entries(opts)) {
    if (k === 'lowercase' && typeof v === 'boolean') o.lowercase = v;
    else if (k === 'word_order' && typeof v === 'number') o.wordOrder = v;
    else if (k === 'char_order' && typeof v === 'number') o.charOrder = v;
    else throw new Error(`unhandled chrF option ${k}=${String(v)}`);
  }
  return o;
}

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= 1e-6, `${what}: got ${actual}, sacreBLEU ${expected}`);
}

if (!existsSync(VECTORS)) {
  test('sacreBLEU vectors', { skip: `${VECTORS} is absent (no ../shared/data next to the project)` }, () => {});
} else {
  const cases = readFileSync(VECTORS, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as VectorCase);

  test('the vector file holds the 66 documented cases', () => {
    assert.equal(cases.length, 66);
  });

  cases.forEach((c, idx) => {
    const label = `case ${idx + 1}: ${c.metric} ${JSON.stringify(c.options)}, ${c.hypotheses.length} segments, ${c.references.length} refs`;
    test(label, () => {
      const perSegment = (i: number): string[] => c.references.map((stream) => stream[i]);
      if (c.metric === 'bleu') {
        const o = bleuOptions(c.options);
        const r = corpusBleu(c.hypotheses, c.references, o);
        close(r.score, c.score, 'score');
        assert.deepEqual(r.counts, c.counts);
        assert.deepEqual(r.totals, c.totals);
        close(r.bp, c.bp ?? NaN, 'bp');
        assert.equal(r.sysLen, c.sys_len);
        assert.equal(r.refLen, c.ref_len);
        assert.equal(r.signature, c.signature);
        c.sentence_scores_first5.forEach((expected, i) => {
          const s = sentenceBleu(c.hypotheses[i], perSegment(i), o);
          close(s.score, expected, `sentence ${i + 1}`);
          assert.equal(s.signature, c.sentence_signature);
        });
      } else {
        const o = chrfOptions(c.options);
        const r = corpusChrf(c.hypotheses, c.references, o);
        close(r.score, c.score, 'score');
        assert.equal(r.signature, c.signature);
        c.sentence_scores_first5.forEach((expected, i) => {
          const s = sentenceChrf(c.hypotheses[i], perSegment(i), o);
          close(s.score, expected, `sentence ${i + 1}`);
          assert.equal(s.signature, c.sentence_signature);
        });
      }
    });
  });
}
