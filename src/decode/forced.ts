/**
 * Forced decoding (teacher forcing at inference): the decoder reads BOS and then the given target
 * tokens instead of its own choices, so the attention it gives and the probability it assigns are
 * those of exactly this reference pair. Alignment (attention over a reference pair), explaining a
 * translation and scoring given translations all start from it. Works with any StepDecoder.
 */
import type { Batch } from '../data/batch.js';
import { attentionRow, withArena, type StepDecoder } from './common.js';

export interface ForcedResult {
  /**
   * One row per target token of the pair (its words, then the final EOS), each over the real source
   * tokens (EOS included) and summing to 1; empty when the model has no attention.
   */
  attention: Float32Array[];
  /** log p of each target token (words, then EOS) given the source and the tokens before it. */
  logProbs: Float32Array;
}

/** Teacher-force every pair of a training-style batch (src, tgtIn, tgtOut; see makeBatch), in batch order. */
export function forceDecode<S, M>(model: StepDecoder<S, M>, batch: Batch): ForcedResult[] {
  const b = batch.size;
  const t = batch.tgtLen;
  const out: ForcedResult[] = Array.from({ length: b }, (_, i) => ({ attention: [], logProbs: new Float32Array(batch.tgtLengths[i] as number) }));
  return model.inferenceMode(() =>
    withArena((arena) => {
      const begin = arena.inBatch(() => model.startDecoding(batch));
      let state: S = begin.state;
      const prev = new Int32Array(b);
      for (let step = 0; step < t; step++) {
        for (let i = 0; i < b; i++) prev[i] = batch.tgtIn[i * t + step] as number;
        const r = arena.nextStep(() => model.decodeStep(prev, state, begin.memory));
        state = r.state;
        const v = r.logProbs.shape[1] as number;
        for (let i = 0; i < b; i++) {
          if (step >= (batch.tgtLengths[i] as number)) continue;
          const target = batch.tgtOut[i * t + step] as number;
          (out[i] as ForcedResult).logProbs[step] = r.logProbs.data[i * v + target] as number;
          const row = attentionRow(r.weights, i, batch.srcLengths[i] as number);
          if (row !== null) (out[i] as ForcedResult).attention.push(row);
        }
      }
      return out;
    }),
  );
}
