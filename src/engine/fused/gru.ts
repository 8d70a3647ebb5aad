/**
 * Fused GRU (PyTorch equations, gates joined r|z|n):
 *   r = σ(x_r + h·W_r + b_r)        z = σ(x_z + h·W_z + b_z)
 *   n = tanh(x_n + r ⊙ (h·W_n + b_n))   h' = (1 - z) ⊙ n + z ⊙ h
 * x·W_ih + b_ih is projected for all steps beforehand (one linear()); each step here is one GEMM
 * h·W_hh (B, H)x(H, 3H) plus the gate arithmetic in one loop; backward is written by hand.
 */
import { gemm, type GemmArgs } from '../gemm.js';
import { gemmPair } from '../gemm-pair.js';
import { addRowSums } from '../ops/linalg.js';
import { sigmoidValue, tanhValue } from '../ops/elementwise.js';
import { lookupRows } from '../ops/shape.js';
import { scratch } from '../ops/util.js';
import { onBackward, output, ShapeError, Tensor } from '../tensor.js';
import { checkRecurrent, position, recurrentParamBackward, sequenceLengths, type SequenceOptions } from './common.js';
import type { StepGrads } from './step-grads.js';

export type { SequenceOptions } from './common.js';

/**
 * The gate kernels of the WebAssembly engine (asm/gru.ts via wasm-recurrent.ts), installed by
 * `initEngine`, with the arguments and results of `gruForwardStep` and `gruBackwardStep` below. They
 * return false (nothing written) when they cannot run, and the TypeScript loops do the work.
 */
export interface GruKernels {
  forward(
    hidden: number, batch: number, x: Float32Array, xRowOffset: (b: number) => number,
    hPrev: Float32Array, hPrevOff: number, gh: Float32Array, bias: Float32Array,
    hNew: Float32Array, hNewOff: number, act: Float32Array | null, actOff: number, active: (b: number) => boolean,
  ): boolean;
  backward(
    hidden: number, batch: number, hPrev: Float32Array, hPrevOff: number, act: Float32Array, actOff: number,
    dh: Float32Array, dg: Float32Array, dx: Float32Array | null, dxRowOffset: (b: number) => number,
    active: (b: number) => boolean, dxZero?: boolean,
  ): boolean;
}

let kernels: GruKernels | null = null;

/** The installed gate kernels (null: the TypeScript loops). */
export function currentGruKernels(): GruKernels | null {
  return kernels;
}

/** Installs (or with null removes) the engine's gate kernels. */
export function setGruKernels(next: GruKernels | null): void {
  kernels = next;
}

/** Steps of fewer state elements (B x H) stay in TypeScript: the copies cost more than they save. */
export const GRU_KERNEL_MIN = 256;

/**
 * One GRU step for the active rows. gh (B, 3H) holds h·W_hh on entry. Writes hNew (B, H) and the
 * saved activations act (B, 4H) = r | z | n | (h·W_n + b_n) (none when act is null: no backward to
 * come). Rows with pos[b] < 0 keep their state.
 */
function gruForwardStep(
  hidden: number, batch: number, x: Float32Array, xRowOffset: (b: number) => number,
  hPrev: Float32Array, hPrevOff: number, gh: Float32Array, bias: Float32Array,
  hNew: Float32Array, hNewOff: number, act: Float32Array | null, actOff: number, active: (b: number) => boolean,
): void {
  if (batch * hidden >= GRU_KERNEL_MIN && kernels?.forward(hidden, batch, x, xRowOffset, hPrev, hPrevOff, gh, bias, hNew, hNewOff, act, actOff, active)) return;
  const h3 = 3 * hidden;
  for (let b = 0; b < batch; b++) {
    const ho = hPrevOff + b * hidden;
    const no = hNewOff + b * hidden;
    if (!active(b)) {
      for (let j = 0; j < hidden; j++) hNew[no + j] = hPrev[ho + j];
      continue;
    }
    const xo = xRowOffset(b);
    const go = b * h3;
    const ao = actOff + b * 4 * hidden;
    for (let j = 0; j < hidden; j++) {
      const r = sigmoidValue(x[xo + j] + gh[go + j] + bias[j]);
      const z = sigmoidValue(x[xo + hidden + j] + gh[go + hidden + j] + bias[hidden + j]);
      const hn = gh[go + 2 * hidden + j] + bias[2 * hidden + j];
      const n = tanhValue(x[xo + 2 * hidden + j] + r * hn);
      if (act !== null) {
        act[ao + j] = r;
        act[ao + hidden + j] = z;
        act[ao + 2 * hidden + j] = n;
        act[ao + 3 * hidden + j] = hn;
      }
      hNew[no + j] = (1 - z) * n + z * hPrev[ho + j];
    }
  }
}

