import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { encodeCheckpoint } from '../../src/model/checkpoint.js';
import { loadCheckpoint } from '../../src/model/checkpoint-file.js';
import { loadModel } from '../../src/model/model.js';
import { Seq2Seq } from '../../src/model/seq2seq.js';
import { codecFrom } from '../../src/translate/codec.js';
import { translateTexts, type Translation } from '../../src/translate/translate.js';

/** test/fixtures, from dist/test/model. */
const fixtures = new URL('../../../test/fixtures/', import.meta.url);

interface Expected {
  texts: string[];
  greedy: Translation[];
  beam: Translation[];
}

function assertSameTranslations(got: Translation[], want: Translation[], what: string): void {
  assert.equal(got.length, want.length);
  got.forEach((g, i) => {
    const w = want[i] as Translation;
    assert.deepEqual(g.sourceTokens, w.sourceTokens, `${what} ${i}: source tokens`);
    assert.equal(g.hypotheses.length, w.hypotheses.length);
    g.hypotheses.forEach((h, k) => {
      const e = w.hypotheses[k];
      assert.ok(e !== undefined);
      assert.equal(h.text, e.text, `${what} ${i}.${k}: text`);
      assert.deepEqual(h.targetTokens, e.targetTokens, `${what} ${i}.${k}: target tokens`);
      assert.ok(Math.abs(h.score - e.score) <= 1e-5 * Math.abs(e.score), `${what} ${i}.${k}: score ${h.score} vs ${e.score}`);
      assert.equal(h.weights.length, e.weights.length);
      h.weights.forEach((row, t) => row.forEach((x, j) => assert.ok(Math.abs(x - (e.weights[t]?.[j] ?? NaN)) <= 1e-6, `${what} ${i}.${k}: weight ${t},${j}`)));
    });
  });
}

test('an RNN checkpoint written before model.arch existed loads as an RNN and translates as it did', () => {
  const file = new URL('rnn-v1.safetensors', fixtures);
  const expected = JSON.parse(readFileSync(new URL('rnn-v1.expected.json', fixtures), 'utf8')) as Expected;
  const c = loadCheckpoint(file.pathname);
  assert.equal('arch' in c.config, false, 'the config has no arch key, as written');
  const model = loadModel(c);
  assert.ok(model instanceof Seq2Seq);
  const parts = { model, srcVocab: c.srcVocab, tgtVocab: c.tgtVocab, codec: codecFrom(c.tokenizer) };
  // The defaults the fixture was decoded with (translateTexts' of that version).
  const opts = { alpha: 0.6, maxLenRatio: 2, batchSize: 32, replaceUnknowns: true };
  assertSameTranslations(translateTexts(parts, expected.texts, { ...opts, beam: 1, nbest: 1 }), expected.greedy, 'greedy');
  assertSameTranslations(translateTexts(parts, expected.texts, { ...opts, beam: 4, nbest: 2 }), expected.beam, 'beam');
  // Written again by this version the config still has no arch key: RNN checkpoints stay readable by the old code.
  const bytes = encodeCheckpoint(c);
  const len = Number(Buffer.from(bytes).readBigUInt64LE(0));
  const header = JSON.parse(Buffer.from(bytes.subarray(8, 8 + len)).toString('utf8')) as { __metadata__: { config: string } };
  assert.equal('arch' in (JSON.parse(header.__metadata__.config) as object), false);
});
