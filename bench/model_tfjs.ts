/**
 * The reference model of bench/model.ts written with TensorFlow.js ops on the wasm backend: the same
 * equations as attnmt (PyTorch GRU gates, bidirectional encoder 2 x H/2, linear bridge, additive
 * attention, input feeding, tanh combine layer, output layer, summed cross-entropy, Adam). All
 * sentences have the full length, so no masking is needed. Loaded only in its own child process.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BenchSizes, Timings } from './model.js';

/** What bench/model.ts hands over (passed in, not imported: the bench module is still running). */
export interface TfjsSetup {
  sizes: BenchSizes;
  trainSteps: number;
  decodeReps: number;
  b1Sentences: number;
  /** The same sentences attnmt gets: ids in [4, vocab), length - 1 words. */
  sentences: (n: number, seed: number) => number[][];
}

let SIZES: BenchSizes;

type Var = tf.Variable;

interface Params {
  encEmb: Var;
  fwd: GruParams;
  bwd: GruParams;
  bridgeW: Var;
  bridgeB: Var;
  decEmb: Var;
  dec: GruParams;
  feedW: Var;
  wq: Var;
  wk: Var;
  v: Var;
  combW: Var;
  combB: Var;
  outW: Var;
  outB: Var;
}

interface GruParams {
  wih: Var;
  bih: Var;
  whh: Var;
  bhh: Var;
}

function param(shape: number[], scale: number): Var {
  return tf.variable(tf.randomUniform(shape, -scale, scale, 'float32', 1));
}

function gruParams(input: number, hidden: number): GruParams {
  return {
    wih: param([input, 3 * hidden], Math.sqrt(6 / (input + 3 * hidden))),
    bih: tf.variable(tf.zeros([3 * hidden])),
    whh: param([hidden, 3 * hidden], 1 / Math.sqrt(hidden)),
    bhh: tf.variable(tf.zeros([3 * hidden])),
  };
}

function makeParams(): Params {
  const { vocab: v, embedding: e, hidden: h } = SIZES;
  const d = h / 2;
  return {
    encEmb: param([v, e], 0.1),
    fwd: gruParams(e, d),
    bwd: gruParams(e, d),
    bridgeW: param([h, h], Math.sqrt(3 / h)),
    bridgeB: tf.variable(tf.zeros([h])),
    decEmb: param([v, e], 0.1),
    dec: gruParams(e, h),
    feedW: param([h, 3 * h], Math.sqrt(6 / (4 * h))),
    wq: param([h, h], Math.sqrt(3 / h)),
    wk: param([h, h], Math.sqrt(3 / h)),
    v: param([h], 1 / Math.sqrt(h)),
    combW: param([2 * h, h], Math.sqrt(2 / h)),
    combB: tf.variable(tf.zeros([h])),
    outW: param([h, v], Math.sqrt(6 / (h + v))),
    outB: tf.variable(tf.zeros([v])),
  };
}

