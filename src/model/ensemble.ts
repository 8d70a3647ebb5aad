/**
 * Ensemble decoding: several models that share the source and target vocabularies decode together.
 * At each step every member runs its own decoder step on the same previous words, and the ensemble's
 * distribution is the renormalized geometric mean of theirs:
 *
 *   log p(y | ...) = logSoftmax( (1/K) · Σ_k log p_k(y | ...) )            (N, Vt)
 *
 * (Marian and OpenNMT-py average the members' log-probabilities too; the renormalization makes the
 * beam's scores log-probabilities again.) The attention weights shown for the ensemble are the mean of
 * the members' weights (N, S) over the members that have attention (rows still sum to 1); null when
 * every member is a fixed-context baseline.
 *
 * Members may differ in anything but the vocabularies (sizes, RNN type, attention kind, training run);
 * the caller checks that the vocabularies and the tokenizer agree (see loadTranslators in src/cli/common.ts).
 */
import type { Batch } from '../data/batch.js';
import type { StepDecoder } from '../decode/common.js';
import { addN, logSoftmax, scale } from '../engine/ops.js';
import { ShapeError, type Tensor } from '../engine/tensor.js';
import { hasAttention } from './config.js';
import type { AnyModel } from './family.js';

export class Ensemble implements StepDecoder<unknown[], unknown[]> {
  readonly members: readonly AnyModel[];

  constructor(members: readonly AnyModel[]) {
    const first = members[0];
    if (first === undefined) throw new RangeError('Ensemble: needs at least one model');
    for (const m of members) {
      if (m.config.tgtVocabSize !== first.config.tgtVocabSize || m.config.srcVocabSize !== first.config.srcVocabSize) {
        throw new ShapeError(
          'Ensemble',
          'the members have different vocabulary sizes',
          [first.config.srcVocabSize, first.config.tgtVocabSize],
          [m.config.srcVocabSize, m.config.tgtVocabSize],
        );
      }
    }
    this.members = members;
  }

  /** Total scalar parameters of the members. */
  parameterCount(): number {
    return this.members.reduce((n, m) => n + m.parameterCount(), 0);
  }

  /** True when at least one member has attention (the ensemble then has weights to show). */
  get hasAttention(): boolean {
    return this.members.some((m) => hasAttention(m.config));
  }

  inferenceMode<T>(fn: () => T): T {
    const run = (i: number): T => (i === this.members.length ? fn() : (this.members[i] as AnyModel).inferenceMode(() => run(i + 1)));
    return run(0);
  }

  startDecoding(batch: Batch): { state: unknown[]; memory: unknown[] } {
    const starts = this.members.map((m) => m.startDecoding(batch));
    return { state: starts.map((s) => s.state), memory: starts.map((s) => s.memory) };
  }

  decodeStep(prev: Int32Array, state: unknown[], memory: unknown[]): { state: unknown[]; logProbs: Tensor; weights: Tensor | null } {
    const steps = this.members.map((m, k) => stepDecoder(m).decodeStep(prev, state[k], memory[k]));
    const k = steps.length;
    const logProbs = k === 1 ? (steps[0]?.logProbs as Tensor) : logSoftmax(scale(addN(steps.map((s) => s.logProbs)), 1 / k)); // (N, Vt)
    const withWeights = steps.map((s) => s.weights).filter((w): w is Tensor => w !== null);
    const weights = withWeights.length === 0 ? null : withWeights.length === 1 ? (withWeights[0] as Tensor) : scale(addN(withWeights), 1 / withWeights.length); // (N, S)
    return { state: steps.map((s) => s.state), logProbs, weights };
  }

  selectState(state: unknown[], rows: Int32Array): unknown[] {
    return this.members.map((m, k) => stepDecoder(m).selectState(state[k], rows));
  }

  selectMemory(memory: unknown[], rows: Int32Array): unknown[] {
    return this.members.map((m, k) => stepDecoder(m).selectMemory(memory[k], rows));
  }
}

/** A member as a step decoder over its own (opaque) state and memory. */
function stepDecoder(m: AnyModel): StepDecoder<unknown, unknown> {
  return m;
}
