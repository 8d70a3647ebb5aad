/**
 * Transformer kernel benchmark, at the reference model's attention shapes (batch 64, 4 heads, dHead 64,
 * 15 source and target positions, dModel 256, ffn 1024):
 *
 *  - the batched GEMM (one call for all B x H heads, each operand copied into WebAssembly memory once)
 *    against B x H separate `gemm()` calls on the same strided operands (what attention costs without
 *    it), for the forward products Q·Kᵀ and P·V and the backward ones (dS·K, dSᵀ·Q, dC·Vᵀ, Pᵀ·dC);
 *  - the row kernels (masked scaled softmax, layer norm, GELU; forward and backward) in WebAssembly
 *    SIMD against their TypeScript loops.
 *
 * Each number is the median of 9 samples (each sample repeats the call for at least 20 ms), on one
 * thread and on two (the engine picks the pool per shape by timing it).
 *
 *   npm run bench:kernels            readable table
 *   npm run bench:kernels -- --json  one JSON object per line: {"kernel":..,"impl":..,"threads":..,"us":..}
 *   npm run bench:kernels -- --int8  only the int8 rows below
 *
 * And the int8 GEMM (int8 decoding, src/engine/int8.ts) against the float32 GEMM at the reference RNN's
 * decoding shapes (M x N x K: the output layer 5000 x 256, a GRU projection 768 x 256, the combine layer
 * 256 x 512, at batch 1 and 64), both through `gemm()` with the weight kept in WebAssembly memory (as in
 * decoding), on one thread and on two (impl "int8" or "float32"; the engine picks the pool per shape).
 */
import { gemmBatched, type BatchedGemmArgs } from '../src/engine/batched.js';
import { initEngine, shutdownEngine } from '../src/engine/engine.js';
import { gemm, markResident } from '../src/engine/gemm.js';
import { dequantizeMatrix, quantizeMatrix, registerInt8 } from '../src/engine/int8.js';
import { gelu, layerNorm, maskedSoftmax } from '../src/engine/ops.js';
import { Rng } from '../src/engine/random.js';
import { Tape, Tensor, withTape } from '../src/engine/tensor.js';

const B = 64;
const H = 4;
const T = 15;
const DH = 64;
const D = H * DH;
const FFN = 1024;
const SAMPLES = 9;
const SAMPLE_MS = 20;

interface Row {
  kernel: string;
  impl: string;
  threads: number;
  us: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

/** Median microseconds per call. */
function time(op: () => void): number {
  op();
  const t0 = performance.now();
  op();
  const reps = Math.max(1, Math.ceil(SAMPLE_MS / Math.max(performance.now() - t0, 1e-3)));
  const samples: number[] = [];
  for (let s = 0; s < SAMPLES; s++) {
    const start = performance.now();
    for (let r = 0; r < reps; r++) op();
    samples.push(((performance.now() - start) * 1000) / reps);
  }
  return median(samples);
}

function random(n: number, seed: number): Float32Array {
  return new Rng(seed).uniformArray(n);
}

/** The attention products: name and batched arguments (outer B, inner H) over (B, T, D) / (B, H, T, S) buffers. */
function products(): Array<[string, BatchedGemmArgs]> {
  const q = random(B * T * D, 1);
  const k = random(B * T * D, 2);
  const p = random(B * H * T * T, 3);
  const heads = { lda: D, aStride: [T * D, DH] as const };
  const headsB = { ldb: D, bStride: [T * D, DH] as const };
  const headsC = { ldc: D, cStride: [T * D, DH] as const };
  const scoresA = { aStride: [H * T * T, T * T] as const };
  const scoresC = { cStride: [H * T * T, T * T] as const };
  const out = new Float32Array(B * H * T * T);
  const ctx = new Float32Array(B * T * D);
  const base = { outer: B, inner: H };
  return [
    ['Q·Kᵀ (NT)', { ...base, m: T, n: T, k: DH, transB: true, a: q, b: k, c: out, ...heads, ...headsB, ...scoresC }],
    ['P·V (NN)', { ...base, m: T, n: DH, k: T, a: p, b: k, c: ctx, ...scoresA, ...headsB, ...headsC }],
    ['dSᵀ·Q (TN)', { ...base, m: T, n: DH, k: T, transA: true, a: p, lda: T, aStride: scoresA.aStride, b: q, ...headsB, c: ctx, ...headsC }],
    ['dC·Vᵀ (NT)', { ...base, m: T, n: T, k: DH, transB: true, a: ctx, b: k, c: out, ...heads, ...headsB, ...scoresC }],
  ];
}

function perHead(args: BatchedGemmArgs): void {
  for (let o = 0; o < args.outer; o++) {
    for (let h = 0; h < args.inner; h++) {
      gemm({
        m: args.m, n: args.n, k: args.k, transA: args.transA, transB: args.transB, a: args.a, b: args.b, c: args.c,
        lda: args.lda, ldb: args.ldb, ldc: args.ldc,
        aOffset: o * args.aStride[0] + h * args.aStride[1], bOffset: o * args.bStride[0] + h * args.bStride[1], cOffset: o * args.cStride[0] + h * args.cStride[1],
      });
    }
  }
}

/** Forward and backward of the row-kernel ops (the backward seeded with 1 for every output element). */
function rowKernels(): Array<[string, () => void]> {
  const rng = new Rng(5);
  const param = (shape: number[]): Tensor =>
    Tensor.fromArray(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.uniform(-1, 1)), shape, { requiresGrad: true });
  const scores = param([B, H, T, T]);
  const lengths = Int32Array.from({ length: B }, (_, i) => 5 + (i % 11));
  const x = param([B * T, D]);
  const gamma = param([D]);
  const beta = param([D]);
  const hidden = param([B * T, FFN]);
  const tape = new Tape();
  const run = (make: () => Tensor) => () => {
    tape.reset();
    tape.backward(withTape(tape, make));
  };
  return [
    ['masked softmax fwd+bwd (B,H,T,S)', run(() => maskedSoftmax(scores, { lengths, scale: 0.125 }))],
    ['causal softmax fwd+bwd (B,H,T,T)', run(() => maskedSoftmax(scores, { causal: true, scale: 0.125 }))],
    ['layer norm fwd+bwd (B·T, 256)', run(() => layerNorm(x, gamma, beta))],
    ['gelu fwd+bwd (B·T, 1024)', run(() => gelu(hidden))],
  ];
}

