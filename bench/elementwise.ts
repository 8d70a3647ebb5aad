/**
 * The memory-bound passes of a Transformer training step around the GEMM, before and after issue 13's
 * changes, at the Multi30k Transformer's shapes (about 3000 tokens per batch: N = 3000 rows of dModel
 * 256 or ffn 1024): dropout (p 0.2), relu's backward, `linear` with its bias, the bias gradient's row
 * sums, the residual add with its dropped-out sublayer output (old: add + dropout; new: addDropout) and
 * the residual add alone. The previous code is copied here verbatim ("old"); old and new are timed
 * alternately in this process (each sample repeats the call for at least 20 ms), medians of 11 samples,
 * in wall time and in CPU time of the process (steadier on a machine shared with other work).
 *
 *   node dist/bench/elementwise.js             one WebAssembly thread
 *   node dist/bench/elementwise.js --threads 2 the engine's pool of two (the GEMM rows)
 */
import { initEngine, shutdownEngine } from '../src/engine/engine.js';
import { gemm } from '../src/engine/gemm.js';
import { add, addDropout, dropout, linear, relu } from '../src/engine/ops.js';
import { addRowSums as addRowSumsNow } from '../src/engine/ops/linalg.js';
import { scratch } from '../src/engine/ops/util.js';
import { Rng } from '../src/engine/random.js';
import { onBackward, output, Tape, Tensor, withTape } from '../src/engine/tensor.js';

const N = 3000;
const D = 256;
const F = 1024;
const SAMPLES = 11;
const SAMPLE_MS = 20;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function reps(op: () => void): number {
  op();
  const t0 = performance.now();
  op();
  return Math.max(1, Math.ceil(SAMPLE_MS / Math.max(performance.now() - t0, 1e-3)));
}

/** CPU microseconds of this process (all threads) so far. */
function cpuUs(): number {
  const c = process.cpuUsage();
  return c.user + c.system;
}

/** Median microseconds per call of a and b, sampled alternately: [wall a, wall b, CPU a, CPU b]. */
function ab(a: () => void, b: () => void): [number, number, number, number] {
  const ra = reps(a);
  const rb = reps(b);
  const s: number[][] = [[], [], [], []];
  const sample = (f: () => void, n: number, wall: number[], cpu: number[]): void => {
    const t = performance.now();
    const c = cpuUs();
    for (let r = 0; r < n; r++) f();
    wall.push(((performance.now() - t) * 1000) / n);
    cpu.push((cpuUs() - c) / n);
  };
  for (let i = 0; i < SAMPLES; i++) {
    sample(a, ra, s[0] as number[], s[2] as number[]);
    sample(b, rb, s[1] as number[], s[3] as number[]);
  }
  return s.map(median) as [number, number, number, number];
}

// ---- the previous code (verbatim but for names) ------------------------------------------------------

function oldDropout(x: Tensor, p: number, rng: Rng, training: boolean): Tensor {
  if (!training || p === 0) return x;
  const out = output(x.shape, [x]);
  const y = out.data;
  const mask = scratch(x.size);
  const keep = 1 / (1 - p);
  rng.dropoutMask(mask, y.length, p, keep);
  const xs = x.data;
  for (let i = 0; i < y.length; i++) y[i] = (xs[i] as number) * (mask[i] as number);
  onBackward(out, () => {
    const g = out.grad;
    if (g === null || !x.requiresGrad) return;
    const dx = x.ensureGrad();
    for (let i = 0; i < g.length; i++) dx[i] += g[i] * mask[i];
  });
  return out;
}

function bits(f: Float32Array): Int32Array {
  return new Int32Array(f.buffer, f.byteOffset, f.length);
}

function oldRelu(x: Tensor): Tensor {
  const out = output(x.shape, [x]);
  const y = out.data;
  const xi = bits(x.data);
  const yi = bits(y);
  for (let i = 0; i < yi.length; i++) {
    const v = xi[i] as number;
    yi[i] = v & ~(v >> 31);
  }
  onBackward(out, () => {
    const g = out.grad;
    if (g === null || !x.requiresGrad) return;
    const { grad: dx, fresh } = x.gradTarget();
    if (fresh) {
      const gi = bits(g);
      const di = bits(dx);
      for (let i = 0; i < di.length; i++) di[i] = (gi[i] as number) & (-(yi[i] as number) >> 31);
    } else {
      for (let i = 0; i < g.length; i++) if ((yi[i] as number) > 0) dx[i] += g[i] as number;
    }
  });
  return out;
}

function oldLinearForward(x: Tensor, w: Tensor, b: Tensor): Float32Array {
  const rows = x.size / (w.shape[0] as number);
  const outDim = w.shape[1] as number;
  const y = scratch(rows * outDim);
  for (let r = 0; r < rows; r++) y.set(b.data, r * outDim);
  gemm({ m: rows, n: outDim, k: w.shape[0] as number, a: x.data, b: w.data, c: y, beta: 1, bResident: w.requiresGrad });
  return y;
}

function oldAddRowSums(g: Float32Array, rows: number, n: number, db: Float32Array): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const o = r * n;
    for (let j = 0; j < n; j++) db[j] += (g[o + j] as number) + (g[o + n + j] as number) + (g[o + 2 * n + j] as number) + (g[o + 3 * n + j] as number);
  }
  for (; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) db[j] += g[o + j] as number;
  }
}

function oldAddInto(t: Tensor, g: Float32Array, sign: number): void {
  const { grad, fresh } = t.gradTarget();
  if (fresh && sign === 1) grad.set(g);
  else if (fresh) for (let i = 0; i < g.length; i++) grad[i] = sign * (g[i] as number);
  else for (let i = 0; i < g.length; i++) grad[i] += sign * (g[i] as number);
}

