/**
 * Fused LSTM (PyTorch equations, gates joined i|f|g|o):
 *   i = σ(a_i)  f = σ(a_f)  g = tanh(a_g)  o = σ(a_o),  a = x·W_ih + b_ih + h·W_hh + b_hh
 *   c' = f ⊙ c + i ⊙ g      h' = o ⊙ tanh(c')
 * x·W_ih + b_ih is projected for all steps beforehand (one linear()); each step here is one GEMM
 * h·W_hh (B, H)x(H, 4H) plus the gate arithmetic in one loop; backward is written by hand.
 */
import { gemm } from '../gemm.js';
import { sigmoidValue, tanhValue } from '../ops/elementwise.js';
import { scratch } from '../ops/util.js';
import { onBackward, output, ShapeError, shapeStr, Tensor } from '../tensor.js';
import { checkRecurrent, position, recurrentParamBackward, sequenceLengths, type SequenceOptions } from './common.js';

export interface LstmState {
  /** (B, H) */
  h: Tensor;
  /** (B, H) */
  c: Tensor;
}

/**
 * One LSTM step for the active rows. gh (B, 4H) holds h·W_hh on entry. Writes hNew, cNew (B, H) and
 * the saved activations act (B, 5H) = i | f | g | o | tanh(c'). Inactive rows keep their state.
 */
function lstmForwardStep(
  hidden: number, batch: number, x: Float32Array, xRowOffset: (b: number) => number, gh: Float32Array,
  bias: Float32Array, hPrev: Float32Array, cPrev: Float32Array, prevOff: number,
  hNew: Float32Array, cNew: Float32Array, newOff: number, act: Float32Array, actOff: number,
  active: (b: number) => boolean,
): void {
  const h4 = 4 * hidden;
  for (let b = 0; b < batch; b++) {
    const po = prevOff + b * hidden;
    const no = newOff + b * hidden;
    if (!active(b)) {
      for (let j = 0; j < hidden; j++) {
        hNew[no + j] = hPrev[po + j];
        cNew[no + j] = cPrev[po + j];
      }
      continue;
    }
    const xo = xRowOffset(b);
    const go = b * h4;
    const ao = actOff + b * 5 * hidden;
    for (let j = 0; j < hidden; j++) {
      const i = sigmoidValue(x[xo + j] + gh[go + j] + bias[j]);
      const f = sigmoidValue(x[xo + hidden + j] + gh[go + hidden + j] + bias[hidden + j]);
      const g = tanhValue(x[xo + 2 * hidden + j] + gh[go + 2 * hidden + j] + bias[2 * hidden + j]);
      const o = sigmoidValue(x[xo + 3 * hidden + j] + gh[go + 3 * hidden + j] + bias[3 * hidden + j]);
      const c = f * cPrev[po + j] + i * g;
      const tc = tanhValue(c);
      act[ao + j] = i;
      act[ao + hidden + j] = f;
      act[ao + 2 * hidden + j] = g;
      act[ao + 3 * hidden + j] = o;
      act[ao + 4 * hidden + j] = tc;
      cNew[no + j] = c;
      hNew[no + j] = o * tc;
    }
  }
}

/**
 * Backward of one step. On entry dh, dc (B, H) hold dL/dh', dL/dc'; on exit dc holds dL/dc and
 * dh, for active rows, 0 (the caller adds dgates·W_hhᵀ). Writes the pre-activation gradients
 * into dg (B, 4H) (zero for inactive rows) and adds them into dx for active rows.
 */
