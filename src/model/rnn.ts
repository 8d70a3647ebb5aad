/**
 * One recurrent layer in one direction (GRU or LSTM) over the engine's fused kernels, Marian style:
 * the input projection x·W_ih + b_ih of all time steps is ONE GEMM (`project`) before the time
 * loop, the gate weights are joined so each step is one GEMM, and the gate arithmetic is fused.
 *
 * Parameters (G = 3 gates for GRU, 4 for LSTM; D the layer's hidden size):
 *   <prefix>.weight_ih (In, G·D)  xavier     <prefix>.bias_ih (G·D)  zeros
 *   <prefix>.weight_hh (D, G·D)   orthogonal <prefix>.bias_hh (G·D)  zeros
 */
import { add, gruCell, gruSequence, linear, lstmCell, lstmSequence } from '../engine/ops.js';
import { gruFeedCell, gruSequencePair } from '../engine/fused/gru.js';
import { StepGrads, stepLinear } from '../engine/fused/step-grads.js';
import { output, Tensor } from '../engine/tensor.js';
import type { ParamStore } from './params.js';

/** Recurrent state of one layer: h (B, D), and the LSTM memory cell c (B, D) (null for GRU). */
export interface RnnState {
  h: Tensor;
  c: Tensor | null;
}

export interface SequenceOptions {
  /** Real lengths (B): steps at or after a row's length do not change its state. */
  lengths: Int32Array;
  /** Read right to left (from each row's last real position). */
  reverse: boolean;
}

export class RnnLayer {
  readonly kind: 'gru' | 'lstm';
  readonly hidden: number;
  readonly weightIh: Tensor;
  readonly biasIh: Tensor;
  readonly weightHh: Tensor;
  readonly biasHh: Tensor;

  constructor(kind: 'gru' | 'lstm', inDim: number, hidden: number, params: ParamStore, prefix: string) {
    const g = (kind === 'gru' ? 3 : 4) * hidden;
    this.kind = kind;
    this.hidden = hidden;
    this.weightIh = params.xavier(`${prefix}.weight_ih`, [inDim, g]);
    this.biasIh = params.zeros(`${prefix}.bias_ih`, [g]);
    this.weightHh = params.orthogonal(`${prefix}.weight_hh`, [hidden, g]);
    this.biasHh = params.zeros(`${prefix}.bias_hh`, [g]);
  }

  /** x (..., In) -> (..., G·D): the input projection of every row/time step in one GEMM. */
  project(x: Tensor): Tensor {
    return linear(x, this.weightIh, this.biasIh);
  }

  /** The recurrent weights' gradient sums over the steps of one sequence (made before its first `cell`; engine/fused/step-grads.ts). */
  stepGrads(): StepGrads {
    return new StepGrads(this.weightHh, this.biasHh);
  }

  /** A zero state for `batch` rows (no gradient). */
  zeroState(batch: number): RnnState {
    return { h: zeros([batch, this.hidden]), c: this.kind === 'lstm' ? zeros([batch, this.hidden]) : null };
  }

  /** xProj (B, S, G·D) -> outputs (B, S, D) and the final state (B, D) of each row. */
  sequence(xProj: Tensor, state0: RnnState, opts: SequenceOptions): { outputs: Tensor; final: RnnState } {
    if (this.kind === 'gru') {
      const r = gruSequence(xProj, state0.h, this.weightHh, this.biasHh, opts);
      return { outputs: r.outputs, final: { h: r.final, c: null } };
    }
    const r = lstmSequence(xProj, { h: state0.h, c: state0.c ?? zeros(state0.h.shape) }, this.weightHh, this.biasHh, opts);
    return { outputs: r.outputs, final: { h: r.final.h, c: r.final.c } };
  }

  /**
   * `cell(add(x, stepLinear(feed, feedSums)), state, sums)` (a decoder's first layer with input feeding, in
   * training), the same results; a GRU runs its two products at once (fused/gru.ts `gruFeedCell`).
   */
  feedCell(x: Tensor, feed: Tensor, feedSums: StepGrads, state: RnnState, sums: StepGrads): RnnState {
    if (this.kind === 'gru') return { h: gruFeedCell(x, feed, feedSums, state.h, this.weightHh, this.biasHh, sums), c: null };
    return this.cell(add(x, stepLinear(feed, feedSums)), state, sums);
  }

  /**
   * One step: xProj (B, G·D), state (B, D) -> the new state. With `sums` (from `stepGrads`; GRU) the gradients of
   * the recurrent weights are summed once over all steps.
   */
  cell(xProj: Tensor, state: RnnState, sums?: StepGrads): RnnState {
    if (this.kind === 'gru') return { h: gruCell(xProj, state.h, this.weightHh, this.biasHh, sums), c: null };
    const r = lstmCell(xProj, { h: state.h, c: state.c ?? zeros(state.h.shape) }, this.weightHh, this.biasHh);
    return { h: r.h, c: r.c };
  }
}

/**
 * A bidirectional layer's two directions over x (B, S, In) from zero states: `forward` left to right and
 * `backward` right to left (`RnnLayer.sequence` each). Two GRU directions run in lockstep, each step's two
 * recurrent products at once (fused/gru.ts `gruSequencePair`; the same results).
 */
export function bidirectionalSequences(
  forward: RnnLayer, backward: RnnLayer, x: Tensor, lengths: Int32Array,
): Array<{ outputs: Tensor; final: RnnState }> {
  const batch = x.shape[0] as number;
  if (forward.kind !== 'gru' || backward.kind !== 'gru') {
    return [forward, backward].map((layer, i) => layer.sequence(layer.project(x), layer.zeroState(batch), { lengths, reverse: i === 1 }));
  }
  const args = [forward, backward].map((layer, i) => ({
    xProj: layer.project(x), h0: layer.zeroState(batch).h, wHh: layer.weightHh, bHh: layer.biasHh, opts: { lengths, reverse: i === 1 },
  }));
  return gruSequencePair(args[0] as (typeof args)[0], args[1] as (typeof args)[0]).map((r) => ({ outputs: r.outputs, final: { h: r.final, c: null } }));
}

/** A zero tensor from the active arena (or fresh), needing no gradient. */
export function zeros(shape: readonly number[]): Tensor {
  const t = output(shape, []);
  t.data.fill(0);
  return t;
}