/** The old `add` of two tensors of one shape. */
function oldAdd(a: Tensor, b: Tensor): Tensor {
  const out = output(a.shape, [a, b]);
  const y = out.data;
  const x = a.data;
  const z = b.data;
  for (let i = 0; i < y.length; i++) y[i] = x[i] + z[i];
  onBackward(out, () => {
    const g = out.grad;
    if (g === null) return;
    if (a.requiresGrad) oldAddInto(a, g, 1);
    if (b.requiresGrad) oldAddInto(b, g, 1);
  });
  return out;
}

// ---- the rows ---------------------------------------------------------------------------------------

function param(shape: number[], seed: number): Tensor {
  return new Tensor(new Rng(seed).uniformArray(shape.reduce((a, b) => a * b, 1)), shape, { requiresGrad: true });
}

/** An op's input made on the tape (its gradient is then fresh in the backward, as inside a model). */
function onTape(tape: Tape, src: Tensor): Tensor {
  const t = tape.tensor(src.shape, true);
  t.data.set(src.data);
  return t;
}

function fwd(tape: Tape, make: () => Tensor): () => void {
  return () => {
    tape.reset();
    withTape(tape, make);
  };
}

function fwdBwd(tape: Tape, make: () => Tensor): () => void {
  return () => {
    tape.reset();
    tape.backward(withTape(tape, make));
  };
}

interface Case {
  name: string;
  old: () => void;
  now: () => void;
}

function cases(): Case[] {
  const tape = new Tape();
  const h = param([N, D], 1);
  const hf = param([N, F], 2);
  const w1 = param([D, F], 3);
  const b1 = param([F], 4);
  const w2 = param([F, D], 5);
  const b2 = param([D], 6);
  const r1 = new Rng(7);
  const r2 = new Rng(7);
  const g = param([N, F], 8).data;
  const db = new Float32Array(F);
  const rowSums = (f: typeof oldAddRowSums, n: number) => () => f(g, N, n, db);
  return [
    { name: 'dropout fwd (3000x256)', old: fwd(tape, () => oldDropout(h, 0.2, r1, true)), now: fwd(tape, () => dropout(h, 0.2, r2, true)) },
    {
      name: 'dropout fwd+bwd, fresh dx (3000x256)',
      old: fwdBwd(tape, () => oldDropout(onTape(tape, h), 0.2, r1, true)),
      now: fwdBwd(tape, () => dropout(onTape(tape, h), 0.2, r2, true)),
    },
    { name: 'dropout fwd+bwd, dx += (3000x256)', old: fwdBwd(tape, () => oldDropout(h, 0.2, r1, true)), now: fwdBwd(tape, () => dropout(h, 0.2, r2, true)) },
    { name: 'relu fwd+bwd, dx += (3000x1024)', old: fwdBwd(tape, () => oldRelu(hf)), now: fwdBwd(tape, () => relu(hf)) },
    {
      name: 'linear + bias fwd (3000x256 -> 1024)',
      old: () => {
        tape.reset();
        withTape(tape, () => oldLinearForward(h, w1, b1));
      },
      now: fwd(tape, () => linear(h, w1, b1)),
    },
    {
      name: 'linear + bias fwd (3000x1024 -> 256)',
      old: () => {
        tape.reset();
        withTape(tape, () => oldLinearForward(hf, w2, b2));
      },
      now: fwd(tape, () => linear(hf, w2, b2)),
    },
    { name: 'bias grad row sums (3000x256)', old: rowSums(oldAddRowSums, D), now: rowSums(addRowSumsNow, D) },
    { name: 'bias grad row sums (3000x1024)', old: rowSums(oldAddRowSums, F), now: rowSums(addRowSumsNow, F) },
    {
      name: 'x + dropout(y) fwd+bwd (3000x256)',
      old: fwdBwd(tape, () => oldAdd(onTape(tape, h), oldDropout(onTape(tape, h), 0.2, r1, true))),
      now: fwdBwd(tape, () => addDropout(onTape(tape, h), onTape(tape, h), 0.2, r2, true)),
    },
    { name: 'residual add fwd+bwd (3000x256)', old: fwdBwd(tape, () => oldAdd(onTape(tape, h), onTape(tape, h))), now: fwdBwd(tape, () => add(onTape(tape, h), onTape(tape, h))) },
  ];
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--threads');
  const threads = at >= 0 ? Number(process.argv[at + 1]) : 1;
  await initEngine({ threads });
  const lines = [`N ${N}, dModel ${D}, ffn ${F}, ${threads} thread(s); microseconds per call, medians of ${SAMPLES} alternating samples`, ''];
  lines.push(`${'pass'.padEnd(40)} ${'old us'.padStart(9)} ${'new us'.padStart(9)}  speed-up ${'old cpu'.padStart(9)} ${'new cpu'.padStart(9)}  speed-up`);
  for (const c of cases()) {
    const [o, n, oc, nc] = ab(c.old, c.now);
    const cell = (x: number): string => x.toFixed(0).padStart(9);
    lines.push(`${c.name.padEnd(40)} ${cell(o)} ${cell(n)}  ${(o / n).toFixed(2).padStart(7)}x ${cell(oc)} ${cell(nc)}  ${(oc / nc).toFixed(2).padStart(7)}x`);
    process.stdout.write(`${lines.splice(0).join('\n')}\n`);
  }
  await shutdownEngine();
}

await main();
