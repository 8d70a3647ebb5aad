/**
 * Train/dev splitting on unique sources (pure: the page's seed corpus is split in the browser the same
 * way `attnmt data get seed` and the demo split it on disk).
 */
import { Rng } from '../engine/random.js';

export interface SplitOptions {
  /** Fraction of unique source sentences that go to dev (0..1). */
  devFraction?: number;
  /** Number of unique source sentences that go to dev (overrides devFraction). */
  devSize?: number;
  seed: number;
}

/**
 * Split pairs into train and dev on unique source sentences: all pairs sharing a source go to the same side,
 * so no source is in both. Sources are drawn with a seeded Rng; each side keeps the corpus order.
 */
export function splitTrainDev<T extends { src: string }>(pairs: readonly T[], opts: SplitOptions): { train: T[]; dev: T[] } {
  const sources: string[] = [];
  const seen = new Set<string>();
  for (const p of pairs) {
    if (!seen.has(p.src)) {
      seen.add(p.src);
      sources.push(p.src);
    }
  }
  let k: number;
  if (opts.devSize !== undefined) k = opts.devSize;
  else if (opts.devFraction !== undefined) k = Math.round(opts.devFraction * sources.length);
  else throw new Error('splitTrainDev: give devFraction or devSize');
  if (!Number.isInteger(k) || k < 0 || k > sources.length) {
    throw new Error(`splitTrainDev: dev size ${k} must be an integer in [0, ${sources.length}] (unique sources)`);
  }
  new Rng(opts.seed).shuffle(sources);
  const devSources = new Set(sources.slice(0, k));
  const train: T[] = [];
  const dev: T[] = [];
  for (const p of pairs) (devSources.has(p.src) ? dev : train).push(p);
  return { train, dev };
}
