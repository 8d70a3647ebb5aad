/**
 * The training configs of `attnmt demo` (and of bench/study.ts's seed-corpus study): an attention
 * model and the fixed-context baseline, the same in everything but the attention, small enough that
 * both train on the built-in seed corpus in about three minutes on two cores (one core each).
 */
import * as path from 'node:path';
import type { ConfigInput } from './config.js';

export type DemoRole = 'attention' | 'baseline';

/** The training config of one demo model (both roles share everything but the attention). */
export function demoConfig(role: DemoRole, dir: string, seconds: number, seed: number): ConfigInput {
  return {
    data: { train: path.join(dir, 'train.tsv'), dev: path.join(dir, 'dev.tsv'), lowercase: true, maxLen: 60 },
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
      outDir: path.join(dir, `${role}-run`),
    },
    decoding: { beam: 1 },
  };
}
