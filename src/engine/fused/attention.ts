/**
 * Fused additive attention (Bahdanau et al. 2015, eq. A.1.2):
 *   e_i = vᵀ tanh(q + k_i),  α = softmax(e) over the real positions i < length,  context = Σ_i α_i h_i
 * with q = s·W_q projected by the caller per step and k_i = U·h_i precomputed once per batch.
 * Score, masked softmax and context are one forward and one hand-written backward.
 */
import { tanhValue } from '../ops/elementwise.js';
import { maskedSoftmaxRow } from '../ops/softmax.js';
import { scratch, scratchZeroed } from '../ops/util.js';
import { activeTape, onBackward, output, ShapeError, Tensor, type GradTarget } from '../tensor.js';

/**
 * The score kernels of the WebAssembly engine (asm/attn.ts), installed by `initEngine`:
 * forward writes t[b,i,:] = tanh(q[b,:] + k[b,i,:]) and e[b,i] = v · t[b,i,:] for i < lengths[b];
 * backward adds d = de[b,i] v (1 - t²) to dk[b,i,:] (i < lengths[b]) and Σ_i d to dq[b,:], and
 * Σ de t to dv (each when not null); forward with t = null keeps no tanh (no backward to come). Both return false (nothing written) when they cannot run, and
 * the TypeScript loops below do the work.
 */
export interface AttentionKernels {
  forward(q: Float32Array, k: Float32Array, v: Float32Array, lengths: Int32Array, batch: number, s: number, a: number, t: Float32Array | null, e: Float32Array): boolean;
  backward(
    t: Float32Array, v: Float32Array, de: Float32Array, lengths: Int32Array, batch: number, s: number, a: number,
    dk: Float32Array | null, dq: Float32Array | null, dv: Float32Array | null,
  ): boolean;
}

let kernels: AttentionKernels | null = null;

/** The installed score kernels (null: the TypeScript loops). */
export function currentAttentionKernels(): AttentionKernels | null {
  return kernels;
}

/** Installs (or with null removes) the engine's score kernels. */
export function setAttentionKernels(next: AttentionKernels | null): void {
  kernels = next;
}

/** The keys, values and lengths of one batch's attention session, and the key its engine copy is kept under. */
export interface AttentionStepShape {
  key: object;
  keys: Float32Array;
  values: Float32Array;
  lengths: Int32Array;
  batch: number;
  s: number;
  a: number;
  h: number;
}

/** What one step's backward leaves for the session's flush: its query, weights, context gradient and de (dL/de). */
export interface AttentionStepRecord {
  q: Float32Array;
  w: Float32Array;
  gc: Float32Array;
  de: Float32Array;
  /** Where the step's forward asked the engine to keep its tanh(q + k_i) (null: nowhere). */
  tanh: AttentionTanh | null;
}

/**
 * A training step's request to keep tanh(q + k_i) (B, S, A) from the forward for the backward: the step's index
 * in its session and a token only that step holds (the engine reuses one block per index and shape class, and
 * keeps the token of the step that wrote it last). When the block is gone by the backward, the tanh is
 * recomputed (the same bits).
 */
export interface AttentionTanh {
  step: number;
  token: object;
}

/**
 * The step kernels of an attention session (wasm-attention.ts, asm/attn.ts), installed by `initEngine`; each
 * returns false (nothing written) when it cannot run:
 *  - scores: e[b,i] = v·tanh(q_b + k_bi) for i < len_b (the forward kernel's bits), keeping the tanh when `keep` asks;
 *  - context: ctx_b = Σ_i w_bi values_bi, the bits of the TypeScript loop below;
 *  - stepBackward: de (B, S) = the softmax backward of dα = gw + values·gc (0 past len), and dq = Σ_i de v ⊙ (1 - t²)
 *    (t as its forward kept it under `keep`, or recomputed);
 *  - flush: for all recorded steps at once, dk, dvalues and dv added to (or written into fresh) targets.
 */
