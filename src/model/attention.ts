/**
 * Attention behind one interface with two calls (as Joey NMT's `compute_proj_keys` and Marian's
 * `mappedContext_`):
 *
 *  - `precompute(states, lengths, summary)` once per batch: projects the encoder states into keys;
 *  - `step(query, memory)` once per decoder step: scores every source position against the decoder
 *    state s_t, turns the scores into weights alpha_t with a softmax over the real source words
 *    (padding positions get exactly 0, the weights of a row sum to 1), and returns the context
 *    c_t = sum_i alpha_ti h_i.
 *
 * The weights are what every heatmap and alignment is drawn from.
 *
 * The fixed-context baseline (`attention: 'none'`) implements the same interface: its context is the
 * encoder's final state at every step and it returns no weights (`weights: null`), so pictures and
 * alignments of a baseline model have no rows.
 */
import { additiveAttention, bmm, linear, reshape, softmax } from '../engine/ops.js';
import { AttentionSession } from '../engine/fused/attention.js';
import { StepGrads, stepLinear } from '../engine/fused/step-grads.js';
import { activeTape, ShapeError, Tensor } from '../engine/tensor.js';
import type { RnnModelConfig } from './config.js';
import type { ParamStore } from './params.js';
import { gatherRows } from './select.js';

/** What `precompute` keeps for the steps of one batch. */
export interface AttentionMemory {
  /** h_1..h_S: the encoder states (B, S, H), the values the context averages. */
  values: Tensor;
  /** Projected keys: (B, S, A) additive, (B, S, H) general, the states themselves for dot; null for none. */
  keys: Tensor | null;
  /** Real source lengths (B); positions >= length are padding. */
  lengths: Int32Array;
  /** The encoder's final state (B, H): the fixed context of the baseline. */
  summary: Tensor;
  /** Additive attention: the keys and values of this batch kept for all its steps (engine/fused/attention.ts). */
  session?: AttentionSession;
  /** Additive attention under a recording tape: the query weight's gradient summed once over all steps. */
  querySums?: StepGrads;
}

export interface AttentionStep {
  /** c_t (B, H). */
  context: Tensor;
  /** alpha_t (B, S), zero on padding; null for the fixed-context baseline. */
  weights: Tensor | null;
}

export interface Attention {
  /** Once per batch: states (B, S, H), lengths (B), summary (B, H). */
  precompute(states: Tensor, lengths: Int32Array, summary: Tensor): AttentionMemory;
  /** Once per decoder step: query s_t (B, H). */
  step(query: Tensor, memory: AttentionMemory): AttentionStep;
  /**
   * The raw scores e_t (B, S) of `step`, before the softmax (entries past a row's length are not scores); null for the fixed context.
   * Inference only (explain): `step` computes them inside its fused kernel and keeps only the weights.
   */
  scores(query: Tensor, memory: AttentionMemory): Tensor | null;
}

/**
 * Additive ("concat") attention, Bahdanau et al. 2015, appendix A.1.2:
 *   e_ti = v_aᵀ tanh(W_a s_t + U_a h_i)
 * U_a h_i is computed once per batch; the score, the masked softmax and the context are one fused
 * kernel. (Bahdanau score s_{t-1}; like Luong 2015 we score the current state s_t.)
 * Parameters: query.weight W_a (H, A), key.weight U_a (H, A), v (A).
 */
export class AdditiveAttention implements Attention {
  private readonly wq: Tensor;
  private readonly wk: Tensor;
  private readonly v: Tensor;

  constructor(config: RnnModelConfig, params: ParamStore, prefix: string) {
    const h = config.hidden;
    const a = config.attentionHidden;
    this.wq = params.xavier(`${prefix}.query.weight`, [h, a]);
    this.wk = params.xavier(`${prefix}.key.weight`, [h, a]);
    this.v = params.uniform(`${prefix}.v`, [a], 1 / Math.sqrt(a));
  }

  precompute(states: Tensor, lengths: Int32Array, summary: Tensor): AttentionMemory {
    checkMemory('AdditiveAttention', states, lengths);
    const keys = linear(states, this.wk); // (B, S, A)
    const session = new AttentionSession(keys, this.v, states, lengths);
    return { values: states, keys, lengths, summary, session, ...(activeTape()?.recording === true ? { querySums: new StepGrads(this.wq, null) } : {}) };
  }

  step(query: Tensor, memory: AttentionMemory): AttentionStep {
    const sums = memory.querySums;
    const q = sums !== undefined && sums.w === this.wq ? stepLinear(query, sums) : linear(query, this.wq); // (B, A)
    const keys = memory.keys as Tensor;
    return additiveAttention(q, keys, this.v, memory.values, memory.lengths, memory.session);
  }

  scores(query: Tensor, memory: AttentionMemory): Tensor {
    const q = linear(query, this.wq); // (B, A)
    const keys = memory.keys as Tensor;
    const [b, s, a] = keys.shape as [number, number, number];
    const out = new Tensor(new Float32Array(b * s), [b, s]);
    for (let r = 0; r < b; r++) {
      for (let i = 0; i < (memory.lengths[r] as number); i++) {
        let e = 0; // v_aᵀ tanh(W_a s_t + U_a h_i)
        for (let j = 0; j < a; j++) e += (this.v.data[j] as number) * Math.tanh((q.data[r * a + j] as number) + (keys.data[(r * s + i) * a + j] as number));
        out.data[r * s + i] = e;
      }
    }
    return out;
  }
}

