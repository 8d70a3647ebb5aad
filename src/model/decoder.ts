/**
 * The attentional decoder (Luong et al. 2015, section 3, with input feeding, section 3.3). One step t:
 *
 *   1. s_t = RNN(s_{t-1}, [y_{t-1}; h~_{t-1}])   previous target word's embedding, plus the previous
 *                                                 attentional vector when input feeding is on
 *   2. alpha_t, c_t = attention(s_t, h_1..h_S)    weights over the source words and the context
 *   3. h~_t = tanh(W_c [c_t; s_t] + b_c)          the attentional vector (feed-forward layer)
 *   4. p(y_t | ...) = softmax(W_o h~_t + b_o)     over the target vocabulary
 *
 * The fixed-context baseline runs the very same step with c_t = the encoder's final state.
 *
 * Speed: the embedding half of the layer-0 input projection, y_{t-1}·W_ih + b_ih, is one GEMM over
 * all T steps during training (`embedInputs`); only the input-feeding half h~_{t-1}·W_feed stays in the
 * loop. The output layer runs once over all B·T attentional vectors (`logits`). In inference (`inferStep`) the
 * embedding half is read from a table of every target word's projection, made once per weights when it pays.
 *
 * Parameters: decoder.embedding.weight (Vt, E); decoder.rnn.l<l>.* (rnn.ts, layer 0 input E) and
 * decoder.rnn.l0.weight_feed (H, G·H) with input feeding; decoder.attention.* (attention.ts);
 * decoder.combine.weight (2H, H) and .bias (H); decoder.output.weight (H, Vt) (absent when tied to
 * the embedding) and .bias (Vt); bridge.weight (H, H) and bridge.bias (H) when bridge is 'linear'.
 */
import { add, concat, embedding, greedyPick, linear, logSoftmax, matmul, outputCrossEntropy, pickFromLogProbs, tanh, type CrossEntropyResult, type CrossEntropyOptions, type PickResult } from '../engine/ops.js';
import { StepGrads, stepLinear } from '../engine/fused/step-grads.js';
import { gruFeedCellRows } from '../engine/fused/gru.js';
import { lookupRows } from '../engine/ops/shape.js';
import { gemm, residentGeneration } from '../engine/gemm.js';
import { int8Of, type QuantizedMatrix } from '../engine/int8.js';
import { SMALL_M } from '../engine/wasm.js';
import { output, type Tensor } from '../engine/tensor.js';
import { makeAttention, type Attention, type AttentionMemory } from './attention.js';
import { gateCount, type RnnModelConfig } from './config.js';
import type { Dropper, Encoded } from './encoder.js';
import type { ParamStore } from './params.js';
import { RnnLayer, zeros, type RnnState } from './rnn.js';

/** Decoder state between steps for N rows (sentences or hypotheses). */
export interface DecoderState {
  /** s_t of every layer, (N, H) each. */
  layers: RnnState[];
  /** h~_{t-1} (N, H) for input feeding (zeros before the first step); null when input feeding is off. */
  feed: Tensor | null;
}

export interface DecoderStepResult {
  state: DecoderState;
  /** h~_t (N, H), after dropout when training. */
  attentional: Tensor;
  /** alpha_t (N, S); null for the fixed-context baseline. */
  weights: Tensor | null;
  /** s_t (N, H): the top layer's new state, the attention's query. */
  query: Tensor;
  /** c_t (N, H): the context the step used (the encoder's final state for the baseline). */
  context: Tensor;
}

/**
 * Most floats (Vt x G·H, 16 MiB) of the table of every target word's input projection that inference keeps
 * (`Decoder.inferStep`); a larger one is not made and each step projects its rows as training does.
 */
export const INPUT_TABLE_MAX_FLOATS = 1 << 22;

/**
 * The table costs the projection of Vt rows. It is made once the steps since the weights last changed have
 * projected this share of Vt rows one by one (a decode of a few sentences, or one between training steps,
 * does not pay for it; a longer one, or a server's stream of requests, does after a few steps).
 */
