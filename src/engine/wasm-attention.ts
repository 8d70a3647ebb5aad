/**
 * The step kernels of an attention session (fused/attention.ts `AttentionStepKernels`, asm/attn.ts) over a
 * WebAssembly engine instance: the keys and values of a batch are copied into its linear memory once, into a
 * block kept for their size class (WasmGemm.keep; copied again when another session used the block since or
 * the block was dropped), and every decoder step then moves only its few rows (the query, the scores, the
 * weights, the context and their gradients). Without a kept block (memory full) each call copies the keys and values itself. Browser-safe.
 */
import type { AttentionStepKernels, AttentionStepShape, AttentionTanh } from './fused/attention.js';
import { capacityClass } from './tensor.js';
import type { WasmGemm } from './wasm.js';

/**
 * Most bytes of one session's kept tanh blocks (its first steps keep theirs, the later ones recompute theirs in
 * the backward): a quarter of the engine's kept region, which the weights' resident copies share.
 */
const TANH_BYTES = 32 * 1024 * 1024;

/** The kernels over engine instance `w`. */
export function wasmAttentionSteps(w: WasmGemm): AttentionStepKernels {
  const k = w.kernels;
  // Kept blocks by size class (tensor.ts capacityClass), each holding the keys and values of the session that
  // wrote it last: batches of about the same shape reuse one block instead of taking a new one each.
  const slots = new Map<number, { key: object; owner: object | null }>();
  /**
   * Byte addresses of the keys and values (kept, or in the per-call region) and of the per-call regions of
   * `counts` floats after them; null when memory cannot grow.
   */
  const regions = (sh: AttentionStepShape, counts: readonly number[]): { keys: number; values: number; at: number[] } | null => {
    const kv = sh.batch * sh.s * sh.a;
    const vv = sh.batch * sh.s * sh.h;
    const floats = capacityClass(kv + vv + 16);
    let slot = slots.get(floats);
    if (slot === undefined) {
      slot = { key: {}, owner: null };
      slots.set(floats, slot);
    }
    const kept = w.keep(slot.key, floats * 4);
    if (kept !== null) {
      const keys = kept.ptr;
      const values = kept.ptr + Math.ceil((kv * 4) / 64) * 64;
      if (kept.fresh || slot.owner !== sh.key) {
        w.heapF32.set(sh.keys.subarray(0, kv), keys >> 2);
        w.heapF32.set(sh.values.subarray(0, vv), values >> 2);
        slot.owner = sh.key;
      }
      const at = w.callRegions([...counts, sh.batch]);
      if (at === null) return null;
      w.heapI32.set(sh.lengths, (at[counts.length] as number) >> 2);
      return { keys, values, at };
    }
    const at = w.callRegions([kv, vv, ...counts, sh.batch]);
    if (at === null) return null;
    w.heapF32.set(sh.keys.subarray(0, kv), (at[0] as number) >> 2);
    w.heapF32.set(sh.values.subarray(0, vv), (at[1] as number) >> 2);
    w.heapI32.set(sh.lengths, (at[counts.length + 2] as number) >> 2);
    return { keys: at[0] as number, values: at[1] as number, at: at.slice(2) };
  };
  // Kept tanh blocks of training steps (B, S, A each), one per step index and shape class, each holding the tanh of
  // the step whose token it names (null: none).
  const tanhSlots = new Map<string, { key: object; owner: object | null }>();
  const tanhSlot = (sh: AttentionStepShape, step: number): { key: object; owner: object | null } => {
    const id = `${capacityClass(sh.batch * sh.s * sh.a)}:${step}`;
    let slot = tanhSlots.get(id);
    if (slot === undefined) {
      slot = { key: {}, owner: null };
      tanhSlots.set(id, slot);
    }
    return slot;
  };
  /** The address of the tanh step `keep` kept, or 0 when it is not there (then recomputed). Allocates nothing. */
  const keptTanh = (sh: AttentionStepShape, keep: AttentionTanh | null): number => {
    if (keep === null) return 0;
    const slot = tanhSlot(sh, keep.step);
    const at = slot.owner === keep.token ? w.keptAt(slot.key) : -1;
    return at < 0 ? 0 : at;
  };
  return {
    scores(sh, q, v, e, keep) {
      const { batch, s, a } = sh;
      // The tanh block first: the keys' block taken after it stays valid (a start-over of the kept blocks while
      // taking the keys' drops this one instead, and the step then keeps nothing).
      const bytes = batch * s * a * 4;
      const slot = keep === null || (keep.step + 1) * bytes > TANH_BYTES ? null : tanhSlot(sh, keep.step);
      if (slot !== null) slot.owner = null;
      const kept = slot === null ? null : w.keep(slot.key, bytes);
      const r = regions(sh, [batch * a, a, batch * s]);
      if (r === null) return false;
      const [pq, pv, pe, plen] = r.at as [number, number, number, number];
      const f = w.heapF32;
      f.set(q.subarray(0, batch * a), pq >> 2);
      f.set(v.subarray(0, a), pv >> 2);
      if (slot !== null && kept !== null && keep !== null && w.keptAt(slot.key) === kept.ptr) {
        k.attnForward(pq, r.keys, pv, plen, kept.ptr, pe, batch, s, a);
        slot.owner = keep.token;
      } else {
        k.attnScores(pq, r.keys, pv, plen, pe, batch, s, a);
      }
      e.set(f.subarray(pe >> 2, (pe >> 2) + batch * s));
      return true;
    },
    context(sh, weights, ctx) {
      const { batch, s, h } = sh;
      const r = regions(sh, [batch * s, batch * h]);
      if (r === null) return false;
      const [pw, pc, plen] = r.at as [number, number, number];
      const f = w.heapF32;
      f.set(weights.subarray(0, batch * s), pw >> 2);
      k.attnContext(pw, r.values, plen, pc, batch, s, h);
      ctx.set(f.subarray(pc >> 2, (pc >> 2) + batch * h));
      return true;
    },
    stepBackward(sh, q, v, weights, gc, gw, de, dq, keep) {
      const { batch, s, a, h } = sh;
      const r = regions(sh, [batch * a, a, batch * s, batch * h, gw === null ? 0 : batch * s, batch * s, batch * a]);
      if (r === null) return false;
      const [pq, pv, pw, pgc, pgw, pde, pdq, plen] = r.at as [number, number, number, number, number, number, number, number];
      const f = w.heapF32;
      f.set(q.subarray(0, batch * a), pq >> 2);
      f.set(v.subarray(0, a), pv >> 2);
      f.set(weights.subarray(0, batch * s), pw >> 2);
      f.set(gc.subarray(0, batch * h), pgc >> 2);
      if (gw !== null) f.set(gw.subarray(0, batch * s), pgw >> 2);
      k.attnStepBackward(pq, r.keys, pv, r.values, pw, pgc, gw === null ? 0 : pgw, plen, pde, pdq, batch, s, a, h, keptTanh(sh, keep));
      de.set(f.subarray(pde >> 2, (pde >> 2) + batch * s));
      if (dq !== null) dq.set(f.subarray(pdq >> 2, (pdq >> 2) + batch * a));
      return true;
    },
    flush(sh, v, steps, dk, dvals, dv) {
      const { batch, s, a, h } = sh;
      const t = steps.length;
      const r = regions(sh, [t * batch * a, a, t * batch * s, t * batch * s, t * batch * h, batch * s * a, batch * s * h, a, t]);
      if (r === null) return false;
      const [pq, pv, pde, pw, pgc, pdk, pdvals, pdv, ptp, plen] = r.at as [number, number, number, number, number, number, number, number, number, number];
      const f = w.heapF32;
      // Each step's kept tanh (0: recomputed).
      let anyKept = false;
      steps.forEach((st, i) => {
        const at = keptTanh(sh, st.tanh);
        w.heapI32[(ptp >> 2) + i] = at;
        anyKept ||= at !== 0;
      });
      steps.forEach((st, i) => {
        f.set(st.q.subarray(0, batch * a), (pq >> 2) + i * batch * a);
        f.set(st.de.subarray(0, batch * s), (pde >> 2) + i * batch * s);
        f.set(st.w.subarray(0, batch * s), (pw >> 2) + i * batch * s);
        f.set(st.gc.subarray(0, batch * h), (pgc >> 2) + i * batch * h);
      });
      f.set(v.subarray(0, a), pv >> 2);
      k.attnFlush(pq, r.keys, pv, pde, pw, pgc, plen, pdk, pdvals, pdv, t, batch, s, a, h, anyKept ? ptp : 0);
      if (dk !== null) addFrom(f, pdk >> 2, dk.grad, dk.fresh, batch * s * a);
      if (dvals !== null) addFrom(f, pdvals >> 2, dvals.grad, dvals.fresh, batch * s * h);
      if (dv !== null) addFrom(f, pdv >> 2, dv.grad, dv.fresh, a);
      return true;
    },
  };
}

/** dst[0..n) += heap[at..] (= when `fresh`). */
function addFrom(f: Float32Array, at: number, dst: Float32Array, fresh: boolean, n: number): void {
  if (fresh) {
    dst.set(f.subarray(at, at + n));
    return;
  }
  for (let i = 0; i < n; i++) dst[i] += f[at + i] as number;
}
