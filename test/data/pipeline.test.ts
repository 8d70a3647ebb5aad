import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bpe, countWords } from '../../src/data/bpe.js';
import { TextPipeline, pipelinesFromJSON, pipelinesToJSON } from '../../src/data/pipeline.js';
import { generateSeedCorpus } from '../../src/data/seed-corpus.js';

test('word pipeline: normalize, tokenize, lowercase; decode inverts', () => {
  const p = new TextPipeline({ kind: 'word', lowercase: true, lang: 'fr' });
  assert.deepEqual(p.encode("  L'Homme  a vu\u00a0?"), ["l'", 'homme', 'a', 'vu', '?']);
  assert.equal(p.decode(p.encode("L'Homme a vu ?")), "l'homme a vu ?");
  const cased = new TextPipeline({ kind: 'word', lowercase: false });
  assert.deepEqual(cased.encode("Don't go."), ['Do', "n't", 'go', '.']);
  assert.equal(cased.decode(cased.encode("Don't go.")), "Don't go.");
});

test('bpe pipeline round trip and JSON round trip', () => {
  const word = new TextPipeline({ kind: 'word', lowercase: true, lang: 'fr' });
  const pairs = generateSeedCorpus({ size: 300, seed: 4 });
  const bpe = Bpe.learn(countWords(pairs.map((p) => word.words(p.tgt))), { merges: 150 });
  const p = word.withBpe(bpe);
  const text = "l'éléphant que la vieille femme a vu est arrivé aujourd'hui";
  const toks = p.encode(text);
  assert.ok(toks.some((t) => t.endsWith('@@')));
  assert.equal(p.decode(toks), text);
  for (const q of pairs.slice(0, 50)) assert.equal(p.decode(p.encode(q.tgt)), q.tgt);
  const back = TextPipeline.fromJSON(JSON.parse(JSON.stringify(p.toJSON())));
  assert.equal(back.kind, 'bpe');
  assert.equal(back.lang, 'fr');
  assert.deepEqual(back.encode(text), toks);
});

test('pair JSON for checkpoints and validation errors', () => {
  const src = new TextPipeline({ kind: 'word', lowercase: true, lang: 'en' });
  const tgt = new TextPipeline({ kind: 'word', lowercase: false, lang: 'fr' });
  const j = pipelinesToJSON({ src, tgt });
  const back = pipelinesFromJSON(JSON.parse(JSON.stringify(j)));
  assert.deepEqual(back.src.toJSON(), src.toJSON());
  assert.deepEqual(back.tgt.toJSON(), tgt.toJSON());
  assert.throws(() => TextPipeline.fromJSON({ kind: 'char', lowercase: true }), /kind must be 'word' or 'bpe'/);
  assert.throws(() => TextPipeline.fromJSON({ kind: 'bpe', lowercase: true }), /Bpe.fromJSON/);
  assert.throws(() => pipelinesFromJSON({ src: src.toJSON() }), /src, tgt/);
});