export interface AttentionStepKernels {
  scores(sh: AttentionStepShape, q: Float32Array, v: Float32Array, e: Float32Array, keep: AttentionTanh | null): boolean;
  context(sh: AttentionStepShape, weights: Float32Array, ctx: Float32Array): boolean;
  stepBackward(
    sh: AttentionStepShape, q: Float32Array, v: Float32Array, weights: Float32Array, gc: Float32Array, gw: Float32Array | null,
    de: Float32Array, dq: Float32Array | null, keep: AttentionTanh | null,
  ): boolean;
  flush(sh: AttentionStepShape, v: Float32Array, steps: readonly AttentionStepRecord[], dk: GradTarget | null, dvals: GradTarget | null, dv: GradTarget | null): boolean;
}

let stepKernels: AttentionStepKernels | null = null;

/** Installs (or with null removes) the engine's session step kernels. */
export function setAttentionStepKernels(next: AttentionStepKernels | null): void {
  stepKernels = next;
}

/** The installed session step kernels (null: sessions run the stateless op). */
export function currentAttentionStepKernels(): AttentionStepKernels | null {
  return stepKernels;
}

/**
 * The keys, v, values and lengths of one batch, fixed for all its decoder steps (the model makes one per
 * batch in `precompute`; nothing may write their data while the session is in use). On the WebAssembly
 * engine its steps keep the keys and values in the engine's memory, and their backward passes give only
 * the query's gradient at once: the gradients of the keys, the values and v of all steps are summed in one
 * pass (`flush`), recorded on the tape when the session is made, so it runs after every step's backward.
 */
export class AttentionSession {
  /** Identity of the engine's copy of the keys and values. */
  readonly key = {};
  private readonly steps: AttentionStepRecord[] = [];
  /** Forward steps run so far (the index of the next one's kept tanh). */
  private forwardSteps = 0;

  constructor(
    readonly keys: Tensor,
    readonly v: Tensor,
    readonly values: Tensor,
    readonly lengths: Int32Array,
  ) {
    const tape = activeTape();
    if (tape !== null && tape.recording && (keys.requiresGrad || v.requiresGrad || values.requiresGrad)) tape.record(() => this.flush());
  }

  /** Whether the session serves these operands. */
  serves(keys: Tensor, v: Tensor, values: Tensor, lengths: Int32Array): boolean {
    return this.keys === keys && this.v === v && this.values === values && this.lengths === lengths;
  }

  shape(): AttentionStepShape {
    const [batch, s, a] = this.keys.shape as [number, number, number];
    return { key: this.key, keys: this.keys.data, values: this.values.data, lengths: this.lengths, batch, s, a, h: this.values.shape[2] as number };
  }

  /** The next forward step's request to keep its tanh for its backward. */
  keepTanh(): AttentionTanh {
    return { step: this.forwardSteps++, token: {} };
  }

  /** A step's backward left its part of the keys', values' and v's gradients for the flush. */
  record(step: AttentionStepRecord): void {
    this.steps.push(step);
  }

  private flush(): void {
    if (this.steps.length === 0) return;
    const target = (t: Tensor): GradTarget | null => (t.requiresGrad ? t.gradTarget() : null);
    const done = stepKernels?.flush(this.shape(), this.v.data, this.steps, target(this.keys), target(this.values), target(this.v));
    if (done !== true) throw new Error('additiveAttention: the engine could not sum the attention gradients of the batch (memory full)');
    this.steps.length = 0;
  }
}

/** Fewer score elements (B x S x A) stay in TypeScript: the copies cost more than they save. */
export const ATTENTION_KERNEL_MIN = 2048;

/**
 * Sessions of fewer score elements run the stateless op. From the size where the score kernel pays, a session
 * pays too, batch-1 decoding included: its keys and values stay in the engine's memory, so its two kernel calls
 * per step move only the query, the scores, the weights and the context (the stateless op copies every key in
 * and sums the context in TypeScript).
 */
export const ATTENTION_SESSION_MIN = ATTENTION_KERNEL_MIN;

export interface AttentionResult {
  /** (B, Hv) Σ_i α_i values_i */
  context: Tensor;
  /** (B, S) attention weights: each row sums to 1 over its real positions, exactly 0 at padding. */
  weights: Tensor;
}

