/**
 * The seed corpus on disk (Node only): a train/dev/test split as TSV files with the test part's gold
 * alignments, and a whole corpus as seed.tsv + seed.align. The generator itself (seed-corpus.ts) runs
 * in the browser too.
 */
import * as path from 'node:path';
import { makeDirs, writeFileAtomic } from '../util/fs.js';
import { seedAlignments, seedTsv, splitSeedCorpus, type SeedPair, type SeedSplitSizes } from './seed-corpus.js';

export type { SeedSplitSizes } from './seed-corpus.js';

/**
 * Generate the seed corpus and write DIR/train.tsv, dev.tsv, test.tsv (English TAB French) and
 * test.align (the test pairs' gold word alignments, Pharaoh i-j); returns the three parts.
 */
export function writeSeedSplit(dir: string, seed: number, sizes: SeedSplitSizes): { train: SeedPair[]; dev: SeedPair[]; test: SeedPair[] } {
  const { train, dev, test } = splitSeedCorpus(seed, sizes);
  makeDirs(dir);
  writeFileAtomic(path.join(dir, 'train.tsv'), seedTsv(train));
  writeFileAtomic(path.join(dir, 'dev.tsv'), seedTsv(dev));
  writeFileAtomic(path.join(dir, 'test.tsv'), seedTsv(test));
  writeFileAtomic(path.join(dir, 'test.align'), seedAlignments(test));
  return { train, dev, test };
}

/** Write `seed.tsv` (English TAB French) and `seed.align` (Pharaoh lines) into `dir`, atomically. */
export function exportSeedCorpus(pairs: readonly SeedPair[], dir: string): void {
  makeDirs(dir);
  writeFileAtomic(path.join(dir, 'seed.tsv'), seedTsv(pairs));
  writeFileAtomic(path.join(dir, 'seed.align'), seedAlignments(pairs));
}
