// GRU gate arithmetic of one step (src/engine/fused/gru.ts), PyTorch equations, gates joined r|z|n,
// over float buffers the JavaScript side copies into linear memory (src/engine/wasm-recurrent.ts):
//   forward:  r = σ(x_r + gh_r + b_r)   z = σ(x_z + gh_z + b_z)   hn = gh_n + b_n
//             n = tanh(x_n + r ⊙ hn)     h' = (1 - z) ⊙ n + z ⊙ h
//             act = r | z | n | hn (saved for the backward)
//   backward: from dh (dL/dh') and act: dg = dar | daz | dan ⊙ r (the gradient of gh + b),
//             dx = dar | daz | dan (the gradient of x), dh ← dh ⊙ z (the direct part of dL/dh)
// Shapes: x, gh, dg, dx (B, 3H); h, h', dh (B, H); act (B, 4H); b (3H); active (B) i32 flags. Rows
// with active[b] = 0 keep their state (h' = h, act = 0) and get zero gradients (dg = dx = 0, dh kept).
// H must be a multiple of 4 (the JavaScript side checks).

import { expV } from './vec';
import { tanhV } from './attn';

/** σ(v) = 1 / (1 + e^-v) for v >= 0, e^v / (1 + e^v) below, with e = e^-|v| (never overflows). */
@inline function sigmoidV(v: v128): v128 {
  const e = expV(f32x4.neg(f32x4.abs(v)));
  const one = f32x4.splat(1);
  const den = f32x4.add(one, e);
  return v128.bitselect(f32x4.div(one, den), f32x4.div(e, den), f32x4.ge(v, f32x4.splat(0)));
}

export function gruGatesForward(x: usize, gh: usize, bias: usize, h: usize, hNew: usize, act: usize, active: usize, batch: i32, hidden: i32): void {
  const hb = <usize>hidden << 2;
  const one = f32x4.splat(1);
  for (let b = 0; b < batch; b++) {
    const ho = h + <usize>b * hb;
    const no = hNew + <usize>b * hb;
    const ao = act + <usize>b * 4 * hb;
    if (load<i32>(active + (<usize>b << 2)) == 0) {
      memory.copy(no, ho, hb);
      memory.fill(ao, 0, 4 * hb);
      continue;
    }
    const xo = x + <usize>b * 3 * hb;
    const go = gh + <usize>b * 3 * hb;
    for (let j = 0; j < hidden; j += 4) {
      const o = <usize>j << 2;
      const r = sigmoidV(f32x4.add(f32x4.add(v128.load(xo + o), v128.load(go + o)), v128.load(bias + o)));
      const z = sigmoidV(f32x4.add(f32x4.add(v128.load(xo + hb + o), v128.load(go + hb + o)), v128.load(bias + hb + o)));
      const hn = f32x4.add(v128.load(go + 2 * hb + o), v128.load(bias + 2 * hb + o));
      const n = tanhV(f32x4.add(v128.load(xo + 2 * hb + o), f32x4.mul(r, hn)));
      v128.store(ao + o, r);
      v128.store(ao + hb + o, z);
      v128.store(ao + 2 * hb + o, n);
      v128.store(ao + 3 * hb + o, hn);
      v128.store(no + o, f32x4.add(f32x4.mul(f32x4.sub(one, z), n), f32x4.mul(z, v128.load(ho + o))));
    }
  }
}

export function gruGatesBackward(h: usize, act: usize, dh: usize, dg: usize, dx: usize, active: usize, batch: i32, hidden: i32): void {
  const hb = <usize>hidden << 2;
  const one = f32x4.splat(1);
  for (let b = 0; b < batch; b++) {
    const go = dg + <usize>b * 3 * hb;
    const xo = dx + <usize>b * 3 * hb;
    if (load<i32>(active + (<usize>b << 2)) == 0) {
      memory.fill(go, 0, 3 * hb);
      memory.fill(xo, 0, 3 * hb);
      continue;
    }
    const ho = h + <usize>b * hb;
    const ao = act + <usize>b * 4 * hb;
    const dho = dh + <usize>b * hb;
    for (let j = 0; j < hidden; j += 4) {
      const o = <usize>j << 2;
      const r = v128.load(ao + o);
      const z = v128.load(ao + hb + o);
      const n = v128.load(ao + 2 * hb + o);
      const hn = v128.load(ao + 3 * hb + o);
      const d = v128.load(dho + o);
      const dn = f32x4.mul(d, f32x4.sub(one, z));
      const dz = f32x4.mul(d, f32x4.sub(v128.load(ho + o), n));
      const dan = f32x4.mul(dn, f32x4.sub(one, f32x4.mul(n, n)));
      const dar = f32x4.mul(f32x4.mul(f32x4.mul(dan, hn), r), f32x4.sub(one, r));
      const daz = f32x4.mul(f32x4.mul(dz, z), f32x4.sub(one, z));
      v128.store(go + o, dar);
      v128.store(go + hb + o, daz);
      v128.store(go + 2 * hb + o, f32x4.mul(dan, r));
      v128.store(xo + o, dar);
      v128.store(xo + hb + o, daz);
      v128.store(xo + 2 * hb + o, dan);
      v128.store(dho + o, f32x4.mul(d, z));
    }
  }
}