/** PyTorch GRU step: gx (B, 3D) = x·W_ih + b_ih, h (B, D). */
function gruStep(p: GruParams, gx: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor2D {
  const gh = tf.add(tf.matMul(h, p.whh), p.bhh) as tf.Tensor2D;
  const [xr, xz, xn] = tf.split(gx, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const [hr, hz, hn] = tf.split(gh, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const r = tf.sigmoid(tf.add(xr, hr));
  const z = tf.sigmoid(tf.add(xz, hz));
  const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
  return tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h)) as tf.Tensor2D;
}

/** x (B, S, In) ids embedded -> per-step input projections (S of (B, 3D)). */
function projectAll(emb: tf.Tensor3D, p: GruParams): tf.Tensor2D[] {
  const [b, s, e] = emb.shape;
  const x = tf.add(tf.matMul(tf.reshape(emb, [b * s, e]), p.wih), p.bih);
  return tf.unstack(tf.reshape(x, [b, s, -1]), 1) as tf.Tensor2D[];
}

/** A type alias (not an interface) so tf.tidy accepts it as a TensorContainer. */
type Memory = {
  states: tf.Tensor3D;
  keys: tf.Tensor3D;
  h0: tf.Tensor2D;
};

function encode(p: Params, src: tf.Tensor2D): Memory {
  const [b, s] = src.shape;
  const d = SIZES.hidden / 2;
  const emb = tf.gather(p.encEmb, src) as tf.Tensor3D; // (B, S, E)
  const run = (gp: GruParams, reverse: boolean): { outs: tf.Tensor2D[]; last: tf.Tensor2D } => {
    const xs = projectAll(emb, gp);
    const outs: tf.Tensor2D[] = new Array<tf.Tensor2D>(s);
    let h = tf.zeros([b, d]) as tf.Tensor2D;
    for (let k = 0; k < s; k++) {
      const t = reverse ? s - 1 - k : k;
      h = gruStep(gp, xs[t] as tf.Tensor2D, h);
      outs[t] = h;
    }
    return { outs, last: h };
  };
  const f = run(p.fwd, false);
  const r = run(p.bwd, true);
  const states = tf.concat([tf.stack(f.outs, 1), tf.stack(r.outs, 1)], 2) as tf.Tensor3D; // (B, S, H)
  const h = SIZES.hidden;
  const keys = tf.reshape(tf.matMul(tf.reshape(states, [b * s, h]), p.wk), [b, s, h]) as tf.Tensor3D;
  const h0 = tf.tanh(tf.add(tf.matMul(tf.concat([f.last, r.last], 1), p.bridgeW), p.bridgeB)) as tf.Tensor2D;
  return { states, keys, h0 };
}

/** One decoder step: gx (B, 3H) the embedding projection; returns the new state and attentional vector. */
function decoderStep(p: Params, mem: Memory, gx: tf.Tensor2D, h: tf.Tensor2D, feed: tf.Tensor2D): { h: tf.Tensor2D; att: tf.Tensor2D } {
  const hNew = gruStep(p.dec, tf.add(gx, tf.matMul(feed, p.feedW)) as tf.Tensor2D, h);
  const q = tf.expandDims(tf.matMul(hNew, p.wq), 1); // (B, 1, A)
  const e = tf.sum(tf.mul(tf.tanh(tf.add(mem.keys, q)), p.v), 2); // (B, S)
  const alpha = tf.softmax(e); // (B, S)
  const ctx = tf.squeeze(tf.matMul(tf.expandDims(alpha, 1), mem.states), [1]) as tf.Tensor2D; // (B, H)
  const att = tf.tanh(tf.add(tf.matMul(tf.concat([ctx, hNew], 1), p.combW), p.combB)) as tf.Tensor2D;
  return { h: hNew, att };
}

function loss(p: Params, src: tf.Tensor2D, tgtIn: tf.Tensor2D, tgtOut: tf.Tensor1D): tf.Scalar {
  const mem = encode(p, src);
  const [b, t] = tgtIn.shape;
  const h = SIZES.hidden;
  const xs = projectAll(tf.gather(p.decEmb, tgtIn) as tf.Tensor3D, p.dec);
  let state = mem.h0;
  let feed = tf.zeros([b, h]) as tf.Tensor2D;
  const atts: tf.Tensor2D[] = [];
  for (let k = 0; k < t; k++) {
    const r = decoderStep(p, mem, xs[k] as tf.Tensor2D, state, feed);
    state = r.h;
    feed = r.att;
    atts.push(r.att);
  }
  const logits = tf.add(tf.matMul(tf.reshape(tf.stack(atts, 1), [b * t, h]), p.outW), p.outB);
  const logp = tf.logSoftmax(logits);
  return tf.neg(tf.sum(tf.mul(tf.oneHot(tgtOut, SIZES.vocab), logp))) as tf.Scalar;
}

/** Greedy decoding for `length` forced steps; returns the ids (B, length). */
function greedy(p: Params, src: tf.Tensor2D, length: number): Int32Array[] {
  const b = src.shape[0];
  const mem = tf.tidy(() => encode(p, src));
  const gx0 = (ids: Int32Array): tf.Tensor2D =>
    tf.add(tf.matMul(tf.gather(p.decEmb, tf.tensor1d(ids, 'int32')) as tf.Tensor2D, p.dec.wih), p.dec.bih) as tf.Tensor2D;
  let h = mem.h0;
  let feed = tf.zeros([b, SIZES.hidden]) as tf.Tensor2D;
  let prev: Int32Array = new Int32Array(b).fill(2);
  const out: Int32Array[] = [];
  for (let k = 0; k < length; k++) {
    const r = tf.tidy(() => {
      const s = decoderStep(p, mem, gx0(prev), h, feed);
      const logp = tf.logSoftmax(tf.add(tf.matMul(s.att, p.outW), p.outB));
      return { h: s.h, att: s.att, ids: tf.argMax(logp, 1) };
    });
    tf.dispose([h, feed]);
    h = r.h;
    feed = r.att;
    prev = Int32Array.from(r.ids.dataSync());
    r.ids.dispose();
    out.push(prev);
  }
  tf.dispose([h, feed, mem.states, mem.keys]);
  return out;
}

export async function runTfjs(setup: TfjsSetup): Promise<Timings> {
  SIZES = setup.sizes;
  const require = createRequire(import.meta.url);
  setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  await tf.setBackend('wasm');
  await tf.ready();
  const p = makeParams();
  const { batch: b, length: len } = SIZES;
  const srcs = setup.sentences(b, 1);
  const tgts = setup.sentences(b, 2);
  const src = tf.tensor2d(srcs.map((s) => [...s, 3]), [b, len], 'int32');
  const tgtIn = tf.tensor2d(tgts.map((s) => [2, ...s]), [b, len], 'int32');
  const tgtOut = tf.tensor1d(tgts.flatMap((s) => [...s, 3]), 'int32');
  const opt = tf.train.adam(1e-4);
  const train: number[] = [];
  let trainError: string | undefined;
  try {
    for (let s = 0; s < setup.trainSteps + 2; s++) {
      const t0 = performance.now();
      const cost = opt.minimize(() => loss(p, src, tgtIn, tgtOut), true);
      cost?.dataSync();
      cost?.dispose();
      if (s >= 2) train.push(performance.now() - t0);
    }
  } catch (e) {
    // e.g. the gradient of tf.gather needs UnsortedSegmentSum, which the wasm backend lacks: report it, still time decoding.
    trainError = `training step: ${e instanceof Error ? e.message : String(e)}`;
  }
  const b64: number[] = [];
  for (let r = 0; r < setup.decodeReps + 1; r++) {
    const t0 = performance.now();
    greedy(p, src, len);
    if (r > 0) b64.push(performance.now() - t0);
  }
  const b1: number[] = [];
  for (let i = 0; i < setup.b1Sentences + 1; i++) {
    const one = tf.tensor2d([[...(srcs[i % b] as number[]), 3]], [1, len], 'int32');
    const t0 = performance.now();
    greedy(p, one, len);
    if (i > 0) b1.push(performance.now() - t0);
    one.dispose();
  }
  return { train, b64, b1, ...(trainError === undefined ? {} : { error: trainError }) };
}
