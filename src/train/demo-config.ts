/**
 * The training configs of `attnmt demo` (and of bench/study.ts's seed-corpus study): an attention
 * model and the fixed-context baseline, the same in everything but the attention, small enough that
 * both train on the built-in seed corpus in about three minutes on two cores (one core each). The page's
 * "Train here" trains these same configs in the browser (browser-safe: no Node imports).
 */
import type { SeedSplitSizes } from '../data/seed-corpus.js';
import type { ConfigInput } from './config-schema.js';

/**
 * The demo's seed corpus: enough variety to generalize, small enough to be seen several times in the
 * budget, and sentences of up to 50 words (the 48-word showcase sentence is within what the models
 * see; the lesson is how the fixed-context baseline fails on long sentences).
 */
export const DEMO_CORPUS: SeedSplitSizes = { size: 12000, maxWords: 50, dev: 150, test: 600 };

export type DemoRole = 'attention' | 'baseline';

/** The training config of one demo model (both roles share everything but the attention). */
export function demoConfig(role: DemoRole, dir: string, seconds: number, seed: number): ConfigInput {
  return {
    data: { train: joinPath(dir, 'train.tsv'), dev: joinPath(dir, 'dev.tsv'), lowercase: true, maxLen: 60 },
    model: { rnn: 'gru', layers: 1, bidirectional: true, embedding: 64, hidden: 128, attention: role === 'attention' ? 'additive' : 'none', attentionHidden: 64 },
    training: {
      batchSize: 32,
      lr: 3e-3,
      lrDecay: { factor: 0.5, patience: 1 },
      minLr: 1e-4,
      clipNorm: 5,
      dropout: 0.1,
      labelSmoothing: 0.1,
      maxSteps: 0,
      maxEpochs: 0,
      maxTime: seconds,
      validEvery: 150,
      validMetric: 'bleu',
      earlyStopping: { patience: 0 },
      logEvery: 50,
      seed,
      threads: 1,
      outDir: joinPath(dir, `${role}-run`),
    },
    decoding: { beam: 1 },
  };
}

/** `dir/name` (the page has no node:path; a trailing separator of dir is not doubled). */
function joinPath(dir: string, name: string): string {
  return /[/\\]$/.test(dir) ? `${dir}${name}` : `${dir}/${name}`;
}