/**
 * Backward of one step. dh (B, H) holds dL/dh' on entry and dL/dh on exit. Writes the gate
 * gradients into dg (B, 3H) (zero for inactive rows) and, for active rows, adds them into dx (with
 * `dxZero` those rows of dx are zero on entry: a kernel may write instead of adding).
 */
function gruBackwardStep(
  hidden: number, batch: number, hPrev: Float32Array, hPrevOff: number, act: Float32Array, actOff: number,
  dh: Float32Array, dg: Float32Array, dx: Float32Array | null, dxRowOffset: (b: number) => number,
  active: (b: number) => boolean, dxZero = false,
): void {
  if (batch * hidden >= GRU_KERNEL_MIN && kernels?.backward(hidden, batch, hPrev, hPrevOff, act, actOff, dh, dg, dx, dxRowOffset, active, dxZero)) return;
  const h3 = 3 * hidden;
  for (let b = 0; b < batch; b++) {
    const go = b * h3;
    if (!active(b)) {
      dg.fill(0, go, go + h3);
      continue;
    }
    const ho = hPrevOff + b * hidden;
    const ao = actOff + b * 4 * hidden;
    const dho = b * hidden;
    for (let j = 0; j < hidden; j++) {
      const r = act[ao + j];
      const z = act[ao + hidden + j];
      const n = act[ao + 2 * hidden + j];
      const hn = act[ao + 3 * hidden + j];
      const d = dh[dho + j];
      const dn = d * (1 - z);
      const dz = d * (hPrev[ho + j] - n);
      const dan = dn * (1 - n * n);
      const dar = dan * hn * r * (1 - r);
      const daz = dz * z * (1 - z);
      dg[go + j] = dar;
      dg[go + hidden + j] = daz;
      dg[go + 2 * hidden + j] = dan * r;
      dh[dho + j] = d * z;
      if (dx !== null) {
        const xo = dxRowOffset(b);
        dx[xo + j] += dar;
        dx[xo + hidden + j] += daz;
        dx[xo + 2 * hidden + j] += dan;
      }
    }
  }
}

/**
 * GRU over a sequence. xProj (B, S, 3H), h0 (B, H), wHh (H, 3H), bHh (3H).
 * Returns outputs (B, S, H) (zero at padded steps) and final (B, H): each row's state after its
 * last real step. With `reverse`, row b runs from position length_b - 1 down to 0.
 */
export function gruSequence(
  xProj: Tensor, h0: Tensor, wHh: Tensor, bHh: Tensor, opts: SequenceOptions = {},
): { outputs: Tensor; final: Tensor } {
  return runAlone(gruRun(xProj, h0, wHh, bHh, opts));
}

/** Runs one sequence's steps (and records their backward) on its own. */
function runAlone(run: GruRun): { outputs: Tensor; final: Tensor } {
  for (let k = 0; k < run.steps; k++) {
    gemm(run.forwardProduct(k));
    run.forwardGates(k);
  }
  run.finish();
  onBackward(run.outputs, () => {
    if (!run.backwardStart()) return;
    for (let k = run.steps - 1; k >= 0; k--) gemm(run.backwardGates(k));
    run.backwardEnd(gemm);
  });
  return { outputs: run.outputs, final: run.final };
}

