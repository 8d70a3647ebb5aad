import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { Bpe } from '../../src/data/bpe.js';
import { TextPipeline } from '../../src/data/pipeline.js';
import { makeCodec } from '../../src/translate/codec.js';
import { overWords, type ForcedPair } from '../../src/translate/forced.js';
import { openTranslator } from '../../src/translate/translator.js';
import { writeTinyCheckpoint } from '../helpers/tiny-checkpoint.js';

const word = (lang: string): TextPipeline => new TextPipeline({ kind: 'word', lowercase: true, lang });

test('forcing the greedy output text gives the attention greedy decoding recorded', () => {
  const t = openTranslator(new Uint8Array(fs.readFileSync(writeTinyCheckpoint({ seed: 11 }))), { beam: 1, replaceUnknowns: false });
  const sources = ['the black cat ate the mouse', 'the white dog sees the cat', 'a small house', 'i am hungry', 'the cat', 'the mouse ate the cat'];
  let compared = 0;
  for (const r of t.translate(sources)) {
    const best = r.hypotheses[0];
    if (best === undefined || best.text === '' || !best.targetTokens.includes('</s>')) continue;
    const [f] = t.force([{ src: r.source, tgt: best.text }]);
    // Only when the output text tokenizes back to the same tokens is the forced path the greedy path.
    if (f === undefined || f.targetTokens.join(' ') !== best.targetTokens.join(' ')) continue;
    compared++;
    assert.deepEqual(f.sourceTokens, r.sourceTokens);
    f.weights.forEach((row, i) => row.forEach((x, j) => assert.ok(Math.abs(x - (best.weights[i]?.[j] ?? NaN)) < 1e-6)));
  }
  assert.ok(compared >= 2, `only ${compared} greedy outputs could be compared`);
});

test('overWords drops the EOS row and column; with BPE, source pieces are summed and target pieces averaged', () => {
  const f: ForcedPair = {
    source: 'the blackcat', target: 'le chatnoir',
    sourceTokens: ['the', 'black@@', 'cat', '</s>'],
    targetTokens: ['le', 'chat@@', 'noir', '</s>'],
    weights: [
      [0.7, 0.1, 0.1, 0.1],
      [0.1, 0.5, 0.3, 0.1],
      [0.1, 0.2, 0.6, 0.1],
      [0.1, 0.1, 0.1, 0.7],
    ],
  };
  const bpe = new Bpe([['black', 'cat']]);
  const words = overWords(makeCodec({ src: word('en').withBpe(bpe), tgt: word('fr').withBpe(bpe) }), f);
  assert.deepEqual(words.sourceWords, ['the', 'blackcat']);
  assert.deepEqual(words.targetWords, ['le', 'chatnoir']);
  assert.deepEqual(words.weights.map((r) => r.map((x) => Math.round(x * 100) / 100)), [[0.7, 0.2], [0.1, 0.8]]);
  const plain = overWords(makeCodec({ src: word('en'), tgt: word('fr') }), f);
  assert.deepEqual(plain.sourceWords, ['the', 'black@@', 'cat']);
  assert.deepEqual(plain.weights, f.weights.slice(0, 3).map((r) => r.slice(0, 3)));
});
