import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readParallel, readTsv } from '../../src/data/readers.js';
import { generateSeedCorpus } from '../../src/data/seed-corpus.js';
import { JOINER, detokenize, stripJoiner, tokenize } from '../../src/data/tokenize.js';
import { sharedData } from './shared-data.js';

test('punctuation is split, words with hyphens and decimals kept', () => {
  assert.deepEqual(tokenize('Hello, world. It costs 3.14 euros (well-known)!'),
    ['Hello', ',', 'world', '.', 'It', 'costs', '3.14', 'euros', '(', 'well-known', ')', '!']);
  assert.deepEqual(tokenize('Wait... 1,000 at 10:30'), ['Wait', '...', '1,000', 'at', '10:30']);
});

test('French elisions stay attached to the elided word', () => {
  assert.deepEqual(tokenize("l'homme qu'il a vu", { lang: 'fr' }), ["l'", 'homme', "qu'", 'il', 'a', 'vu']);
  assert.deepEqual(tokenize("L'oiseau n'est pas jusqu'à aujourd'hui", { lang: 'fr' }),
    ["L'", 'oiseau', "n'", 'est', 'pas', "jusqu'", 'à', "aujourd'hui"]);
  assert.deepEqual(tokenize('C’est l’été'), ['C’', 'est', 'l’', 'été']);
  assert.deepEqual(tokenize("O'Brien rock'n'roll"), ["O'Brien", "rock'n'roll"]);
});

test('English contractions are split Penn-Treebank style', () => {
  assert.deepEqual(tokenize("I don't know, it's John's."), ['I', 'do', "n't", 'know', ',', 'it', "'s", 'John', "'s", '.']);
  assert.deepEqual(tokenize("We're sure they'll come. Can't."), ['We', "'re", 'sure', 'they', "'ll", 'come', '.', 'Ca', "n't", '.']);
});

test('joiner marks only unusual spacing', () => {
  assert.deepEqual(tokenize('Tiens bon !', { lang: 'fr' }), ['Tiens', 'bon', '!']);
  assert.deepEqual(tokenize('Hang on!'), ['Hang', 'on', '!']);
  assert.deepEqual(tokenize('Hang on !'), ['Hang', 'on', JOINER + '!']);
  assert.deepEqual(tokenize('It costs $5.'), ['It', 'costs', '$', JOINER + '5', '.']);
  assert.deepEqual(tokenize('He said "hi" twice.'), ['He', 'said', '"', 'hi', '"', 'twice', '.']);
  assert.equal(stripJoiner(JOINER + '5'), '5');
  assert.equal(stripJoiner(JOINER), JOINER);
});

test('round trip on tricky strings', () => {
  const cases = [
    '', 'a', 'Hello , world', 'x(y)z', '"a" "b" c"d', "dogs' bones", "'quoted'", '¿Qué? ¡Sí!', '« Bonjour » , dit-il .',
    `literal ${JOINER} and ${JOINER}x and ${JOINER}${JOINER}`, 'a/b / c', 'emoji 😀x 😀 y', '...hm... .. .', "n't 's ' l'",
  ];
  for (const lang of ['en', 'fr', 'de']) {
    for (const c of cases) assert.equal(detokenize(tokenize(c, { lang }), { lang }), c, `${lang}: ${c}`);
  }
});

test('round trip on the seed corpus; tokens match the word split of the generator', () => {
  for (const p of generateSeedCorpus({ size: 300, seed: 3 })) {
    assert.deepEqual(tokenize(p.src), p.src.split(' '));
    const fr = tokenize(p.tgt, { lang: 'fr' });
    assert.equal(detokenize(fr, { lang: 'fr' }), p.tgt);
    assert.ok(fr.every((t) => !t.startsWith(JOINER)), p.tgt);
  }
});

function roundTripAll(texts: string[], lang: string): void {
  let bad = 0;
  let first = '';
  for (const t of texts) {
    if (detokenize(tokenize(t, { lang }), { lang }) !== t) {
      if (bad === 0) first = t;
      bad++;
    }
  }
  assert.equal(bad, 0, `${bad} of ${texts.length} ${lang} lines do not round-trip, first: ${first}`);
}

test('round trip on Tatoeba dev', (t) => {
  const f = sharedData('tatoeba-eng-fra/dev.tsv');
  if (f === null) return t.skip('shared data absent');
  const { pairs } = readTsv(f);
  assert.ok(pairs.length > 2000);
  roundTripAll(pairs.map((p) => p.src), 'en');
  roundTripAll(pairs.map((p) => p.tgt), 'fr');
});

test('round trip on Multi30k val (en, de, fr)', (t) => {
  const en = sharedData('multi30k/val.en');
  const de = sharedData('multi30k/val.de');
  const fr = sharedData('multi30k/val.fr');
  if (en === null || de === null || fr === null) return t.skip('shared data absent');
  const ende = readParallel(en, de).pairs;
  assert.equal(ende.length, 1014);
  roundTripAll(ende.map((p) => p.src), 'en');
  roundTripAll(ende.map((p) => p.tgt), 'de');
  roundTripAll(readParallel(en, fr).pairs.map((p) => p.tgt), 'fr');
});