/** The arguments of one GRU sequence (`gruSequence`). */
export interface GruSequenceArgs {
  xProj: Tensor;
  h0: Tensor;
  wHh: Tensor;
  bHh: Tensor;
  opts: SequenceOptions;
}

/**
 * Two independent GRU sequences of the same number of steps (a bidirectional layer's two directions), in
 * lockstep: each step's two recurrent products, forward and backward, run at once (gemm-pair.ts). The results
 * and their bits are those of two `gruSequence` calls (which it makes for sequences of different lengths, or
 * when only one needs a gradient).
 */
export function gruSequencePair(x: GruSequenceArgs, y: GruSequenceArgs): Array<{ outputs: Tensor; final: Tensor }> {
  const rx = gruRun(x.xProj, x.h0, x.wHh, x.bHh, x.opts);
  const ry = gruRun(y.xProj, y.h0, y.wHh, y.bHh, y.opts);
  // Different step counts, or a gradient for one only (its backward recorded alone): one after the other.
  if (rx.steps !== ry.steps || rx.outputs.requiresGrad !== ry.outputs.requiresGrad) return [runAlone(rx), runAlone(ry)];
  for (let k = 0; k < rx.steps; k++) {
    gemmPair(rx.forwardProduct(k), ry.forwardProduct(k));
    rx.forwardGates(k);
    ry.forwardGates(k);
  }
  rx.finish();
  ry.finish();
  onBackward(rx.outputs, () => {
    const bx = rx.backwardStart();
    const by = ry.backwardStart();
    for (let k = rx.steps - 1; k >= 0; k--) {
      const px = bx ? rx.backwardGates(k) : null;
      const py = by ? ry.backwardGates(k) : null;
      if (px !== null && py !== null) gemmPair(px, py);
      else if (px !== null) gemm(px);
      else if (py !== null) gemm(py);
    }
    const weights: GemmArgs[] = [];
    if (bx) rx.backwardEnd((g) => weights.push(g));
    if (by) ry.backwardEnd((g) => weights.push(g));
    if (weights.length === 2) gemmPair(weights[0] as GemmArgs, weights[1] as GemmArgs);
    else weights.forEach(gemm);
  });
  return [
    { outputs: rx.outputs, final: rx.final },
    { outputs: ry.outputs, final: ry.final },
  ];
}

/**
 * One GRU sequence taken apart for `gruSequence` and `gruSequencePair`: per step its recurrent product (to run)
 * and gate arithmetic, and the same for the backward, so two sequences can run in lockstep.
 */
type GruRun = ReturnType<typeof gruRun>;

