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
import { concatExact, gemm, residentGeneration } from '../../engine/gemm.js';
import { int8Of } from '../../engine/int8.js';
import { gelu, headContext, headScores, layerNorm, linear, maskedSoftmax, relu } from '../../engine/ops.js';
import { output, Tensor } from '../../engine/tensor.js';
import type { ParamStore } from '../params.js';

/**
 * Dropout as the model applies it (identity when not training), with its probability; with `residual`,
 * residual + dropout(x) in one op (ops `addDropout`: the same values and gradients as the two ops).
 */
export type Drop = (x: Tensor, p: number, residual?: Tensor) => Tensor;

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
  /** The fused query/key/value weight of cached decoding steps, and what it was built from. */
  private fused: { weight: Float32Array; generation: number; sources: Float32Array[] } | null = null;

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
    // q, k and v of every row side by side (N, 3D): one GEMM over [Wq | Wk | Wv] when that gives
    // the three products' own results, else three.
    const qkv = this.projectQkv(x);
    cache.write(step, qkv.data, d, 2 * d, 3 * d);
    const len = step + 1;
    const rowStride = cache.capacity * d;
    const scores = output([n, this.heads, 1, len], []);
    // scores[n, h, 0, :] = q_nh · K_nhᵀ over the cached positions 0..step of row n
    gemmBatched({
      outer: n, inner: this.heads, m: 1, n: len, k: dh, transB: true,
      a: qkv.data, lda: 3 * d, aStride: [3 * d, dh], b: cache.keys, ldb: d, bStride: [rowStride, dh], c: scores.data, cStride: [this.heads * len, len],
    });
    const weights = maskedSoftmax(scores, { scale: this.scale });
    const context = output([n, 1, d], []);
    gemmBatched({
      outer: n, inner: this.heads, m: 1, n: dh, k: len,
      a: weights.data, aStride: [this.heads * len, len], b: cache.values, ldb: d, bStride: [rowStride, dh], c: context.data, ldc: d, cStride: [d, dh],
    });
    return { out: linear(context, this.wo, this.bo), weights, scores, context };
  }

  /**
   * x (N, 1, D) -> [q | k | v] (N, 3D), each the result `linear(x, w, b)` gives (inference: no
   * gradient). One GEMM over the fused weight [Wq | Wk | Wv] (D, 3D) when the engine computes each
   * column of C from its own column of B the same way whatever the width (concatExact), else three
   * products into the column blocks.
   */
  projectQkv(x: Tensor): Tensor {
    const n = x.shape[0] as number;
    const d = x.lastDim;
    const out = output([n, 3 * d], []);
    const y = out.data;
    const biases = [this.bq, this.bk, this.bv];
    for (let r = 0; r < n; r++) for (let i = 0; i < 3; i++) y.set((biases[i] as Tensor).data, r * 3 * d + i * d);
    const fused = concatExact(n, d) ? this.fusedQkv() : null;
    if (fused !== null) {
      gemm({ m: n, n: 3 * d, k: d, a: x.data, b: fused, c: y, beta: 1, bResident: true });
    } else {
      const weights = [this.wq, this.wk, this.wv];
      for (let i = 0; i < 3; i++) {
        const w = weights[i] as Tensor;
        gemm({ m: n, n: d, k: d, a: x.data, b: w.data, c: y, ldc: 3 * d, cOffset: i * d, beta: 1, bResident: w.requiresGrad });
      }
    }
    return out;
  }

  /**
   * [Wq | Wk | Wv] (D, 3D), rebuilt when the weights changed since (another resident generation: the
   * optimizers' steps, `parametersChanged`) or were replaced; null for int8 weights (they take the int8
   * GEMM one by one). A rebuild makes a new buffer, so the GEMM's resident copy of an older one is never used.
   */
  private fusedQkv(): Float32Array | null {
    const ws = [this.wq.data, this.wk.data, this.wv.data];
    if (ws.some((w) => int8Of(w) !== undefined)) return null;
    const gen = residentGeneration();
    const f = this.fused;
    if (f !== null && f.generation === gen && f.sources.every((w, i) => w === ws[i])) return f.weight;
    const d = this.wq.shape[0] as number;
    const weight = new Float32Array(3 * d * d);
    for (let r = 0; r < d; r++) {
      for (let i = 0; i < 3; i++) weight.set((ws[i] as Float32Array).subarray(r * d, r * d + d), r * 3 * d + i * d);
    }
    this.fused = { weight, generation: gen, sources: ws };
    return weight;
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
  /**
   * Writes the key and value of position `step` of every row: row r's key is src[kOff + r·ld, + D),
   * its value src[vOff + r·ld, + D) (ld = D for separate (N, D) keys and values in one buffer, 3D for
   * the rows of a fused query/key/value projection).
   */
  write(step: number, src: Float32Array, kOff: number, vOff: number, ld: number): void;
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

  /** `drop(t, x)` is x + dropout(t) (the model's Drop with its residual probability). */
  run<R extends { out: Tensor }>(x: Tensor, f: (input: Tensor) => R, drop: (t: Tensor, residual: Tensor) => Tensor): { x: Tensor; result: R } {
    if (this.pre) {
      const result = f(this.norm.apply(x));
      return { x: drop(result.out, x), result };
    }
    const result = f(x);
    return { x: this.norm.apply(drop(result.out, x)), result };
  }
}