function lstmBackwardStep(
  hidden: number, batch: number, cPrev: Float32Array, prevOff: number, act: Float32Array, actOff: number,
  dh: Float32Array, dc: Float32Array, dg: Float32Array, dx: Float32Array | null, dxRowOffset: (b: number) => number,
  active: (b: number) => boolean,
): void {
  const h4 = 4 * hidden;
  for (let b = 0; b < batch; b++) {
    const go = b * h4;
    if (!active(b)) {
      dg.fill(0, go, go + h4);
      continue;
    }
    const po = prevOff + b * hidden;
    const ao = actOff + b * 5 * hidden;
    const so = b * hidden;
    const xo = dx === null ? 0 : dxRowOffset(b);
    for (let j = 0; j < hidden; j++) {
      const i = act[ao + j];
      const f = act[ao + hidden + j];
      const g = act[ao + 2 * hidden + j];
      const o = act[ao + 3 * hidden + j];
      const tc = act[ao + 4 * hidden + j];
      const d = dh[so + j];
      const dct = dc[so + j] + d * o * (1 - tc * tc);
      const dai = dct * g * i * (1 - i);
      const daf = dct * cPrev[po + j] * f * (1 - f);
      const dag = dct * i * (1 - g * g);
      const dao = d * tc * o * (1 - o);
      dg[go + j] = dai;
      dg[go + hidden + j] = daf;
      dg[go + 2 * hidden + j] = dag;
      dg[go + 3 * hidden + j] = dao;
      dc[so + j] = dct * f;
      dh[so + j] = 0;
      if (dx !== null) {
        dx[xo + j] += dai;
        dx[xo + hidden + j] += daf;
        dx[xo + 2 * hidden + j] += dag;
        dx[xo + 3 * hidden + j] += dao;
      }
    }
  }
}

function checkState(op: string, state: LstmState): void {
  if (state.h.shape.length !== state.c.shape.length || state.h.shape.some((d, i) => d !== state.c.shape[i])) {
    throw new ShapeError(op, `h and c must have one shape, got ${shapeStr(state.h.shape)}`, state.h.shape, state.c.shape);
  }
}

/**
 * LSTM over a sequence. xProj (B, S, 4H), state0 {h, c} (B, H), wHh (H, 4H), bHh (4H).
 * Returns outputs (B, S, H) (h at each real step, zero at padded steps) and final {h, c} (B, H):
 * each row's state after its last real step. With `reverse`, row b runs from length_b - 1 down to 0.
 */
export function lstmSequence(
  xProj: Tensor, state0: LstmState, wHh: Tensor, bHh: Tensor, opts: SequenceOptions = {},
): { outputs: Tensor; final: LstmState } {
  if (xProj.rank !== 3) throw new ShapeError('lstmSequence', 'xProj must be (B, S, 4H)', xProj.shape, state0.h.shape);
  checkState('lstmSequence', state0);
  const hidden = checkRecurrent('lstmSequence', 4, xProj, state0.h, wHh, bHh);
  const batch = xProj.shape[0] as number;
  const steps = xProj.shape[1] as number;
  const lengths = sequenceLengths('lstmSequence', xProj, opts.lengths);
  const reverse = opts.reverse ?? false;
  const bh = batch * hidden;
  const inputs = [xProj, state0.h, state0.c, wHh, bHh];
  const outputs = output([batch, steps, hidden], inputs);
  const finalH = output([batch, hidden], inputs);
  const finalC = output([batch, hidden], inputs);
  // hs, cs (S+1, B, H): state before step k at k; activations (S, B, 5H).
  const hs = scratch((steps + 1) * bh);
  const cs = scratch((steps + 1) * bh);
  const acts = scratch(steps * 5 * bh);
  const gh = scratch(4 * bh);
  hs.set(state0.h.data);
  cs.set(state0.c.data);
  // The step the row schedule (active, xOff) refers to; the forward and backward loops set it.
  let k = 0;
  const active = (b: number): boolean => k < (lengths[b] as number);
  const xOff = (b: number): number => (b * steps + position(k, lengths[b] as number, reverse)) * 4 * hidden;
  for (k = 0; k < steps; k++) {
    gemm({ m: batch, n: 4 * hidden, k: hidden, a: hs, b: wHh.data, c: gh, aOffset: k * bh, bResident: wHh.requiresGrad });
    lstmForwardStep(hidden, batch, xProj.data, xOff, gh, bHh.data, hs, cs, k * bh, hs, cs, (k + 1) * bh, acts, k * 5 * bh, active);
  }
  const out = outputs.data;
  out.fill(0);
  for (let b = 0; b < batch; b++) {
    const len = lengths[b] as number;
    for (let kk = 0; kk < len; kk++) {
      const o = (kk + 1) * bh + b * hidden;
      out.set(hs.subarray(o, o + hidden), (b * steps + position(kk, len, reverse)) * hidden);
    }
  }
  finalH.data.set(hs.subarray(steps * bh));
  finalC.data.set(cs.subarray(steps * bh));

  onBackward(outputs, () => {
    const gOut = outputs.grad;
    const dh = scratch(bh);
    const dc = scratch(bh);
    if (finalH.grad !== null) dh.set(finalH.grad);
    else dh.fill(0);
    if (finalC.grad !== null) dc.set(finalC.grad);
    else dc.fill(0);
    const dg = scratch(4 * bh);
    const dx = xProj.requiresGrad ? xProj.ensureGrad() : null;
    for (k = steps - 1; k >= 0; k--) {
      if (gOut !== null) {
        for (let b = 0; b < batch; b++) {
          if (!active(b)) continue;
          const o = (b * steps + position(k, lengths[b] as number, reverse)) * hidden;
          for (let j = 0; j < hidden; j++) dh[b * hidden + j] += gOut[o + j];
        }
      }
      lstmBackwardStep(hidden, batch, cs, k * bh, acts, k * 5 * bh, dh, dc, dg, dx, xOff, active);
      recurrentParamBackward(hidden, 4, batch, hs, k * bh, dg, dh, wHh, bHh);
    }
    addInto(state0.h, dh);
    addInto(state0.c, dc);
  });
  return { outputs, final: { h: finalH, c: finalC } };
}