function gruRun(xProj: Tensor, h0: Tensor, wHh: Tensor, bHh: Tensor, opts: SequenceOptions) {
  if (xProj.rank !== 3) throw new ShapeError('gruSequence', 'xProj must be (B, S, 3H)', xProj.shape, h0.shape);
  const hidden = checkRecurrent('gruSequence', 3, xProj, h0, wHh, bHh);
  const batch = xProj.shape[0] as number;
  const steps = xProj.shape[1] as number;
  const lengths = sequenceLengths('gruSequence', xProj, opts.lengths);
  const reverse = opts.reverse ?? false;
  const bh = batch * hidden;
  const inputs = [xProj, h0, wHh, bHh];
  const outputs = output([batch, steps, hidden], inputs);
  const final = output([batch, hidden], inputs);
  // states (S+1, B, H): state before step k at k; activations (S, B, 4H).
  const states = scratch((steps + 1) * bh);
  const acts = outputs.requiresGrad ? scratch(steps * 4 * bh) : null; // for the backward only
  const gh = scratch(3 * bh);
  states.set(h0.data);
  // The step the row schedule (active, xOff) refers to; the forward and backward steps set it.
  let k = 0;
  const active = (b: number): boolean => k < (lengths[b] as number);
  const xOff = (b: number): number => (b * steps + position(k, lengths[b] as number, reverse)) * 3 * hidden;
  // The backward's running dL/dh, every step's gate gradients (S, B, 3H) and the gradient of xProj.
  let dh = gh;
  let dgAll = gh;
  let dx: Float32Array | null = null;
  let dxZero = false;
  return {
    outputs,
    final,
    steps,
    /** Step k's recurrent product gh = h_k·W_hh. */
    forwardProduct(step: number): GemmArgs {
      return { m: batch, n: 3 * hidden, k: hidden, a: states, b: wHh.data, c: gh, aOffset: step * bh, bResident: wHh.requiresGrad };
    },
    /** Step k's gates, after its product. */
    forwardGates(step: number): void {
      k = step;
      gruForwardStep(hidden, batch, xProj.data, xOff, states, k * bh, gh, bHh.data, states, (k + 1) * bh, acts, k * 4 * bh, active);
    },
    /** The outputs and the final state, after the last step. */
    finish(): void {
      const out = outputs.data;
      out.fill(0);
      for (let b = 0; b < batch; b++) {
        const len = lengths[b] as number;
        for (let kk = 0; kk < len; kk++) {
          const p = position(kk, len, reverse);
          out.set(states.subarray((kk + 1) * bh + b * hidden, (kk + 1) * bh + (b + 1) * hidden), (b * steps + p) * hidden);
        }
      }
      final.data.set(states.subarray(steps * bh, (steps + 1) * bh));
    },
    /** Starts the backward; false when there is none to run (no activations kept). */
    backwardStart(): boolean {
      if (acts === null) return false;
      const gFinal = final.grad;
      dh = scratch(bh);
      if (gFinal !== null) dh.set(gFinal);
      else dh.fill(0);
      dgAll = scratch(steps * 3 * bh);
      // A fresh dx is zeroed once; every (row, position) is then written by one step at most.
      const target = xProj.requiresGrad ? xProj.gradTarget() : null;
      if (target?.fresh === true) target.grad.fill(0);
      dx = target?.grad ?? null;
      dxZero = target?.fresh === true;
      return true;
    },
    /** Step k's backward through its gates; returns the product dh += dg_k·W_hhᵀ to run before step k - 1. */
    backwardGates(step: number): GemmArgs {
      k = step;
      const gOut = outputs.grad;
      const dg = dgAll.subarray(k * 3 * bh, (k + 1) * 3 * bh);
      if (gOut !== null) {
        for (let b = 0; b < batch; b++) {
          if (!active(b)) continue;
          const o = (b * steps + position(k, lengths[b] as number, reverse)) * hidden;
          for (let j = 0; j < hidden; j++) dh[b * hidden + j] += gOut[o + j];
        }
      }
      gruBackwardStep(hidden, batch, states, k * bh, acts as Float32Array, k * 4 * bh, dh, dg, dx, xOff, active, dxZero);
      return { m: batch, n: hidden, k: 3 * hidden, a: dg, b: wHh.data, c: dh, transB: true, beta: 1, bResident: wHh.requiresGrad };
    },
    /** After every step: the bias and h0 gradients here, and dW_hh += Σ_k h_kᵀ dg_k given to `run`. */
    backwardEnd(run: (args: GemmArgs) => void): void {
      // The states before each step, (S·B, H), are the first S·B rows of states.
      if (wHh.requiresGrad) run({ m: hidden, n: 3 * hidden, k: steps * batch, a: states, b: dgAll, c: wHh.ensureGrad(), transA: true, beta: 1 });
      if (bHh.requiresGrad) addRowSums(dgAll, steps * batch, 3 * hidden, bHh.ensureGrad());
      if (h0.requiresGrad) {
        const dh0 = h0.ensureGrad();
        for (let i = 0; i < bh; i++) dh0[i] += dh[i];
      }
    },
  };
}

/**
 * One GRU step (decoders): xProj (B, 3H), h (B, H), wHh (H, 3H), bHh (3H) -> h' (B, H). With `sums` (made for
 * wHh and bHh) the gradients of wHh and bHh are left to it, for one product over all steps.
 */
