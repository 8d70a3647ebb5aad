/**
 * Fused additive attention (Bahdanau et al. 2015, eq. A.1.2):
 *   e_i = vᵀ tanh(q + k_i),  α = softmax(e) over the real positions i < length,  context = Σ_i α_i h_i
 * with q = s·W_q projected by the caller per step and k_i = U·h_i precomputed once per batch.
 * Score, masked softmax and context are one forward and one hand-written backward.
 */
import { expNonPositive, tanhValue } from '../ops/elementwise.js';
import { scratch } from '../ops/util.js';
import { onBackward, output, ShapeError, Tensor } from '../tensor.js';

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

/** Fewer score elements (B x S x A) stay in TypeScript: the copies cost more than they save. */
export const ATTENTION_KERNEL_MIN = 2048;

export interface AttentionResult {
  /** (B, Hv) Σ_i α_i values_i */
  context: Tensor;
  /** (B, S) attention weights: each row sums to 1 over its real positions, exactly 0 at padding. */
  weights: Tensor;
}

/**
 * query (B, A), keys (B, S, A), v (A), values (B, S, Hv), lengths (B) each in [1, S].
 */
export function additiveAttention(
  query: Tensor, keys: Tensor, v: Tensor, values: Tensor, lengths: Int32Array,
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
  // tanh(q + k_i) (B, S, A), kept only for a backward (decoding keeps none: no (B, S, A) copy out of the kernel)
  const t = context.requiresGrad ? scratch(batch * s * a) : null;
  const q = query.data;
  const kd = keys.data;
  const vd = v.data;
  const vals = values.data;
  const w = weights.data;
  const cd = context.data;
  const useKernel = batch * s * a >= ATTENTION_KERNEL_MIN;
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
  // Per row b: masked softmax, context. The products are len x Hv: plain loops beat a GEMM call's
  // operand copies here.
  for (let b = 0; b < batch; b++) {
    const len = lengths[b] as number;
    const o = b * s;
    let max = -Infinity;
    for (let i = 0; i < len; i++) if (w[o + i] > max) max = w[o + i];
    let sum = 0;
    for (let i = 0; i < len; i++) {
      const e = expNonPositive(w[o + i] - max);
      w[o + i] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let i = 0; i < len; i++) w[o + i] *= inv;
    for (let i = len; i < s; i++) w[o + i] = 0;
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