/**
 * query (B, A), keys (B, S, A), v (A), values (B, S, Hv), lengths (B) each in [1, S]. With a `session` made for
 * these keys, v, values and lengths, the engine's session kernels run the step (the same forward bits).
 */
export function additiveAttention(
  query: Tensor, keys: Tensor, v: Tensor, values: Tensor, lengths: Int32Array, session?: AttentionSession,
): AttentionResult {
  if (query.rank !== 2 || keys.rank !== 3) throw new ShapeError('additiveAttention', 'query must be (B, A) and keys (B, S, A)', query.shape, keys.shape);
  const batch = query.shape[0] as number;
  const a = query.shape[1] as number;
  const s = keys.shape[1] as number;
  if (keys.shape[0] !== batch || keys.shape[2] !== a) {
    throw new ShapeError('additiveAttention', 'keys must be (B, S, A) for query (B, A)', query.shape, keys.shape);
  }
  if (v.rank !== 1 || v.shape[0] !== a) throw new ShapeError('additiveAttention', `v must be (${a})`, query.shape, v.shape);
  if (values.rank !== 3 || values.shape[0] !== batch || values.shape[1] !== s) {
    throw new ShapeError('additiveAttention', 'values must be (B, S, Hv) matching keys', keys.shape, values.shape);
  }
  if (lengths.length !== batch) {
    throw new ShapeError('additiveAttention', `${lengths.length} lengths for ${batch} rows`, keys.shape, [lengths.length]);
  }
  for (const len of lengths) {
    if (!(Number.isInteger(len) && len >= 1 && len <= s)) throw new RangeError(`additiveAttention: length ${len} outside [1, ${s}]`);
  }
  const hv = values.shape[2] as number;
  const inputs = [query, keys, v, values];
  const context = output([batch, hv], inputs);
  const weights = output([batch, s], inputs);
  const useKernel = batch * s * a >= ATTENTION_KERNEL_MIN;
  if (batch * s * a >= ATTENTION_SESSION_MIN && session !== undefined && stepKernels !== null && hv % 4 === 0 && a % 4 === 0 && session.serves(keys, v, values, lengths)) {
    const done = sessionStep(stepKernels, session, query, context, weights);
    if (done) return { context, weights };
  }
  // tanh(q + k_i) (B, S, A), kept only for a backward (decoding keeps none: no (B, S, A) copy out of the kernel)
  const t = context.requiresGrad ? scratch(batch * s * a) : null;
  const q = query.data;
  const kd = keys.data;
  const vd = v.data;
  const vals = values.data;
  const w = weights.data;
  const cd = context.data;
  // Scores e_i = vᵀ tanh(q + k_i) into w (tanh kept for the backward).
  if (!(useKernel && kernels?.forward(q, kd, vd, lengths, batch, s, a, t, w))) {
    for (let b = 0; b < batch; b++) {
      const len = lengths[b] as number;
      const qo = b * a;
      const o = b * s;
      for (let i = 0; i < len; i++) {
        const ko = (o + i) * a;
        let e = 0;
        for (let j = 0; j < a; j++) {
          const th = tanhValue(q[qo + j] + kd[ko + j]);
          if (t !== null) t[ko + j] = th;
          e += vd[j] * th;
        }
        w[o + i] = e;
      }
    }
  }
  // Masked softmax, then per row b the context. The products are len x Hv: plain loops beat a GEMM call's
  // operand copies here.
  softmaxRows(w, lengths, batch, s);
  for (let b = 0; b < batch; b++) {
    const len = lengths[b] as number;
    const o = b * s;
    // context (Hv) = Σ_i α_i values_i
    const co = b * hv;
    cd.fill(0, co, co + hv);
    for (let i = 0; i < len; i++) {
      const al = w[o + i];
      const vo = (o + i) * hv;
      for (let x = 0; x < hv; x++) cd[co + x] += al * vals[vo + x];
    }
  }

  onBackward(context, () => {
    const gc = context.grad;
    const gw = weights.grad;
    if ((gc === null && gw === null) || t === null) return;
    const dAlpha = scratch(s);
    const deAll = scratch(batch * s); // d loss / d e_i
    const dvals = values.requiresGrad ? values.ensureGrad() : null;
    const dv = v.requiresGrad ? v.ensureGrad() : null;
    const dk = keys.requiresGrad ? keys.ensureGrad() : null;
    const dq = query.requiresGrad ? query.ensureGrad() : null;
    for (let b = 0; b < batch; b++) {
      const len = lengths[b] as number;
      const o = b * s;
      if (gw !== null) dAlpha.set(gw.subarray(o, o + len));
      else dAlpha.fill(0, 0, len);
      if (gc !== null) {
        const co = b * hv;
        for (let i = 0; i < len; i++) {
          const vo = (o + i) * hv;
          // dα_i += values_i · dcontext;  dvalues_i += α_i dcontext
          let d = 0;
          for (let x = 0; x < hv; x++) d += vals[vo + x] * gc[co + x];
          dAlpha[i] += d;
          if (dvals !== null) {
            const al = w[o + i];
            for (let x = 0; x < hv; x++) dvals[vo + x] += al * gc[co + x];
          }
        }
      }
      // softmax backward: de_i = α_i (dα_i - Σ_j α_j dα_j)
      let dot = 0;
      for (let i = 0; i < len; i++) dot += w[o + i] * dAlpha[i];
      for (let i = 0; i < len; i++) deAll[o + i] = w[o + i] * (dAlpha[i] - dot);
    }
    // then through vᵀ tanh(q + k_i)
    if (dv === null && dk === null && dq === null) return;
    if (useKernel && kernels?.backward(t, vd, deAll, lengths, batch, s, a, dk, dq, dv)) return;
    for (let b = 0; b < batch; b++) {
      const len = lengths[b] as number;
      const o = b * s;
      const qo = b * a;
      for (let i = 0; i < len; i++) {
        const de = deAll[o + i];
        const ko = (o + i) * a;
        for (let j = 0; j < a; j++) {
          const th = t[ko + j];
          // dv += de tanh;  dpre = de v (1 - tanh²) goes to both the key and the query
          if (dv !== null) dv[j] += de * th;
          const d = de * vd[j] * (1 - th * th);
          if (dk !== null) dk[ko + j] += d;
          if (dq !== null) dq[qo + j] += d;
        }
      }
    }
  });
  return { context, weights };
}

