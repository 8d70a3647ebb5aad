/**
 * Checkpoint averaging: the element-wise mean of the parameters of several checkpoints of one training
 * run (e.g. the last few validations), a cheap ensemble that usually scores a little better than any
 * one of them (Junczys-Dowmunt et al. 2016; OpenNMT-py's average_models.py, Joey NMT's
 * average_checkpoints.py do the same).
 *
 * The checkpoints must share the model config, both vocabularies and the tokenizer; the first one's
 * metadata is kept (decoding settings, training state) with `averaged` listing the sources, and
 * optimizer moments are dropped: the result is for translating, not for resuming.
 */
import { Tensor } from '../engine/tensor.js';
import { CheckpointError, type CheckpointContents } from './checkpoint.js';

/** Something that yields checkpoints one at a time, so only the running sum and one file are in memory. */
export interface NamedCheckpoint {
  name: string;
  load: () => CheckpointContents;
}

export function averageCheckpoints(inputs: readonly NamedCheckpoint[]): CheckpointContents {
  if (inputs.length === 0) throw new CheckpointError('average', 'no checkpoints to average');
  const [first, ...rest] = inputs as [NamedCheckpoint, ...NamedCheckpoint[]];
  const base = first.load();
  if (base.quantized !== undefined) throw new CheckpointError(first.name, 'is an int8 checkpoint: average the float32 checkpoints, then quantize the result');
  const sums = new Map<string, Float64Array>();
  for (const [n, t] of base.params) sums.set(n, Float64Array.from(t.data));
  const steps: Array<number | null> = [stepOf(base)];
  for (const input of rest) {
    const c = input.load();
    if (c.quantized !== undefined) throw new CheckpointError(input.name, 'is an int8 checkpoint: average the float32 checkpoints, then quantize the result');
    const mismatch = difference(base, c);
    if (mismatch !== null) {
      throw new CheckpointError(input.name, `cannot be averaged with ${first.name}: ${mismatch}`);
    }
    for (const [n, t] of c.params) {
      const sum = sums.get(n) as Float64Array;
      const d = t.data;
      for (let i = 0; i < d.length; i++) sum[i] = (sum[i] as number) + (d[i] as number);
    }
    steps.push(stepOf(c));
  }
  const params = new Map<string, Tensor>();
  for (const [n, t] of base.params) {
    const sum = sums.get(n) as Float64Array;
    const mean = new Float32Array(sum.length);
    for (let i = 0; i < sum.length; i++) mean[i] = (sum[i] as number) / inputs.length;
    params.set(n, new Tensor(mean, [...t.shape], { name: n }));
  }
  const { training: _training, adamStep: _adamStep, ...kept } = base.metadata ?? {};
  return {
    config: base.config,
    srcVocab: base.srcVocab,
    tgtVocab: base.tgtVocab,
    tokenizer: base.tokenizer,
    params,
    metadata: { ...kept, averaged: inputs.map((input, i) => ({ checkpoint: input.name, step: steps[i] })) },
  };
}

/** Why two checkpoints are not of one model (config, vocabularies, tokenizer), or null. */
function difference(a: CheckpointContents, b: CheckpointContents): string | null {
  if (JSON.stringify(a.config) !== JSON.stringify(b.config)) return 'the model configs differ';
  return textDifference(a, b);
}

/**
 * Why two checkpoints do not read and write the same text (vocabularies, tokenizer), or null: models
 * that agree on these can decode together as an ensemble.
 */
export function textDifference(a: CheckpointContents, b: CheckpointContents): string | null {
  if (!sameTokens(a.srcVocab.tokens, b.srcVocab.tokens)) return 'the source vocabularies differ';
  if (!sameTokens(a.tgtVocab.tokens, b.tgtVocab.tokens)) return 'the target vocabularies differ';
  if (JSON.stringify(a.tokenizer) !== JSON.stringify(b.tokenizer)) return 'the tokenizers differ';
  return null;
}

function sameTokens(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** The training step a checkpoint was saved at, when the trainer wrote it. */
function stepOf(c: CheckpointContents): number | null {
  const training = c.metadata?.['training'];
  if (typeof training === 'object' && training !== null && 'step' in training && typeof training.step === 'number') return training.step;
  return null;
}
