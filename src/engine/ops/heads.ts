/**
 * The two matrix products of multi-head attention (Vaswani et al. 2017, section 3.2.2), for every
 * head of every sentence in one batched GEMM each (batched.ts), reading the heads where they lie:
 * head h of a (B, L, D) tensor is the L x dHead block at column h·dHead (row stride D), dHead = D / H.
 *
 *   headScores(q, k, H):   q (B, T, D), k (B, S, D) -> (B, H, T, S),  scores_bh = Q_bh · K_bhᵀ
 *   headContext(p, v, H):  p (B, H, T, S), v (B, S, D) -> (B, T, D),  context_b[:, head h] = P_bh · V_bh
 *
 * so the heads of the context come out concatenated, ready for the output projection. Backward:
 *   scores:  dQ_bh = dS_bh · K_bh,   dK_bh = dS_bhᵀ · Q_bh
 *   context: dP_bh = dC_bh · V_bhᵀ,  dV_bh = P_bhᵀ · dC_bh
 * each again one batched GEMM over all heads.
 */
import { gemmBatched } from '../batched.js';
import { onBackward, output, ShapeError, Tensor } from '../tensor.js';
import { requireRank } from './util.js';

function headSize(op: string, x: Tensor, heads: number): number {
  const d = x.lastDim;
  if (!(Number.isInteger(heads) && heads >= 1 && d % heads === 0)) {
    throw new ShapeError(op, `${heads} heads do not divide the model size ${d}`, x.shape);
  }
  return d / heads;
}

/** The gradient buffer of t and the beta that writes it (0 when fresh: every head writes its block). */
function gradOf(t: Tensor): { grad: Float32Array; beta: number } | null {
  if (!t.requiresGrad) return null;
  const { grad, fresh } = t.gradTarget();
  return { grad, beta: fresh ? 0 : 1 };
}

/** q (B, T, D), k (B, S, D) -> scores (B, H, T, S), one Q_h K_hᵀ per sentence and head (not scaled). */
export function headScores(q: Tensor, k: Tensor, heads: number): Tensor {
  requireRank('headScores', q, 3, 'q');
  requireRank('headScores', k, 3, 'k');
  const [b, t, d] = q.shape as [number, number, number];
  const s = k.shape[1] as number;
  if (k.shape[0] !== b || k.shape[2] !== d) throw new ShapeError('headScores', 'k must be (B, S, D) for q (B, T, D)', q.shape, k.shape);
  const dh = headSize('headScores', q, heads);
  const out = output([b, heads, t, s], [q, k]);
  const qArgs = { lda: d, aStride: [t * d, dh] as const };
  const kArgs = { ldb: d, bStride: [s * d, dh] as const };
  const sArgs = { cStride: [heads * t * s, t * s] as const };
  gemmBatched({ outer: b, inner: heads, m: t, n: s, k: dh, transB: true, a: q.data, b: k.data, c: out.data, ...qArgs, ...kArgs, ...sArgs });
  onBackward(out, () => {
    const g = out.grad;
    if (g === null) return;
    const dq = gradOf(q);
    if (dq !== null) {
      // dQ_bh (T, dh) = dS_bh (T, S) · K_bh (S, dh)
      gemmBatched({
        outer: b, inner: heads, m: t, n: dh, k: s, a: g, aStride: sArgs.cStride, b: k.data, ...kArgs,
        c: dq.grad, ldc: d, cStride: qArgs.aStride, beta: dq.beta,
      });
    }
    const dk = gradOf(k);
    if (dk !== null) {
      // dK_bh (S, dh) = dS_bhᵀ (S, T) · Q_bh (T, dh)
      gemmBatched({
        outer: b, inner: heads, m: s, n: dh, k: t, transA: true, a: g, lda: s, aStride: sArgs.cStride,
        b: q.data, ldb: d, bStride: qArgs.aStride, c: dk.grad, ldc: d, cStride: kArgs.bStride, beta: dk.beta,
      });
    }
  });
  return out;
}

/** p (B, H, T, S), v (B, S, D) -> context (B, T, D): head h's P_h V_h in columns h·dHead of each row. */
export function headContext(p: Tensor, v: Tensor, heads: number): Tensor {
  requireRank('headContext', p, 4, 'p');
  requireRank('headContext', v, 3, 'v');
  const [b, h, t, s] = p.shape as [number, number, number, number];
  const d = v.lastDim;
  if (h !== heads || v.shape[0] !== b || v.shape[1] !== s) {
    throw new ShapeError('headContext', `p must be (B, ${heads}, T, S) for v (B, S, D)`, p.shape, v.shape);
  }
  const dh = headSize('headContext', v, heads);
  const out = output([b, t, d], [p, v]);
  const pArgs = { aStride: [heads * t * s, t * s] as const };
  const vArgs = { ldb: d, bStride: [s * d, dh] as const };
  const cArgs = { ldc: d, cStride: [t * d, dh] as const };
  gemmBatched({ outer: b, inner: heads, m: t, n: dh, k: s, a: p.data, b: v.data, c: out.data, ...pArgs, ...vArgs, ...cArgs });
  onBackward(out, () => {
    const g = out.grad;
    if (g === null) return;
    const dp = gradOf(p);
    if (dp !== null) {
      // dP_bh (T, S) = dC_bh (T, dh) · V_bhᵀ (dh, S)
      gemmBatched({
        outer: b, inner: heads, m: t, n: s, k: dh, transB: true, a: g, lda: d, aStride: cArgs.cStride, b: v.data, ...vArgs,
        c: dp.grad, cStride: pArgs.aStride, beta: dp.beta,
      });
    }
    const dv = gradOf(v);
    if (dv !== null) {
      // dV_bh (S, dh) = P_bhᵀ (S, T) · dC_bh (T, dh)
      gemmBatched({
        outer: b, inner: heads, m: s, n: dh, k: t, transA: true, a: p.data, lda: s, aStride: pArgs.aStride,
        b: g, ldb: d, bStride: cArgs.cStride, c: dv.grad, ldc: d, cStride: vArgs.bStride, beta: dv.beta,
      });
    }
  });
  return out;
}
