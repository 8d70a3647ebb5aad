/**
 * The building blocks of the Transformer (Vaswani et al. 2017, section 3): multi-head scaled
 * dot-product attention, the position-wise feed-forward network, layer normalization, and the
 * residual connection around each sublayer (pre-norm or post-norm).
 *
 * Shapes: B sentences, S source positions, T target positions, D = dModel, H heads, dHead = D / H.
 *
 * Parameters of an attention sublayer <p>: <p>.query / .key / .value / .out, each .weight (D, D) and
 * .bias (D); of a feed-forward sublayer <p>: <p>.in.weight (D, F), .in.bias (F), .out.weight (F, D),
 * .out.bias (D); of a layer norm <p>: <p>.weight (D) (ones), <p>.bias (D) (zeros). Weights are
 * xavier-uniform, biases zero.
 */
import { gemmBatched } from '../../engine/batched.js';
import { add, gelu, headContext, headScores, layerNorm, linear, maskedSoftmax, relu } from '../../engine/ops.js';
import { output, Tensor } from '../../engine/tensor.js';
import type { ParamStore } from '../params.js';

/** Dropout as the model applies it (identity when not training), with its probability. */
export type Drop = (x: Tensor, p: number) => Tensor;

/** Which keys a query may see: real source keys (lengths per sentence) and/or earlier positions (causal). */
export interface KeyMask {
  /** Valid keys per sentence (B); absent: all. */
  lengths?: Int32Array;
  /** Query t sees keys <= t (the decoder's self-attention over the whole target). */
  causal?: boolean;
}

export interface AttentionOutput {
  /** (B, T, D) after the output projection. */
  out: Tensor;
  /** The attention weights of every head (B, H, T, S), exactly 0 on masked keys (before attention dropout). */
  weights: Tensor;
  /** q·k per head (B, H, T, S), before the 1/sqrt(dHead) scale and the masked softmax (explain shows them). */
  scores: Tensor;
  /** The heads' contexts Σ_i α_i v_i side by side (B, T, D), before the output projection. */
  context: Tensor;
}

/** Keys and values of the memory an attention reads, projected once: (B, S, D) each. */
export interface ProjectedKeys {
  keys: Tensor;
  values: Tensor;
}

export class LayerNorm {
  readonly gamma: Tensor;
  readonly beta: Tensor;

  constructor(params: ParamStore, prefix: string, d: number) {
    this.gamma = params.ones(`${prefix}.weight`, [d]);
    this.beta = params.zeros(`${prefix}.bias`, [d]);
  }

  apply(x: Tensor): Tensor {
    return layerNorm(x, this.gamma, this.beta);
  }
}

/** Multi-head attention (section 3.2.2): MultiHead(Q, K, V) = Concat(head_1..head_H) W_O, head_h = softmax(Q_h K_hᵀ / sqrt(dHead)) V_h. */
export class MultiHeadAttention {
  readonly heads: number;
  private readonly wq: Tensor;
  private readonly bq: Tensor;
  private readonly wk: Tensor;
  private readonly bk: Tensor;
  private readonly wv: Tensor;
  private readonly bv: Tensor;
  private readonly wo: Tensor;
  private readonly bo: Tensor;
  private readonly scale: number;

  constructor(params: ParamStore, prefix: string, d: number, heads: number) {
    this.heads = heads;
    this.wq = params.xavier(`${prefix}.query.weight`, [d, d]);
    this.bq = params.zeros(`${prefix}.query.bias`, [d]);
    this.wk = params.xavier(`${prefix}.key.weight`, [d, d]);
    this.bk = params.zeros(`${prefix}.key.bias`, [d]);
    this.wv = params.xavier(`${prefix}.value.weight`, [d, d]);
    this.bv = params.zeros(`${prefix}.value.bias`, [d]);
    this.wo = params.xavier(`${prefix}.out.weight`, [d, d]);
    this.bo = params.zeros(`${prefix}.out.bias`, [d]);
    this.scale = 1 / Math.sqrt(d / heads);
  }

  /** Keys and values of a memory (B, S, D): the encoder output for cross-attention, once per batch. */
  project(memory: Tensor): ProjectedKeys {
    return { keys: linear(memory, this.wk, this.bk), values: linear(memory, this.wv, this.bv) };
  }

  /** The queries of x (..., D). */
  queries(x: Tensor): Tensor {
    return linear(x, this.wq, this.bq);
  }

