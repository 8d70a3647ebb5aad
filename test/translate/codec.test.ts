import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Bpe } from '../../src/data/bpe.js';
import { pipelinesToJSON, TextPipeline } from '../../src/data/pipeline.js';
import { CodecError, codecFrom, makeCodec } from '../../src/translate/codec.js';

test('a codec tokenizes as its pipelines do and survives the checkpoint\'s JSON', () => {
  const bpe = new Bpe([['c', 'a'], ['ca', 't']]);
  const pipelines = {
    src: new TextPipeline({ kind: 'word', lowercase: true, lang: 'en' }).withBpe(bpe),
    tgt: new TextPipeline({ kind: 'word', lowercase: true, lang: 'fr' }),
  };
  const codec = makeCodec(pipelines);
  assert.deepEqual(codec.source('The CAT.'), pipelines.src.encode('The CAT.'));
  assert.deepEqual(codec.target("L'homme"), ["l'", 'homme']);
  assert.equal(codec.detokenize(["l'", 'homme', 'a', 'faim', '.']), "l'homme a faim.");
  assert.equal(codec.lowercase, true);
  const again = codecFrom(JSON.parse(JSON.stringify(codec.toJSON())) as Record<string, unknown>);
  assert.deepEqual(again.source('the cats'), codec.source('the cats'));
  assert.deepEqual(again.toJSON(), pipelinesToJSON(pipelines));
  assert.throws(() => codecFrom({ src: { kind: 'morse' } }), (e: unknown) => e instanceof CodecError && /^checkpoint tokenizer: /.test(e.message));
});