/** The RNN's decoding products (M, N, K), their names and a call each of the int8 and the float32 GEMM. */
function int8Products(): Array<[string, () => void, () => void]> {
  const out: Array<[string, () => void, () => void]> = [];
  let seed = 20;
  for (const [n, k] of [[5000, 256], [768, 256], [256, 512]] as const) {
    const float = random(k * n, seed++).map((x) => x * 0.1);
    const q = quantizeMatrix(float, [k, n], 1);
    const int8 = dequantizeMatrix(q);
    registerInt8(int8, q);
    markResident(float);
    for (const m of [1, B]) {
      const a = random(m * k, seed++);
      const c = new Float32Array(m * n);
      out.push([`${m}x${n}x${k}`, () => gemm({ m, n, k, a, b: int8, c }), () => gemm({ m, n, k, a, b: float, c })]);
    }
  }
  return out;
}

function tableLine(r: Row): string {
  return `${r.kernel.padEnd(36)} ${r.impl.padEnd(16)} ${String(r.threads).padStart(7)} ${r.us.toFixed(1).padStart(10)}`;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const rows: Row[] = [];
  const emit = (r: Row): void => {
    rows.push(r);
    if (json) process.stdout.write(`${JSON.stringify(r)}\n`);
  };
  const int8 = int8Products();
  for (const threads of [1, 2]) {
    await initEngine({ threads });
    for (const [name, viaInt8, viaFloat] of int8) {
      emit({ kernel: `int8 decoding ${name}`, impl: 'int8', threads, us: time(viaInt8) });
      emit({ kernel: `int8 decoding ${name}`, impl: 'float32', threads, us: time(viaFloat) });
    }
    await shutdownEngine();
  }
  const int8Lines = (): string[] =>
    int8.flatMap(([name]) =>
      [1, 2].map((threads) => {
        const find = (impl: string): number | undefined => rows.find((r) => r.kernel === `int8 decoding ${name}` && r.impl === impl && r.threads === threads)?.us;
        const [a, b] = [find('int8'), find('float32')];
        return a !== undefined && b !== undefined ? `  int8 decoding ${name}, ${threads} thread(s): int8 ${(b / a).toFixed(2)}x the float32 speed` : '';
      }),
    );
  if (process.argv.includes('--int8')) {
    if (!json) process.stdout.write(`${[...rows.map(tableLine), '', ...int8Lines()].join('\n')}\n`);
    return;
  }
  for (const [name, op] of rowKernels()) emit({ kernel: name, impl: 'typescript', threads: 1, us: time(op) });
  for (const threads of [1, 2]) {
    await initEngine({ threads });
    for (const [name, args] of products()) {
      emit({ kernel: name, impl: 'batched', threads, us: time(() => gemmBatched(args)) });
      emit({ kernel: name, impl: 'per-head gemm()', threads, us: time(() => perHead(args)) });
    }
    if (threads === 1) for (const [name, op] of rowKernels()) emit({ kernel: name, impl: 'wasm-simd', threads, us: time(op) });
    await shutdownEngine();
  }
  if (json) return;
  const lines = [`attention shapes: B ${B}, heads ${H}, T = S = ${T}, dHead ${DH}; microseconds per call (median of ${SAMPLES})`, ''];
  lines.push(`${'kernel'.padEnd(36)} ${'impl'.padEnd(16)} threads ${'us'.padStart(10)}`);
  lines.push(...rows.map(tableLine));
  lines.push('', 'speed-ups:');
  const us = (k: string, impl: string, threads: number): number | undefined => rows.find((r) => r.kernel === k && r.impl === impl && r.threads === threads)?.us;
  for (const [name] of products()) {
    for (const threads of [1, 2]) {
      const a = us(name, 'batched', threads);
      const b = us(name, 'per-head gemm()', threads);
      if (a !== undefined && b !== undefined) lines.push(`  ${name}, ${threads} thread(s): batched ${(b / a).toFixed(1)}x faster than per-head calls`);
    }
  }
  for (const [name] of rowKernels()) {
    const a = us(name, 'wasm-simd', 1);
    const b = us(name, 'typescript', 1);
    if (a !== undefined && b !== undefined) lines.push(`  ${name}: wasm ${(b / a).toFixed(1)}x faster than TypeScript`);
  }
  lines.push(...int8Lines());
  process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
