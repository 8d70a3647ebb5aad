/**
 * Finite-difference gradient checking for tests.
 *
 * The function under test returns one or more tensors; the checker reduces them to a scalar
 * L = Σ w·out with fixed random weights w (so every output element matters), computes dL/dinput
 * by the tape, and compares with float64 central differences (L(x+h) - L(x-h)) / (2h) computed
 * from the float32 forward values. Output elements that are not finite (e.g. -Infinity of a masked
 * log-softmax) get weight 0.
 */
import { Rng } from './random.js';
import { onBackward, output, Tape, Tensor, withTape } from './tensor.js';

export interface GradcheckOptions {
  /** Perturbation h. Default 1e-2 (forward values are float32). */
  eps?: number;
  /** Relative tolerance. Default 1e-2. */
  rtol?: number;
  /** Absolute tolerance. Default 1e-3. */
  atol?: number;
  /** Seed of the projection weights. Default 1. */
  seed?: number;
  /** Check at most this many elements per input (spread evenly). Default all. */
  maxPerInput?: number;
}

export interface GradcheckMismatch {
  input: number;
  index: number;
  analytic: number;
  numeric: number;
}

export interface GradcheckResult {
  /** True when every checked element satisfies |a - n| <= atol + rtol·max(|a|, |n|). */
  ok: boolean;
  /** Largest |a - n| / max(|a|, |n|) over elements where max(|a|, |n|) > atol. */
  maxRelError: number;
  /** Largest |a - n|. */
  maxAbsError: number;
  /** Number of elements checked. */
  checked: number;
  /** The worst element, by (|a - n|) / (atol + rtol·max(|a|, |n|)). */
  worst: GradcheckMismatch | null;
  /** Readable summary for assertion messages. */
  report: string;
}

type Fn = () => Tensor | readonly Tensor[];

function asList(r: Tensor | readonly Tensor[]): readonly Tensor[] {
  return r instanceof Tensor ? [r] : r;
}

/**
 * Checks the gradients of `fn` with respect to `inputs` (tensors made outside any tape with
 * requiresGrad: true; `fn` must read them from its closure). Their grads are overwritten.
 */
export function gradcheck(fn: Fn, inputs: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const eps = opts.eps ?? 1e-2;
  const rtol = opts.rtol ?? 1e-2;
  const atol = opts.atol ?? 1e-3;
  const rng = new Rng(opts.seed ?? 1);

  for (const t of inputs) {
    if (!t.requiresGrad) throw new Error(`gradcheck: input ${t.name || '(unnamed)'} does not require a gradient`);
    t.ensureGrad().fill(0);
  }

  const tape = new Tape();
  const outs = withTape(tape, () => asList(fn()));
  const weights = outs.map((o) => {
    const w = new Float64Array(o.size);
    for (let i = 0; i < w.length; i++) w[i] = Number.isFinite(o.data[i]) ? rng.uniform(-1, 1) : 0;
    return w;
  });
  const loss = withTape(tape, () => {
    const l = output([], outs);
    l.data[0] = project(outs, weights);
    onBackward(l, () => {
      const g = l.grad;
      if (g === null) return;
      outs.forEach((o, k) => {
        if (!o.requiresGrad) return;
        const go = o.ensureGrad();
        const w = weights[k] as Float64Array;
        for (let i = 0; i < go.length; i++) go[i] += g[0] * w[i];
      });
    });
    return l;
  });
  if (loss.requiresGrad) tape.backward(loss);
  const analytic = inputs.map((t) => Float64Array.from(t.ensureGrad()));
  tape.reset();

  const evaluate = (): number => project(asList(fn()), weights);
  let maxRel = 0;
  let maxAbs = 0;
  let worstScore = -1;
  let worst: GradcheckMismatch | null = null;
  let checked = 0;
  let ok = true;
  inputs.forEach((t, k) => {
    const n = t.size;
    const count = Math.min(n, opts.maxPerInput ?? n);
    for (let c = 0; c < count; c++) {
      const i = count === n ? c : Math.floor((c * n) / count);
      const orig = t.data[i] as number;
      t.data[i] = orig + eps;
      const up = t.data[i] as number;
      const lp = evaluate();
      t.data[i] = orig - eps;
      const down = t.data[i] as number;
      const lm = evaluate();
      t.data[i] = orig;
      const numeric = (lp - lm) / (up - down);
      const a = (analytic[k] as Float64Array)[i] as number;
      const diff = Math.abs(a - numeric);
      const mag = Math.max(Math.abs(a), Math.abs(numeric));
      const score = diff / (atol + rtol * mag);
      if (!(score <= 1)) ok = false;
      if (diff > maxAbs) maxAbs = diff;
      if (mag > atol && diff / mag > maxRel) maxRel = diff / mag;
      if (!(score <= worstScore)) {
        worstScore = score;
        worst = { input: k, index: i, analytic: a, numeric };
      }
      checked++;
    }
  });
  const w = worst as GradcheckMismatch | null;
  const report =
    `gradcheck ${ok ? 'ok' : 'FAILED'}: ${checked} elements, max rel ${maxRel.toExponential(2)}, max abs ${maxAbs.toExponential(2)}` +
    (w === null ? '' : `; worst input ${w.input}[${w.index}] analytic ${w.analytic} numeric ${w.numeric}`);
  return { ok, maxRelError: maxRel, maxAbsError: maxAbs, checked, worst: w, report };
}

function project(outs: readonly Tensor[], weights: readonly Float64Array[]): number {
  let s = 0;
  outs.forEach((o, k) => {
    const w = weights[k] as Float64Array;
    for (let i = 0; i < w.length; i++) if (w[i] !== 0) s += w[i] * (o.data[i] as number);
  });
  return s;
}
