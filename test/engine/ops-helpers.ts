/** Shared helpers of the engine op tests: seeded random parameters and a gradcheck assertion. */
import assert from 'node:assert/strict';
import { gradcheck, type GradcheckOptions } from '../../src/engine/gradcheck.js';
import { Rng } from '../../src/engine/random.js';
import { addN, mul, sum } from '../../src/engine/ops.js';
import { Tape, Tensor, withTape } from '../../src/engine/tensor.js';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { installedRowKernels, setRowKernels } from '../../src/engine/row-kernels.js';
import { batchedGemmImpl, setBatchedGemmImpl } from '../../src/engine/batched.js';

/** A parameter of the given shape with values uniform in [lo, hi). */
export function param(rng: Rng, shape: number[], lo = -1, hi = 1): Tensor {
  const t = Tensor.zeros(shape, { requiresGrad: true });
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(lo, hi);
  return t;
}

export function assertGrads(fn: () => Tensor | readonly Tensor[], inputs: Tensor[], opts: GradcheckOptions = {}): void {
  const r = gradcheck(fn, inputs, opts);
  assert.ok(r.ok, r.report);
  assert.ok(r.checked > 0, 'nothing was checked');
}

export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: lengths differ`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const e = expected[i] as number;
    if (a === e) continue;
    assert.ok(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)), `${what}[${i}]: ${a} vs ${e}`);
  }
}

/**
 * Runs fn under a fresh tape, back-propagates L = Σ_k Σ_i w_ki·out_k[i] with fixed seeded weights
 * (built from basic ops: sum and mul), and returns copies of the output values and input gradients.
 */
export function valuesAndGrads(
  fn: () => readonly Tensor[], inputs: readonly Tensor[], seed = 99,
): { values: Float32Array[]; grads: Float32Array[] } {
  for (const t of inputs) t.ensureGrad().fill(0);
  const tape = new Tape();
  const rng = new Rng(seed);
  const outs = withTape(tape, fn);
  const loss = withTape(tape, () =>
    addN(outs.map((o) => sum(mul(o, Tensor.fromArray(Array.from(o.data, () => rng.uniform(-1, 1)), o.shape))))),
  );
  tape.backward(loss);
  const values = outs.map((o) => o.data.slice());
  const grads = inputs.map((t) => Float32Array.from(t.grad ?? []));
  tape.reset();
  return { values, grads };
}

/** Asserts a fused kernel and its basic-op reference agree on values and gradients. */
export function assertSameAsReference(
  fused: () => readonly Tensor[], reference: () => readonly Tensor[], inputs: readonly Tensor[], tol = 1e-5,
): void {
  const f = valuesAndGrads(fused, inputs);
  const r = valuesAndGrads(reference, inputs);
  f.values.forEach((v, k) => assertClose(v, r.values[k] as Float32Array, tol, `output ${k}`));
  f.grads.forEach((g, k) => assertClose(g, r.grads[k] as Float32Array, tol, `gradient of input ${k}`));
}

/**
 * Runs `run` with the TypeScript loops (before initEngine), then on the WebAssembly engine (one
 * thread), and asserts values and gradients agree within `tol`. `install` wraps the engine's kernels
 * after initEngine so the test can count their calls; it returns the number of calls so far, which
 * must be > 0 after the engine run (the kernels really ran).
 */
export async function assertSameOnEngine(
  run: () => readonly Tensor[], inputs: readonly Tensor[], install: () => () => number, tol = 1e-5,
): Promise<void> {
  const ts = valuesAndGrads(run, inputs);
  await initEngine({ threads: 1 });
  try {
    const calls = install();
    const wasm = valuesAndGrads(run, inputs);
    assert.ok(calls() > 0, 'the WebAssembly kernels did not run');
    wasm.values.forEach((x, k) => assertClose(x, ts.values[k] as Float32Array, tol, `output ${k}`));
    wasm.grads.forEach((g, k) => assertClose(g, ts.grads[k] as Float32Array, tol, `gradient of input ${k}`));
  } finally {
    await shutdownEngine();
  }
}

/** Wraps the installed row kernels (row-kernels.ts) to count their calls; returns the counter. */
export function countRowKernels(): () => number {
  const k = installedRowKernels();
  assert.ok(k !== null, 'initEngine installs the row kernels');
  let n = 0;
  setRowKernels({
    maskedSoftmax: (...a) => (n++, k.maskedSoftmax(...a)),
    maskedSoftmaxBackward: (...a) => (n++, k.maskedSoftmaxBackward(...a)),
    layerNorm: (...a) => (n++, k.layerNorm(...a)),
    layerNormBackward: (...a) => (n++, k.layerNormBackward(...a)),
    gelu: (...a) => (n++, k.gelu(...a)),
    geluBackward: (...a) => (n++, k.geluBackward(...a)),
  });
  return () => n;
}

/** Wraps the installed batched GEMM to count its calls; returns the counter. */
export function countBatchedGemm(): () => number {
  const impl = batchedGemmImpl();
  let n = 0;
  setBatchedGemmImpl((args) => {
    n++;
    impl(args);
  });
  return () => n;
}