export const INPUT_TABLE_AFTER = 0.25;

/** The input projection of every target word (null until it pays) and what it is made from. */
interface InputTable {
  rows: Float32Array | null;
  /** Rows projected one by one by the steps since these weights (while `rows` is null). */
  projected: number;
  generation: number;
  sources: Float32Array[];
  int8: QuantizedMatrix | undefined;
}

/** The gradient sums of a decoder's per-step weights over the steps of one batch (engine/fused/step-grads.ts). */
export interface DecoderStepGrads {
  feed: StepGrads | null;
  layers: StepGrads[];
  combine: StepGrads;
}

export class Decoder {
  readonly embedding: Tensor;
  readonly attention: Attention;
  private readonly layers: RnnLayer[] = [];
  private readonly feedWeight: Tensor | null;
  private readonly combineWeight: Tensor;
  private readonly combineBias: Tensor;
  private readonly outputWeight: Tensor | null;
  private readonly outputBias: Tensor;
  private readonly bridgeWeight: Tensor | null;
  private readonly bridgeBias: Tensor | null;
  private inputTable: InputTable | null = null;

  constructor(
    private readonly config: RnnModelConfig,
    params: ParamStore,
  ) {
    const h = config.hidden;
    if (config.bridge === 'linear') {
      this.bridgeWeight = params.xavier('bridge.weight', [h, h]);
      this.bridgeBias = params.zeros('bridge.bias', [h]);
    } else {
      this.bridgeWeight = null;
      this.bridgeBias = null;
    }
    this.embedding = params.embedding('decoder.embedding.weight', [config.tgtVocabSize, config.embedding]);
    for (let l = 0; l < config.layers; l++) {
      this.layers.push(new RnnLayer(config.rnn, l === 0 ? config.embedding : h, h, params, `decoder.rnn.l${l}`));
    }
    this.feedWeight = config.inputFeeding ? params.xavier('decoder.rnn.l0.weight_feed', [h, gateCount(config) * h]) : null;
    this.attention = makeAttention(config, params, 'decoder.attention');
    this.combineWeight = params.xavier('decoder.combine.weight', [2 * h, h]);
    this.combineBias = params.zeros('decoder.combine.bias', [h]);
    this.outputWeight = config.tieTargetEmbeddings ? null : params.xavier('decoder.output.weight', [h, config.tgtVocabSize]);
    this.outputBias = params.zeros('decoder.output.bias', [config.tgtVocabSize]);
  }

  /**
   * The initial state from the encoder: per layer l, s_0 = tanh(W_b h_final(l) + b_b) (Bahdanau 2015
   * A.2.2) with 'linear', or zeros. An LSTM's memory cell starts at zero either way.
   */
  initState(encoded: Encoded): DecoderState {
    const n = encoded.lengths.length;
    const h = this.config.hidden;
    const layers: RnnState[] = this.layers.map((layer, l) => {
      const zero = layer.zeroState(n);
      if (this.bridgeWeight === null) return zero;
      const fin = (encoded.final[l] as RnnState).h; // (B, H)
      return { h: tanh(linear(fin, this.bridgeWeight, this.bridgeBias as Tensor)), c: zero.c };
    });
    return { layers, feed: this.config.inputFeeding ? zeros([n, h]) : null };
  }

  /** The attention memory of a batch: keys projected once (B, S, ·), the fixed context (B, H). */
  precompute(encoded: Encoded): AttentionMemory {
    const top = encoded.final[encoded.final.length - 1] as RnnState;
    return this.attention.precompute(encoded.states, encoded.lengths, top.h);
  }

  /** ids (...) of previous target words -> y·W_ih + b_ih (..., G·H); e.g. (B, T) for all steps at once. */
  embedInputs(ids: Int32Array, shape: readonly number[], drop: Dropper): Tensor {
    const emb = drop(embedding(this.embedding, ids, shape)); // (..., E)
    return (this.layers[0] as RnnLayer).project(emb);
  }

