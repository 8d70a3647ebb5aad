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
 * Members may differ in anything but the vocabularies (sizes, RNN type, attention kind, training run,
 * model family); the caller checks that the vocabularies and the tokenizer agree (see openTranslator
 * in src/translate/translator.ts). An ensemble is for decoding, scoring and alignment, not training.
 */
import type { Batch } from '../data/batch.js';
import { PAD } from '../data/vocab.js';
import { forceDecode } from '../decode/forced.js';
import { addN, crossEntropy, logSoftmax, reshape, scale, stack } from '../engine/ops.js';
import { ShapeError, type Tensor } from '../engine/tensor.js';
import type { ModelConfig } from './config.js';
import type { LossOptions, LossResult, TranslationModel } from './model.js';

export class Ensemble implements TranslationModel<unknown[], unknown[]> {
  readonly members: readonly TranslationModel[];

  constructor(members: readonly TranslationModel[]) {
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

  /** The first member's configuration. */
  get config(): ModelConfig {
    return (this.members[0] as TranslationModel).config;
  }

  /** Every member's parameters, under `m<k>.` (m0.encoder.embedding.weight, ...). */
  parameters(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    this.members.forEach((m, k) => {
      for (const [n, t] of m.parameters()) out.set(`m${k}.${n}`, t);
    });
    return out;
  }

  /** Total scalar parameters of the members. */
  parameterCount(): number {
    return this.members.reduce((n, m) => n + m.parameterCount(), 0);
  }

  /** True when at least one member has attention (the ensemble then has weights to show). */
  get hasAttention(): boolean {
    return this.members.some((m) => m.hasAttention);
  }

  get attentionKind(): string {
    return this.members.map((m) => m.attentionKind).join('+');
  }

  summary(): string {
    return `ensemble of ${this.members.length}: ${this.members.map((m) => m.summary()).join('; ')}`;
  }

  setTraining(on: boolean): void {
    for (const m of this.members) m.setTraining(on);
  }

  /**
   * Teacher-forced loss of the ensemble's distribution (the renormalized mean of the members'
   * log-probabilities, as in decoding): for scoring given translations, not for training.
   */
  loss(batch: Batch, opts: LossOptions = {}): LossResult {
    const b = batch.size;
    const t = batch.tgtLen;
    if (t < 1) throw new ShapeError('Ensemble.loss', 'batch has no target tokens (T = 0)', [b, t]);
    const { state: state0, memory } = this.startDecoding(batch);
    let state = state0;
    const collected: Tensor[] = [];
    const prev = new Int32Array(b);
    for (let step = 0; step < t; step++) {
      for (let i = 0; i < b; i++) prev[i] = batch.tgtIn[i * t + step] as number;
      const r = this.decodeStep(prev, state, memory);
      collected.push(r.logProbs);
      state = r.state;
    }
    const v = (collected[0] as Tensor).shape[1] as number;
    const rows = reshape(stack(collected), [b * t, v]); // (B, T, Vt) -> (B·T, Vt); already log-probabilities, so log-softmax leaves them
    const ce = crossEntropy(rows, batch.tgtOut, { labelSmoothing: opts.labelSmoothing ?? 0, ignoreIndex: PAD });
    return { loss: ce.loss, ntokens: ce.count, nll: ce.nll };
  }

  /** The members' mean teacher-forced attention (over the members with attention). */
  forcedAttention(batch: Batch): Float32Array[][] {
    return forceDecode(this, batch).map((r) => r.attention);
  }

  inferenceMode<T>(fn: () => T): T {
    const run = (i: number): T => (i === this.members.length ? fn() : (this.members[i] as TranslationModel).inferenceMode(() => run(i + 1)));
    return run(0);
  }

  startDecoding(batch: Batch): { state: unknown[]; memory: unknown[] } {
    const starts = this.members.map((m) => m.startDecoding(batch));
    return { state: starts.map((s) => s.state), memory: starts.map((s) => s.memory) };
  }

  decodeStep(prev: Int32Array, state: unknown[], memory: unknown[]): { state: unknown[]; logProbs: Tensor; weights: Tensor | null } {
    const steps = this.members.map((m, k) => m.decodeStep(prev, state[k], memory[k]));
    const k = steps.length;
    const logProbs = k === 1 ? (steps[0]?.logProbs as Tensor) : logSoftmax(scale(addN(steps.map((s) => s.logProbs)), 1 / k)); // (N, Vt)
    const withWeights = steps.map((s) => s.weights).filter((w): w is Tensor => w !== null);
    const weights = withWeights.length === 0 ? null : withWeights.length === 1 ? (withWeights[0] as Tensor) : scale(addN(withWeights), 1 / withWeights.length); // (N, S)
    return { state: steps.map((s) => s.state), logProbs, weights };
  }

  selectState(state: unknown[], rows: Int32Array): unknown[] {
    return this.members.map((m, k) => m.selectState(state[k], rows));
  }

  selectMemory(memory: unknown[], rows: Int32Array): unknown[] {
    return this.members.map((m, k) => m.selectMemory(memory[k], rows));
  }
}
