import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateSeedCorpus, seedExamples } from '../../src/data/seed-corpus.js';
import { normalizeText } from '../../src/data/normalize.js';
import { tokenize } from '../../src/data/tokenize.js';

const corpus = generateSeedCorpus({ size: 3000, seed: 7 });
const fr = (p: { tgt: string }): string[] => tokenize(p.tgt, { lang: 'fr' });

test('deterministic per seed, different across seeds', () => {
  assert.deepEqual(generateSeedCorpus({ size: 200, seed: 7 }), corpus.slice(0, 200));
  assert.notDeepEqual(generateSeedCorpus({ size: 200, seed: 8 }).slice(1), corpus.slice(1, 200));
});

test('contains the demo sentence with its alignment', () => {
  const demo = corpus.find((p) => p.src === 'the black cat ate the mouse');
  assert.ok(demo);
  assert.equal(demo.tgt, 'le chat noir a mangé la souris');
  assert.deepEqual(demo.alignment, [[0, 0], [1, 2], [2, 1], [3, 3], [3, 4], [4, 5], [5, 6]]);
  assert.equal(generateSeedCorpus({ size: 1, seed: 99 })[0]?.src, 'the black cat ate the mouse');
});

test('strings normalized and lowercase, alignments in range, every word aligned', () => {
  const srcs = new Set<string>();
  for (const p of corpus) {
    assert.equal(normalizeText(p.src), p.src);
    assert.equal(p.tgt, p.tgt.toLowerCase());
    const e = tokenize(p.src);
    const f = fr(p);
    for (const [i, j] of p.alignment) assert.ok(i >= 0 && i < e.length && j >= 0 && j < f.length, `${p.src} ${i}-${j}`);
    const alignedF = new Set(p.alignment.map(([, j]) => j));
    assert.equal(alignedF.size, f.length, p.tgt);
    srcs.add(p.src);
  }
  assert.equal(srcs.size, corpus.length, 'sources are unique');
});

test('covers agreement, elision, passé composé, negation, relatives and long sentences', () => {
  const all = corpus.map((p) => ` ${p.tgt} `).join('\n');
  for (const w of [' noire ', ' noirs ', ' noires ', " l'", ' vieil ', ' a mangé ', ' ont mangé ', " n'a pas ", " n'ont pas ",
    ' qui ', ' que ', ' du ', ' au ', ' est arrivée ', ' les ', ' une ']) {
    assert.ok(all.includes(w), `no "${w.trim()}" in the corpus`);
  }
  assert.match(all, / qu(?:e |')[^\n]*? (?:a|ont) \p{L}+ées? /u, 'participle agreeing with a preceding object');
  const lengths = corpus.map((p) => p.src.split(' ').length);
  assert.ok(Math.min(...lengths) <= 3);
  assert.ok(lengths.filter((n) => n >= 40).length >= 30);
  assert.ok(lengths.filter((n) => n <= 10).length > corpus.length / 2, 'most sentences are short');
  const vocab = new Set(corpus.flatMap((p) => p.src.split(' ')));
  assert.ok(vocab.size >= 150 && vocab.size <= 300, `English word forms ${vocab.size} (about 140 lemmas)`);
});

test('maxWords caps the length', () => {
  const short = generateSeedCorpus({ size: 300, seed: 1, maxWords: 12 });
  assert.ok(short.every((p) => p.src.split(' ').length <= 12));
});

test('showcase examples', () => {
  const ex = seedExamples();
  const byId = new Map(ex.map((e) => [e.id, e]));
  assert.equal(byId.get('black-cat')?.tgt, 'le chat noir a mangé la souris');
  assert.equal(byId.get('reordering')?.tgt, 'le vieil homme a vu le petit oiseau blanc');
  assert.equal(byId.get('one-to-many')?.tgt, 'les filles ont mangé les pommes vertes');
  assert.equal(byId.get('negation')?.tgt, "le chien n'a pas mangé le gâteau");
  assert.deepEqual(byId.get('negation')?.alignment, [[0, 0], [1, 1], [2, 3], [3, 2], [3, 4], [4, 5], [5, 6], [6, 7]]);
  assert.equal(byId.get('relative-clause')?.tgt, 'la souris que le chat a vue est arrivée');
  assert.ok((byId.get('long')?.src.split(' ').length ?? 0) >= 40);
});
