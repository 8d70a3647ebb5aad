/**
 * The seed corpus on disk (Node only): a train/dev/test split as TSV files with the test part's gold
 * alignments, and a whole corpus as seed.tsv + seed.align. The generator itself (seed-corpus.ts) runs
 * in the browser too.
 */
import * as path from 'node:path';
import { makeDirs, writeFileAtomic } from '../util/fs.js';
import { splitTrainDev } from './readers.js';
import { generateSeedCorpus, seedAlignments, seedTsv, type SeedPair } from './seed-corpus.js';

/** Sizes of a seed-corpus split: pairs generated, longest English sentence, dev and test pairs held out. */
export interface SeedSplitSizes {
  size: number;
  maxWords: number;
  dev: number;
  test: number;
}

/**
 * Generate the seed corpus and write DIR/train.tsv, dev.tsv, test.tsv (English TAB French) and
 * test.align (the test pairs' gold word alignments, Pharaoh i-j); returns the three parts.
 */
export function writeSeedSplit(dir: string, seed: number, sizes: SeedSplitSizes): { train: SeedPair[]; dev: SeedPair[]; test: SeedPair[] } {
  const all = generateSeedCorpus({ size: sizes.size, seed, maxWords: sizes.maxWords });
  // The first pair is the demo sentence: it stays in training.
  const [first, ...rest] = all as [SeedPair, ...SeedPair[]];
  const { train: trainRest, dev: heldOut } = splitTrainDev(rest, { devSize: sizes.dev + sizes.test, seed: seed + 7 });
  const dev = heldOut.slice(0, sizes.dev);
  const test = heldOut.slice(sizes.dev);
  const train = [first, ...trainRest];
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