/** Masked softmax of the scores in w, row by row in place (0 past each row's length): the loop of `additiveAttention`. */
function softmaxRows(w: Float32Array, lengths: Int32Array, batch: number, s: number): void {
  for (let b = 0; b < batch; b++) maskedSoftmaxRow(w, w, b * s, lengths[b] as number, s);
}

/** A step of `additiveAttention` on the session kernels; false (nothing recorded) when they cannot run. */
function sessionStep(k: AttentionStepKernels, session: AttentionSession, query: Tensor, context: Tensor, weights: Tensor): boolean {
  const sh = session.shape();
  const w = weights.data;
  const keep = context.requiresGrad ? session.keepTanh() : null;
  if (!k.scores(sh, query.data, session.v.data, w, keep)) return false;
  softmaxRows(w, sh.lengths, sh.batch, sh.s);
  if (!k.context(sh, w, context.data)) return false;
  onBackward(context, () => {
    const gc = context.grad;
    const gw = weights.grad;
    if (gc === null && gw === null) return;
    const g = gc ?? scratchZeroed(sh.batch * sh.h);
    const de = scratch(sh.batch * sh.s);
    const dq = query.requiresGrad ? scratch(sh.batch * sh.a) : null;
    if (!k.stepBackward(sh, query.data, session.v.data, w, g, gw, de, dq, keep)) {
      throw new Error('additiveAttention: the engine could not run the backward of an attention step (memory full)');
    }
    if (dq !== null) {
      const target = query.gradTarget();
      if (target.fresh) target.grad.set(dq);
      else for (let i = 0; i < dq.length; i++) target.grad[i] += dq[i] as number;
    }
    session.record({ q: query.data, w, gc: g, de, tanh: keep });
  });
  return true;
}