function addInto(t: Tensor, g: Float32Array): void {
  if (!t.requiresGrad) return;
  const d = t.ensureGrad();
  for (let i = 0; i < g.length; i++) d[i] += g[i];
}

/** One LSTM step (decoders): xProj (B, 4H), state {h, c} (B, H), wHh (H, 4H), bHh (4H) -> {h', c'}. */
export function lstmCell(xProj: Tensor, state: LstmState, wHh: Tensor, bHh: Tensor): LstmState {
  if (xProj.rank !== 2) throw new ShapeError('lstmCell', 'xProj must be (B, 4H)', xProj.shape, state.h.shape);
  checkState('lstmCell', state);
  const hidden = checkRecurrent('lstmCell', 4, xProj, state.h, wHh, bHh);
  const batch = state.h.shape[0] as number;
  const bh = batch * hidden;
  const inputs = [xProj, state.h, state.c, wHh, bHh];
  const h = output([batch, hidden], inputs);
  const c = output([batch, hidden], inputs);
  const act = scratch(5 * bh);
  const gh = scratch(4 * bh);
  const all = (): boolean => true;
  const xOff = (b: number): number => b * 4 * hidden;
  gemm({ m: batch, n: 4 * hidden, k: hidden, a: state.h.data, b: wHh.data, c: gh, bResident: wHh.requiresGrad });
  lstmForwardStep(hidden, batch, xProj.data, xOff, gh, bHh.data, state.h.data, state.c.data, 0, h.data, c.data, 0, act, 0, all);
  onBackward(h, () => {
    if (h.grad === null && c.grad === null) return;
    const dh = scratch(bh);
    const dc = scratch(bh);
    if (h.grad !== null) dh.set(h.grad);
    else dh.fill(0);
    if (c.grad !== null) dc.set(c.grad);
    else dc.fill(0);
    const dg = scratch(4 * bh);
    lstmBackwardStep(hidden, batch, state.c.data, 0, act, 0, dh, dc, dg, xProj.requiresGrad ? xProj.ensureGrad() : null, xOff, all);
    recurrentParamBackward(hidden, 4, batch, state.h.data, 0, dg, dh, wHh, bHh);
    addInto(state.h, dh);
    addInto(state.c, dc);
  });
  return { h, c };
}
