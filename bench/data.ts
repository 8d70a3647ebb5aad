/**
 * Data-layer speed: reading + normalizing Tatoeba, tokenizing, learning joint BPE (10k merges), applying it,
 * and generating the seed corpus. Prints numbers; no assertions. Needs ../shared/data for the Tatoeba parts.
 *   node dist/bench/data.js
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bpe, countWords } from '../src/data/bpe.js';
import { readTsv } from '../src/data/readers.js';
import { generateSeedCorpus } from '../src/data/seed-corpus.js';
import { tokenize } from '../src/data/tokenize.js';

function time<T>(label: string, fn: () => T): T {
  const t0 = performance.now();
  const r = fn();
  console.log(`${label}: ${(performance.now() - t0).toFixed(0)} ms`);
  return r;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsv = path.join(root, '..', 'shared', 'data', 'tatoeba-eng-fra', 'train.tsv');

time('seed corpus, 20000 pairs', () => generateSeedCorpus({ size: 20000, seed: 1 }));
if (!fs.existsSync(tsv)) {
  console.log(`skipping Tatoeba benchmarks: ${tsv} is absent`);
} else {
  const { pairs } = time('read + normalize Tatoeba train', () => readTsv(tsv));
  const en = time(`tokenize ${pairs.length} English sentences`, () => pairs.map((p) => tokenize(p.src.toLowerCase())));
  const fr = time(`tokenize ${pairs.length} French sentences`, () => pairs.map((p) => tokenize(p.tgt.toLowerCase(), { lang: 'fr' })));
  const counts = countWords(fr, countWords(en));
  const bpe = time(`learn joint BPE, 10000 merges over ${counts.size} word types`, () => Bpe.learn(counts, { merges: 10000 }));
  time('apply BPE to both sides', () => {
    let n = 0;
    for (const s of en) n += bpe.apply(s).length;
    for (const s of fr) n += bpe.apply(s).length;
    return n;
  });
}
