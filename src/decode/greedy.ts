/**
 * Greedy decoding, batched: one decoder step for all unfinished sentences per iteration, the most
 * probable word at each step, until EOS or the maximum length. Finished sentences are dropped from
 * the batch (their rows are selected away), so later steps cost only what is still running.
 */
import type { Batch } from '../data/batch.js';
import { BOS, EOS } from '../data/vocab.js';
import type { Tensor } from '../engine/tensor.js';
import { argmaxRow, attentionRow, checkStop, maxSteps, withArena, type Hypothesis, type LengthOptions, type StepDecoder } from './common.js';

export type { Hypothesis, LengthOptions } from './common.js';

/**
 * One decoder step reduced to greedy's choice: the model's own `greedyStep` when it has one (the
 * same numbers without the log-probabilities), else decodeStep's log-probabilities scanned by argmaxRow.
 */
function pickStep<S, M>(model: StepDecoder<S, M>): (prev: Int32Array, state: S, memory: M) => { state: S; words: Int32Array; logProbs: Float32Array; weights: Tensor | null } {
  if (model.greedyStep !== undefined) return (prev, state, memory) => (model.greedyStep as NonNullable<typeof model.greedyStep>)(prev, state, memory);
  return (prev, state, memory) => {
    const r = model.decodeStep(prev, state, memory);
    const v = r.logProbs.shape[1] as number;
    const words = new Int32Array(prev.length);
    const logProbs = new Float32Array(prev.length);
    for (let row = 0; row < prev.length; row++) {
      const word = argmaxRow(r.logProbs.data, row, v);
      words[row] = word;
      logProbs[row] = r.logProbs.data[row * v + word] as number;
    }
    return { state: r.state, words, logProbs, weights: r.weights };
  };
}

/** Best path for each sentence of the batch, in batch order. */
export function greedy<S, M>(model: StepDecoder<S, M>, batch: Batch, opts: LengthOptions = {}): Hypothesis[] {
  const limits = maxSteps(batch, opts);
  return model.inferenceMode(() =>
    withArena((arena) => {
      const b = batch.size;
      const results: Hypothesis[] = [];
      for (let i = 0; i < b; i++) results.push({ tokens: [], score: 0, normScore: 0, attention: [], finished: false });
      const batchMemory = arena.inBatch(() => model.startDecoding(batch));
      let state: S = batchMemory.state;
      let memory: M = batchMemory.memory;
      let rows = Int32Array.from({ length: b }, (_, i) => i); // row -> sentence
      let prev = new Int32Array(b).fill(BOS);
      const pickNext = pickStep(model);
      for (let step = 0; rows.length > 0; step++) {
        checkStop(opts.signal);
        const r = arena.nextStep(() => pickNext(prev, state, memory));
        const keep: number[] = [];
        const words = r.words;
        for (let row = 0; row < rows.length; row++) {
          const s = rows[row];
          const hyp = results[s] as Hypothesis;
          const word = words[row] as number;
          hyp.score += r.logProbs[row] as number;
          const att = attentionRow(r.weights, row, batch.srcLengths[s]);
          if (att !== null) hyp.attention.push(att);
          if (word === EOS) hyp.finished = true;
          else hyp.tokens.push(word);
          if (!hyp.finished && step + 1 < limits[s]) keep.push(row);
        }
        if (keep.length === 0) break;
        const nextPrev = new Int32Array(keep.length);
        for (let k = 0; k < keep.length; k++) nextPrev[k] = words[keep[k] as number] as number;
        prev = nextPrev;
        if (keep.length === rows.length) {
          state = r.state;
          continue;
        }
        const parents = Int32Array.from(keep);
        const nextRows = Int32Array.from(keep, (row) => rows[row] as number);
        state = arena.sameStep(() => model.selectState(r.state, parents));
        memory = arena.inMemory(() => model.selectMemory(batchMemory.memory, nextRows));
        rows = nextRows;
      }
      for (const h of results) h.normScore = h.score;
      return results;
    }),
  );
}