export function gruCell(xProj: Tensor, h: Tensor, wHh: Tensor, bHh: Tensor, sums?: StepGrads): Tensor {
  if (xProj.rank !== 2) throw new ShapeError('gruCell', 'xProj must be (B, 3H)', xProj.shape, h.shape);
  const hidden = checkRecurrent('gruCell', 3, xProj, h, wHh, bHh);
  const batch = h.shape[0] as number;
  const out = output([batch, hidden], [xProj, h, wHh, bHh]);
  const act = out.requiresGrad ? scratch(4 * batch * hidden) : null; // for the backward only
  const gh = scratch(3 * batch * hidden);
  const all = (): boolean => true;
  const xOff = (b: number): number => b * 3 * hidden;
  gemm({ m: batch, n: 3 * hidden, k: hidden, a: h.data, b: wHh.data, c: gh, bResident: wHh.requiresGrad });
  gruForwardStep(hidden, batch, xProj.data, xOff, h.data, 0, gh, bHh.data, out.data, 0, act, 0, all);
  onBackward(out, () => {
    const g = out.grad;
    if (g === null || act === null) return;
    const dh = scratch(batch * hidden);
    dh.set(g);
    const dg = scratch(3 * batch * hidden);
    const target = xProj.requiresGrad ? xProj.gradTarget() : null;
    if (target?.fresh === true) target.grad.fill(0);
    gruBackwardStep(hidden, batch, h.data, 0, act, 0, dh, dg, target?.grad ?? null, xOff, all, target?.fresh === true);
    recurrentParamBackward(hidden, 3, batch, h.data, 0, dg, dh, wHh, bHh, sums !== undefined && sums.w === wHh && sums.b === bHh ? sums : undefined);
    if (h.requiresGrad) {
      const dhIn = h.ensureGrad();
      for (let i = 0; i < dh.length; i++) dhIn[i] += dh[i];
    }
  });
  return out;
}

/**
 * Inference (no gradient): a decoder's first GRU layer with input feeding for previous words `ids` (B), whose
 * input projections are rows of `table` (Vt, 3H): gruCell(x + feed·W_feed, h, wHh, bHh) with x's rows read from
 * the table as the sum is made, and feed·W_feed and h·W_hh as one pair of products (the bits of the ops one by one).
 */
export function gruFeedCellRows(table: Float32Array, ids: Int32Array, feed: Tensor, wFeed: Tensor, h: Tensor, wHh: Tensor, bHh: Tensor): Tensor {
  const hidden = wHh.shape[0] as number;
  const batch = h.shape[0] as number;
  const h3 = 3 * hidden;
  const f = wFeed.shape[0] as number;
  if (ids.length !== batch || feed.shape[0] !== batch || feed.shape[1] !== f || wFeed.shape[1] !== h3 || table.length % h3 !== 0) {
    throw new ShapeError('gruFeedCellRows', `ids (${batch}), feed (${batch}, ${f}) and a table of ${h3} columns`, feed.shape, wFeed.shape);
  }
  const bh3 = batch * h3;
  const fp = scratch(bh3);
  const gh = scratch(bh3);
  gemmPair(
    { m: batch, n: h3, k: f, a: feed.data, b: wFeed.data, c: fp, bResident: wFeed.requiresGrad },
    { m: batch, n: h3, k: hidden, a: h.data, b: wHh.data, c: gh, bResident: wHh.requiresGrad },
  );
  lookupRows(table, table.length / h3, h3, ids, fp, fp); // x + feed·W_feed, in place
  const out = output([batch, hidden], []);
  const xOff = (b: number): number => b * h3;
  gruForwardStep(hidden, batch, fp, xOff, h.data, 0, gh, bHh.data, out.data, 0, null, 0, () => true);
  return out;
}

