/**
 * Fused additive attention (Bahdanau et al. 2015, eq. A.1.2):
 *   e_i = vᵀ tanh(q + k_i),  α = softmax(e) over the real positions i < length,  context = Σ_i α_i h_i
 * with q = s·W_q projected by the caller per step and k_i = U·h_i precomputed once per batch.
 * Score, masked softmax and context are one forward and one hand-written backward.
 */
import { gemm } from '../gemm.js';
import { scratch } from '../ops/util.js';
import { onBackward, output, ShapeError, Tensor } from '../tensor.js';

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
  const t = scratch(batch * s * a); // tanh(q + k_i), (B, S, A)
  const q = query.data;
  const kd = keys.data;
  for (let b = 0; b < batch; b++) {
    const len = lengths[b] as number;
    for (let i = 0; i < len; i++) {
      const o = (b * s + i) * a;
      for (let j = 0; j < a; j++) t[o + j] = Math.tanh(q[b * a + j] + kd[o + j]);
    }
  }
  const w = weights.data;
  for (let b = 0; b < batch; b++) {
    const len = lengths[b] as number;
    // e (len) = tanh rows (len, A) · v (A)
    gemm({ m: len, n: 1, k: a, a: t, b: v.data, c: w, aOffset: b * s * a, cOffset: b * s, bResident: v.requiresGrad });
    const o = b * s;
    let max = -Infinity;
    for (let i = 0; i < len; i++) if (w[o + i] > max) max = w[o + i];
    let sum = 0;
    for (let i = 0; i < len; i++) {
      const e = Math.exp(w[o + i] - max);
      w[o + i] = e;
      sum += e;
    }
    for (let i = 0; i < len; i++) w[o + i] /= sum;
    for (let i = len; i < s; i++) w[o + i] = 0;
    // context (1, Hv) = α (1, len) · values (len, Hv)
    gemm({ m: 1, n: hv, k: len, a: w, b: values.data, c: context.data, aOffset: o, bOffset: b * s * hv, cOffset: b * hv });
  }

  onBackward(context, () => {
    const gc = context.grad;
    const gw = weights.grad;
    if (gc === null && gw === null) return;
    const dAlpha = scratch(s);
    const dPre = scratch(s * a);
    for (let b = 0; b < batch; b++) {
      const len = lengths[b] as number;
      const o = b * s;
      if (gw !== null) dAlpha.set(gw.subarray(o, o + len));
      else dAlpha.fill(0, 0, len);
      if (gc !== null) {
        // dα (len) += values (len, Hv) · dcontext (Hv)
        gemm({ m: len, n: 1, k: hv, a: values.data, b: gc, c: dAlpha, aOffset: b * s * hv, bOffset: b * hv, beta: 1 });
        // dvalues (len, Hv) += αᵀ (len, 1) · dcontext (1, Hv)
        if (values.requiresGrad) {
          gemm({
            m: len, n: hv, k: 1, a: w, b: gc, c: values.ensureGrad(), transA: true, beta: 1,
            aOffset: o, bOffset: b * hv, cOffset: b * s * hv,
          });
        }
      }
      // softmax backward: de_i = α_i (dα_i - Σ_j α_j dα_j), then through vᵀ tanh(·)
      let dot = 0;
      for (let i = 0; i < len; i++) dot += w[o + i] * dAlpha[i];
      for (let i = 0; i < len; i++) dAlpha[i] = w[o + i] * (dAlpha[i] - dot);
      if (v.requiresGrad) {
        // dv (1, A) += deᵀ (1, len) · tanh rows (len, A)
        gemm({ m: 1, n: a, k: len, a: dAlpha, b: t, c: v.ensureGrad(), bOffset: b * s * a, beta: 1 });
      }
      const vd = v.data;
      for (let i = 0; i < len; i++) {
        const to = (b * s + i) * a;
        const de = dAlpha[i];
        for (let j = 0; j < a; j++) {
          const th = t[to + j];
          dPre[i * a + j] = de * vd[j] * (1 - th * th);
        }
      }
      if (keys.requiresGrad) {
        const dk = keys.ensureGrad();
        const ko = b * s * a;
        for (let x = 0; x < len * a; x++) dk[ko + x] += dPre[x];
      }
      if (query.requiresGrad) {
        const dq = query.ensureGrad();
        for (let i = 0; i < len; i++) for (let j = 0; j < a; j++) dq[b * a + j] += dPre[i * a + j];
      }
    }
  });
  return { context, weights };
}