/**
 * Multiplicative attention, Luong et al. 2015, eq. 8:
 *   dot:     score(s_t, h_i) = s_tᵀ h_i
 *   general: score(s_t, h_i) = s_tᵀ W_a h_i   (W_a h_i computed once per batch; key.weight is W_aᵀ (H, H))
 * then alpha_t = softmax over the real source words and c_t = sum_i alpha_ti h_i, both as batched
 * matrix products.
 */
export class MultiplicativeAttention implements Attention {
  private readonly wk: Tensor | null;

  constructor(config: RnnModelConfig, params: ParamStore, prefix: string, kind: 'dot' | 'general') {
    const h = config.hidden;
    this.wk = kind === 'general' ? params.xavier(`${prefix}.key.weight`, [h, h]) : null;
  }

  precompute(states: Tensor, lengths: Int32Array, summary: Tensor): AttentionMemory {
    checkMemory('MultiplicativeAttention', states, lengths);
    const keys = this.wk === null ? states : linear(states, this.wk); // (B, S, H)
    return { values: states, keys, lengths, summary };
  }

  step(query: Tensor, memory: AttentionMemory): AttentionStep {
    const keys = memory.keys as Tensor;
    const [b, s, h] = keys.shape as [number, number, number];
    if (query.rank !== 2 || query.shape[0] !== b || query.shape[1] !== h) {
      throw new ShapeError('MultiplicativeAttention.step', `query must be (${b}, ${h})`, query.shape, keys.shape);
    }
    const scores = this.scores(query, memory); // (B, S)
    const weights = softmax(scores, { lengths: memory.lengths }); // (B, S), 0 on padding
    const context = reshape(bmm(reshape(weights, [b, 1, s]), memory.values), [b, memory.values.shape[2] as number]);
    return { context, weights }; // context (B, H)
  }

  scores(query: Tensor, memory: AttentionMemory): Tensor {
    const keys = memory.keys as Tensor;
    const [b, s, h] = keys.shape as [number, number, number];
    return reshape(bmm(keys, reshape(query, [b, h, 1])), [b, s]); // (B, S, H)(B, H, 1) -> (B, S)
  }
}

/**
 * The traditional encoder-decoder's single fixed context vector (Cho et al. 2014, Sutskever et al.
 * 2014): the encoder's final state, the same at every step, placed exactly where the attention
 * context goes. It already has H units ([forward; backward] final states of H/2 each when
 * bidirectional), so no projection is needed. No parameters, no weights.
 */
export class FixedContext implements Attention {
  precompute(states: Tensor, lengths: Int32Array, summary: Tensor): AttentionMemory {
    checkMemory('FixedContext', states, lengths);
    return { values: states, keys: null, lengths, summary };
  }

  step(query: Tensor, memory: AttentionMemory): AttentionStep {
    if (query.shape[0] !== memory.summary.shape[0]) {
      throw new ShapeError('FixedContext.step', 'query and context batch sizes differ', query.shape, memory.summary.shape);
    }
    return { context: memory.summary, weights: null };
  }

  scores(): null {
    return null;
  }
}

export function makeAttention(config: RnnModelConfig, params: ParamStore, prefix: string): Attention {
  switch (config.attention) {
    case 'additive':
      return new AdditiveAttention(config, params, prefix);
    case 'dot':
    case 'general':
      return new MultiplicativeAttention(config, params, prefix, config.attention);
    case 'none':
      return new FixedContext();
  }
}

/**
 * The memory for a new set of rows (beam search and finished-sentence compaction): row r of the
 * result is row rows[r] of `memory` (with an attention session of its own when `memory` had one). Inference
 * only (no gradient).
 */
export function selectMemory(memory: AttentionMemory, rows: Int32Array): AttentionMemory {
  const lengths = new Int32Array(rows.length);
  for (let r = 0; r < rows.length; r++) lengths[r] = memory.lengths[rows[r]];
  const values = gatherRows(memory.values, rows);
  const keys = memory.keys === null ? null : memory.keys === memory.values ? values : gatherRows(memory.keys, rows);
  const summary = gatherRows(memory.summary, rows);
  // Additive attention: the selected rows get a session of their own, so the steps after a selection (greedy's
  // finished sentences dropped, beam search's hypotheses) keep their keys and values in the engine's memory too.
  const old = memory.session;
  const session = old !== undefined && keys !== null ? new AttentionSession(keys, old.v, values, lengths) : undefined;
  return { values, keys, lengths, summary, ...(session === undefined ? {} : { session }) };
}

function checkMemory(op: string, states: Tensor, lengths: Int32Array): void {
  if (states.rank !== 3) throw new ShapeError(`${op}.precompute`, 'encoder states must be (B, S, H)', states.shape);
  const [b, s] = states.shape as [number, number];
  if (lengths.length !== b) {
    throw new ShapeError(`${op}.precompute`, `lengths has ${lengths.length} entries for batch ${b}`, states.shape);
  }
  for (let i = 0; i < b; i++) {
    if (!(lengths[i] >= 1 && lengths[i] <= s)) {
      throw new RangeError(`${op}.precompute: source length ${lengths[i]} of row ${i} is not in 1..${s}`);
    }
  }
}