  /**
   * The per-step weights' gradient sums for the steps of one batch under a recording tape (made before the first
   * step; `step` then leaves their gradients to one product over all steps at the end).
   */
  stepGrads(): DecoderStepGrads {
    return {
      feed: this.feedWeight === null ? null : new StepGrads(this.feedWeight, null),
      layers: this.layers.map((l) => l.stepGrads()),
      combine: new StepGrads(this.combineWeight, this.combineBias),
    };
  }

  /** One decoder step: x (N, G·H) from `embedInputs`, the state, the batch's memory (and in training `sums` from `stepGrads`). */
  step(x: Tensor, state: DecoderState, memory: AttentionMemory, drop: Dropper, sums?: DecoderStepGrads): DecoderStepResult {
    let input = x;
    // In training the first layer takes x and the feed vector apart (its two products run at once).
    let first: RnnState | null = null;
    if (this.feedWeight !== null) {
      const feed = sums?.feed;
      const s0 = sums?.layers[0];
      if (feed && s0) first = (this.layers[0] as RnnLayer).feedCell(x, this.feedOf(state), feed, state.layers[0] as RnnState, s0);
      else input = add(input, linear(this.feedOf(state), this.feedWeight)); // (N, G·H)
    }
    return this.advance(input, state, memory, drop, sums, first);
  }

  /**
   * Inference (no dropout, no gradient): `step` for previous words prev (N), with the bits of
   * step(embedInputs(prev)): y_{t-1}·W_ih + b_ih is read from a table of every target word's projection, made
   * by one product over all Vt rows (when it pays, INPUT_TABLE_AFTER) and kept while the weights stay the same,
   * and h~_{t-1}·W_feed is added to the rows as they are read. Each row of a product comes out the same
   * whatever the number of rows, except that a float product of at most SMALL_M rows takes the engine's
   * few-row path (another rounding): such steps, and every step while there is no table, give null and are
   * run by `step` (the int8 GEMM computes every row alike: its steps use the table at any size).
   */
  inferStep(prev: Int32Array, state: DecoderState, memory: AttentionMemory): DecoderStepResult | null {
    const n = prev.length;
    const rows = this.inputRows(n);
    if (rows === null) return null;
    const layer = this.layers[0] as RnnLayer;
    if (this.feedWeight !== null && layer.kind === 'gru' && int8Of(this.feedWeight.data) === undefined && int8Of(layer.weightHh.data) === undefined) {
      // The feed product and layer 0's recurrent product at once (fused/gru.ts gruFeedCellRows: the same bits).
      const h = gruFeedCellRows(rows, prev, this.feedOf(state), this.feedWeight, (state.layers[0] as RnnState).h, layer.weightHh, layer.biasHh);
      return this.advance(h, state, memory, (t) => t, undefined, { h, c: null });
    }
    const gh = layer.weightIh.shape[1] as number;
    const input = output([n, gh], []);
    const f = this.feedWeight === null ? null : linear(this.feedOf(state), this.feedWeight).data; // (N, G·H)
    lookupRows(rows, this.config.tgtVocabSize, gh, prev, input.data, f);
    return this.advance(input, state, memory, (t) => t);
  }

  /** h~_{t-1} of the state (input feeding). */
  private feedOf(state: DecoderState): Tensor {
    if (state.feed === null) throw new Error('Decoder.step: input feeding is on but the state has no feed vector');
    return state.feed;
  }

