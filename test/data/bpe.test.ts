import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bpe, countWords, mergeSubwords } from '../../src/data/bpe.js';
import { generateSeedCorpus } from '../../src/data/seed-corpus.js';
import { JOINER, tokenize } from '../../src/data/tokenize.js';

test('learns the most frequent pairs first, with end-of-word symbols (hand-computed)', () => {
  // low x5, lower x2, newest x6, widest x3 (Sennrich et al. 2016, figure 1)
  const counts = new Map([['low', 5], ['lower', 2], ['newest', 6], ['widest', 3]]);
  const bpe = Bpe.learn(counts, { merges: 4 });
  // e-s and s-t</w> tie at 9 (e < s); then es-t</w> 9; l-o 7; then e-w, n-e, w-est tie at 6 (e < n < w)
  assert.deepEqual(bpe.merges, [['e', 's'], ['es', 't</w>'], ['l', 'o'], ['e', 'w']]);
  assert.deepEqual(bpe.segment('lowest'), ['lo@@', 'w@@', 'est']);
  assert.deepEqual(bpe.segment('newer'), ['n@@', 'ew@@', 'e@@', 'r']);
  assert.deepEqual(bpe.segment('lo'), ['l@@', 'o']);
});

test('ties are broken by symbol order, independent of the map order', () => {
  const a = Bpe.learn(new Map([['ab', 3], ['cd', 3]]), { merges: 1 });
  const b = Bpe.learn(new Map([['cd', 3], ['ab', 3]]), { merges: 1 });
  assert.deepEqual(a.merges, [['a', 'b</w>']]);
  assert.deepEqual(b.merges, a.merges);
});

test('stops at minFrequency', () => {
  const bpe = Bpe.learn(new Map([['ab', 1], ['cd', 1]]), { merges: 10 });
  assert.equal(bpe.merges.length, 0);
  assert.equal(Bpe.learn(new Map([['ab', 1]]), { merges: 10, minFrequency: 1 }).merges.length, 1);
});

test('incremental counts give the same merges as recounting from scratch', () => {
  const pairs = generateSeedCorpus({ size: 400, seed: 11 });
  const counts = countWords(pairs.map((p) => tokenize(p.tgt, { lang: 'fr' })));
  const fast = Bpe.learn(counts, { merges: 60 });
  // naive reference: recount all pairs for every merge
  const words = [...counts].map(([w, c]) => {
    const s = Array.from(w);
    s[s.length - 1] += '</w>';
    return { s, c };
  });
  const naive: [string, string][] = [];
  for (let m = 0; m < 60; m++) {
    const pc = new Map<string, number>();
    for (const { s, c } of words) for (let i = 0; i + 1 < s.length; i++) pc.set(`${s[i]}\u0000${s[i + 1]}`, (pc.get(`${s[i]}\u0000${s[i + 1]}`) ?? 0) + c);
    let best: [string, string] | null = null;
    let bestC = 0;
    for (const [k, c] of pc) {
      const [x, y] = k.split('\u0000') as [string, string];
      if (c > bestC || (c === bestC && best !== null && (x < best[0] || (x === best[0] && y < best[1])))) {
        best = [x, y];
        bestC = c;
      }
    }
    if (best === null || bestC < 2) break;
    naive.push(best);
    for (const w of words) {
      const out: string[] = [];
      for (let i = 0; i < w.s.length; i++) {
        if (i + 1 < w.s.length && w.s[i] === best[0] && w.s[i + 1] === best[1]) {
          out.push(best[0] + best[1]);
          i++;
        } else out.push(w.s[i] as string);
      }
      w.s = out;
    }
  }
  assert.deepEqual(fast.merges, naive);
});

test('deterministic, round trip through mergeSubwords, JSON round trip', () => {
  const pairs = generateSeedCorpus({ size: 500, seed: 2 });
  const sents = pairs.flatMap((p) => [tokenize(p.src), tokenize(p.tgt, { lang: 'fr' })]);
  const a = Bpe.learn(countWords(sents), { merges: 200 });
  const b = Bpe.learn(countWords(sents), { merges: 200 });
  assert.deepEqual(a.merges, b.merges);
  assert.equal(a.merges.length, 200);
  const restored = Bpe.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
  let split = 0;
  for (const s of sents) {
    const pieces = a.apply(s);
    split += pieces.length - s.length;
    assert.deepEqual(mergeSubwords(pieces), s);
    assert.deepEqual(restored.apply(s), pieces);
  }
  const unseen = ['anticonstitutionnellement', 'hippopotames'];
  assert.deepEqual(mergeSubwords(a.apply(unseen)), unseen);
  assert.ok(a.apply(unseen).length > 2);
  assert.ok(split >= 0);
  assert.throws(() => Bpe.fromJSON({ kind: 'bpe', version: 1, merges: [['a']] }), /merge 0/);
});

test('joiner-marked tokens keep the mark on the first piece', () => {
  const bpe = Bpe.learn(new Map([['abc', 5], ['abd', 4]]), { merges: 1 });
  const pieces = bpe.apply([JOINER + 'abc', 'x']);
  assert.deepEqual(pieces, [JOINER + 'ab@@', 'c', 'x']);
  assert.deepEqual(mergeSubwords(pieces), [JOINER + 'abc', 'x']);
  assert.deepEqual(countWords([[JOINER + 'ab', 'ab']]), new Map([['ab', 2]]));
});