/**
 * A decoder's first GRU layer with input feeding in one op: gruCell(add(x, stepLinear(feed, feedSums)), h, wHh,
 * bHh, sums), with the same bits. x (B, 3H) is the step's embedding projection, feed (B, F) the previous
 * attentional vector and feedSums the StepGrads of its weight W_feed (F, 3H) (no bias). The two products of
 * the step, feed·W_feed and h·W_hh, and of its backward, dg·W_hhᵀ and dx·W_feedᵀ, are independent: each pair
 * runs at once (gemm-pair.ts).
 */
export function gruFeedCell(x: Tensor, feed: Tensor, feedSums: StepGrads, h: Tensor, wHh: Tensor, bHh: Tensor, sums: StepGrads): Tensor {
  if (x.rank !== 2) throw new ShapeError('gruFeedCell', 'x must be (B, 3H)', x.shape, h.shape);
  const hidden = checkRecurrent('gruFeedCell', 3, x, h, wHh, bHh);
  const wf = feedSums.w;
  const batch = h.shape[0] as number;
  const f = wf.shape[0] as number;
  if (feed.rank !== 2 || feed.shape[0] !== batch || feed.shape[1] !== f || wf.shape[1] !== 3 * hidden || feedSums.b !== null) {
    throw new ShapeError('gruFeedCell', `feed must be (${batch}, ${f}) for a feed weight (${f}, ${3 * hidden}) without bias`, feed.shape, wf.shape);
  }
  if (sums.w !== wHh || sums.b !== bHh) throw new Error('gruFeedCell: sums must be made for wHh and bHh');
  const bh3 = 3 * batch * hidden;
  const out = output([batch, hidden], [x, feed, wf, h, wHh, bHh]);
  const act = out.requiresGrad ? scratch(4 * batch * hidden) : null; // for the backward only
  const fp = scratch(bh3);
  const gh = scratch(bh3);
  gemmPair(
    { m: batch, n: 3 * hidden, k: f, a: feed.data, b: wf.data, c: fp, bResident: wf.requiresGrad },
    { m: batch, n: 3 * hidden, k: hidden, a: h.data, b: wHh.data, c: gh, bResident: wHh.requiresGrad },
  );
  // x + feed·W_feed, as `add` sums them.
  const xd = x.data;
  for (let i = 0; i < bh3; i++) fp[i] = (xd[i] as number) + (fp[i] as number);
  const all = (): boolean => true;
  const xOff = (b: number): number => b * 3 * hidden;
  gruForwardStep(hidden, batch, fp, xOff, h.data, 0, gh, bHh.data, out.data, 0, act, 0, all);
  onBackward(out, () => {
    const g = out.grad;
    if (g === null || act === null) return;
    const dh = scratch(batch * hidden);
    dh.set(g);
    const dg = scratch(bh3);
    // dL/d(x + feed·W_feed), kept for feedSums until its flush.
    const dx = scratch(bh3);
    dx.fill(0);
    gruBackwardStep(hidden, batch, h.data, 0, act, 0, dh, dg, dx, xOff, all, true);
    if (wHh.requiresGrad || bHh.requiresGrad) sums.add(h.data, dg, batch);
    const hh: GemmArgs = { m: batch, n: hidden, k: 3 * hidden, a: dg, b: wHh.data, c: dh, transB: true, beta: 1, bResident: wHh.requiresGrad };
    if (feed.requiresGrad) {
      const { grad, fresh } = feed.gradTarget();
      gemmPair(hh, { m: batch, n: f, k: 3 * hidden, a: dx, b: wf.data, c: grad, transB: true, beta: fresh ? 0 : 1, bResident: wf.requiresGrad });
    } else {
      gemm(hh);
    }
    if (wf.requiresGrad) feedSums.add(feed.data, dx, batch);
    if (x.requiresGrad) {
      const { grad, fresh } = x.gradTarget();
      if (fresh) grad.set(dx);
      else for (let i = 0; i < bh3; i++) grad[i] += dx[i] as number;
    }
    if (h.requiresGrad) {
      const dhIn = h.ensureGrad();
      for (let i = 0; i < dh.length; i++) dhIn[i] += dh[i];
    }
  });
  return out;
}