  /**
   * E·W_ih + b_ih (Vt, G·H) for the weights as they are now (`inferStep`, a step of n rows), or null: too large,
   * a float step of at most SMALL_M rows, or not yet paid for (its rows are counted). Made again when a weight
   * was written since (another resident generation: optimizer steps, `parametersChanged`), replaced, or
   * registered as int8 (its product then takes the int8 GEMM, as a step's does).
   */
  private inputRows(n: number): Float32Array | null {
    const layer = this.layers[0] as RnnLayer;
    const vocab = this.config.tgtVocabSize;
    const e = layer.weightIh.shape[0] as number;
    const gh = layer.weightIh.shape[1] as number;
    const int8 = int8Of(layer.weightIh.data);
    if (vocab * gh > INPUT_TABLE_MAX_FLOATS || (int8 === undefined && n <= SMALL_M)) return null;
    const sources = [this.embedding.data, layer.weightIh.data, layer.biasIh.data];
    const generation = residentGeneration();
    let t = this.inputTable;
    if (t === null || t.generation !== generation || t.int8 !== int8 || t.sources.some((s, i) => s !== sources[i])) {
      t = { rows: null, projected: 0, generation, sources, int8 };
      this.inputTable = t;
    }
    if (t.rows !== null) return t.rows;
    t.projected += n;
    if (t.projected < INPUT_TABLE_AFTER * vocab) return null;
    const rows = new Float32Array(vocab * gh);
    // linear(embedding rows, W_ih, b_ih)'s product, over all Vt rows at once.
    gemm({ m: vocab, n: gh, k: e, a: this.embedding.data, b: layer.weightIh.data, c: rows, beta: 1, bias: layer.biasIh.data, bResident: layer.weightIh.requiresGrad });
    t.rows = rows;
    return rows;
  }

  /**
   * The rest of a step from the layer-0 input (N, G·H): the recurrent layers (layer 0 given as `first` when the
   * caller ran it), the attention, the attentional vector.
   */
  private advance(
    x: Tensor, state: DecoderState, memory: AttentionMemory, drop: Dropper, sums?: DecoderStepGrads, first: RnnState | null = null,
  ): DecoderStepResult {
    let input = x;
    const layers: RnnState[] = [];
    for (let l = 0; l < this.layers.length; l++) {
      const layer = this.layers[l] as RnnLayer;
      if (l === 0 && first !== null) {
        layers.push(first);
        continue;
      }
      if (l > 0) input = layer.project(drop((layers[l - 1] as RnnState).h));
      layers.push(layer.cell(input, state.layers[l] as RnnState, sums?.layers[l]));
    }
    const query = (layers[layers.length - 1] as RnnState).h; // s_t (N, H)
    const { context, weights } = this.attention.step(query, memory); // c_t (N, H), alpha_t (N, S)
    const both = concat([context, query]);
    const combined = sums !== undefined ? stepLinear(both, sums.combine) : linear(both, this.combineWeight, this.combineBias);
    const attentional = drop(tanh(combined)); // (N, H)
    return { state: { layers, feed: this.feedWeight === null ? null : attentional }, attentional, weights, query, context };
  }

  /**
   * The label-smoothed cross-entropy of h~ (R, H) against targets (R): the loss of
   * crossEntropy(logits(h~), targets, opts) in one fused op (on the WebAssembly engine the logits never leave
   * its memory; engine/fused/output-ce.ts).
   */
  loss(attentional: Tensor, targets: Int32Array, opts: CrossEntropyOptions): CrossEntropyResult {
    if (this.outputWeight !== null) return outputCrossEntropy(attentional, this.outputWeight, this.outputBias, targets, opts);
    return outputCrossEntropy(attentional, this.embedding, this.outputBias, targets, { ...opts, transposed: true });
  }

  /** h~ (R, H) -> unnormalized scores over the target vocabulary (R, Vt): one GEMM for all rows. */
  logits(attentional: Tensor): Tensor {
    if (this.outputWeight !== null) return linear(attentional, this.outputWeight, this.outputBias);
    return add(matmul(attentional, this.embedding, { transB: true }), this.outputBias); // tied: h~ Eᵀ + b
  }

  /**
   * Greedy's choice from h~ (N, H): per row the first id of largest log p(y_t | ...) other than the two
   * `skip` ids, and that log-probability; the numbers of logSoftmax(logits(h~)) scanned, without the
   * (N, Vt) log-probabilities (ops/pick.ts; tied embeddings go through the log-probabilities).
   */
  pick(attentional: Tensor, skip: readonly [number, number]): PickResult {
    if (this.outputWeight !== null) return greedyPick(attentional, this.outputWeight, this.outputBias, skip);
    return pickFromLogProbs(logSoftmax(this.logits(attentional)), skip);
  }
}