  /**
   * queries (B, T, D) against projected keys and values (B, S, D): scores for every head in one batched
   * GEMM, masked scaled softmax, attention dropout, contexts in one batched GEMM, output projection.
   */
  attend(queries: Tensor, kv: ProjectedKeys, mask: KeyMask, drop: Drop, attentionDropout: number): AttentionOutput {
    const scores = headScores(queries, kv.keys, this.heads); // (B, H, T, S)
    const weights = maskedSoftmax(scores, { lengths: mask.lengths, causal: mask.causal, scale: this.scale });
    const context = headContext(drop(weights, attentionDropout), kv.values, this.heads); // (B, T, D)
    return { out: linear(context, this.wo, this.bo), weights, scores, context };
  }

  /** Self- or cross-attention of x (B, T, D) over memory (B, S, D) (pass x itself for self-attention). */
  forward(x: Tensor, memory: Tensor, mask: KeyMask, drop: Drop, attentionDropout: number): AttentionOutput {
    return this.attend(this.queries(x), this.project(memory), mask, drop, attentionDropout);
  }

  /**
   * One decoder step of self-attention with a key/value cache (inference): x (N, 1, D) is the newest
   * position; its key and value are written to the cache at `step`, and its query attends to the
   * cache's positions 0..step (all earlier positions of its own row). Returns the output (N, 1, D) and
   * the weights (N, H, 1, step + 1).
   */
  stepCached(x: Tensor, cache: LayerCache, step: number): AttentionOutput {
    const n = x.shape[0] as number;
    const d = x.lastDim;
    const dh = d / this.heads;
    const k = linear(x, this.wk, this.bk);
    const v = linear(x, this.wv, this.bv);
    cache.write(step, k.data, v.data);
    const q = this.queries(x); // (N, 1, D)
    const len = step + 1;
    const rowStride = cache.capacity * d;
    const scores = output([n, this.heads, 1, len], []);
    // scores[n, h, 0, :] = q_nh · K_nhᵀ over the cached positions 0..step of row n
    gemmBatched({
      outer: n, inner: this.heads, m: 1, n: len, k: dh, transB: true,
      a: q.data, lda: d, aStride: [d, dh], b: cache.keys, ldb: d, bStride: [rowStride, dh], c: scores.data, cStride: [this.heads * len, len],
    });
    const weights = maskedSoftmax(scores, { scale: this.scale });
    const context = output([n, 1, d], []);
    gemmBatched({
      outer: n, inner: this.heads, m: 1, n: dh, k: len,
      a: weights.data, aStride: [this.heads * len, len], b: cache.values, ldb: d, bStride: [rowStride, dh], c: context.data, ldc: d, cStride: [d, dh],
    });
    return { out: linear(context, this.wo, this.bo), weights, scores, context };
  }

  /** The scale of the scores inside the softmax: 1 / sqrt(dHead). */
  get scoreScale(): number {
    return this.scale;
  }
}

/** The key/value cache of one decoder layer's self-attention: (rows, capacity, D) each, positions 0..length-1 filled. */
export interface LayerCache {
  readonly keys: Float32Array;
  readonly values: Float32Array;
  readonly capacity: number;
  /** Writes the key and value (N, D) of position `step` of every row. */
  write(step: number, k: Float32Array, v: Float32Array): void;
}

/** Position-wise feed-forward network (section 3.3): FFN(x) = act(x W_1 + b_1) W_2 + b_2. */
export class FeedForward {
  private readonly w1: Tensor;
  private readonly b1: Tensor;
  private readonly w2: Tensor;
  private readonly b2: Tensor;

  constructor(params: ParamStore, prefix: string, d: number, inner: number, private readonly activation: 'relu' | 'gelu') {
    this.w1 = params.xavier(`${prefix}.in.weight`, [d, inner]);
    this.b1 = params.zeros(`${prefix}.in.bias`, [inner]);
    this.w2 = params.xavier(`${prefix}.out.weight`, [inner, d]);
    this.b2 = params.zeros(`${prefix}.out.bias`, [d]);
  }

  forward(x: Tensor): Tensor {
    const h = linear(x, this.w1, this.b1);
    return linear(this.activation === 'gelu' ? gelu(h) : relu(h), this.w2, this.b2);
  }
}

/**
 * The residual connection around a sublayer f with its layer norm: pre-norm x + drop(f(LN(x))), or
 * post-norm LN(x + drop(f(x))) as in the original paper. `f` may return more than its output (the
 * attention weights); `run` passes that through.
 */
export class Residual {
  readonly norm: LayerNorm;

  constructor(params: ParamStore, prefix: string, d: number, private readonly pre: boolean) {
    this.norm = new LayerNorm(params, prefix, d);
  }

  run<R extends { out: Tensor }>(x: Tensor, f: (input: Tensor) => R, drop: (t: Tensor) => Tensor): { x: Tensor; result: R } {
    if (this.pre) {
      const result = f(this.norm.apply(x));
      return { x: add(x, drop(result.out)), result };
    }
    const result = f(x);
    return { x: this.norm.apply(add(x, drop(result.out))), result };
  }
}
