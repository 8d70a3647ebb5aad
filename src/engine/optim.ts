/**
 * Optimizers over named parameters (the model's `parameters()` map) and gradient clipping.
 * Each optimizer's state (step count and per-parameter buffers, named '<buffer>.<parameter>')
 * can be saved in a checkpoint and loaded back so a resumed run takes the same next steps.
 */
import { parametersChanged } from './gemm.js';
import type { Tensor } from './tensor.js';

export interface OptimizerState {
  step: number;
  /** Copies of the optimizer buffers: 'm.<name>', 'v.<name>' (Adam), 'momentum.<name>' (SGD). */
  tensors: Map<string, Float32Array>;
}

export interface AdamOptions {
  lr: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  eps?: number;
  /** L2 penalty added to the gradient (PyTorch Adam's weight_decay). Default 0. */
  weightDecay?: number;
}

/** Copies buffers out as 'prefix.name'. */
function saveBuffers(prefix: string, buffers: Map<string, Float32Array>, into: Map<string, Float32Array>): void {
  for (const [name, buf] of buffers) into.set(`${prefix}.${name}`, buf.slice());
}

/** Loads 'prefix.name' for every buffer, checking presence and size. */
function loadBuffers(op: string, prefix: string, buffers: Map<string, Float32Array>, from: Map<string, Float32Array>): void {
  for (const [name, buf] of buffers) {
    const key = `${prefix}.${name}`;
    const src = from.get(key);
    if (src === undefined) throw new Error(`${op}.loadState: missing optimizer tensor '${key}'`);
    if (src.length !== buf.length) {
      throw new Error(`${op}.loadState: optimizer tensor '${key}' has ${src.length} elements, parameter has ${buf.length}`);
    }
  }
  for (const [name, buf] of buffers) buf.set(from.get(`${prefix}.${name}`) as Float32Array);
}

function checkStep(op: string, step: number): void {
  if (!(Number.isInteger(step) && step >= 0)) throw new Error(`${op}.loadState: step must be a whole number >= 0, got ${step}`);
}

function zeroGrads(params: Map<string, Tensor>): void {
  for (const p of params.values()) p.zeroGrad();
}

/** The per-step constants of Adam's update (see `Adam.step`). */
export interface AdamConstants {
  b1: number;
  b2: number;
  g1: number;
  g2: number;
  stepSize: number;
  invC2: number;
  eps: number;
  wd: number;
}

/**
 * The engine's Adam update of one parameter (asm/adam.ts via wasm-optim.ts), installed by `initEngine`:
 * the same bits as the loop in `Adam.step` (f64 arithmetic in the same order). Returns false (nothing
 * written) when it cannot run, and the loop does the work.
 */
export type AdamKernel = (w: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, c: AdamConstants) => boolean;

let adamKernel: AdamKernel | null = null;

/** Installs (or with null removes) the engine's Adam kernel. */
export function setAdamKernel(next: AdamKernel | null): void {
  adamKernel = next;
}

/** The installed Adam kernel (null: the TypeScript loop). */
export function currentAdamKernel(): AdamKernel | null {
  return adamKernel;
}

/** Parameters of fewer elements are updated by the TypeScript loop (a kernel call's copies cost more). */
export const ADAM_KERNEL_MIN = 4096;

/**
 * Adam (Kingma and Ba 2015) with bias correction:
 *   m = β1 m + (1-β1) g,  v = β2 v + (1-β2) g²,  p -= lr · (m / (1-β1^t)) / (sqrt(v / (1-β2^t)) + ε)
 * Parameters without a gradient buffer are skipped.
 */
export class Adam {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private t = 0;
  private readonly params: Map<string, Tensor>;
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();

  constructor(params: Map<string, Tensor>, opts: AdamOptions) {
    this.params = params;
    this.lr = opts.lr;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0;
    if (!(this.lr >= 0)) throw new RangeError(`Adam: lr must be >= 0, got ${this.lr}`);
    if (!(this.beta1 >= 0 && this.beta1 < 1 && this.beta2 >= 0 && this.beta2 < 1)) {
      throw new RangeError(`Adam: betas must be in [0, 1), got ${this.beta1}, ${this.beta2}`);
    }
    for (const [name, p] of params) {
      this.m.set(name, new Float32Array(p.size));
      this.v.set(name, new Float32Array(p.size));
    }
  }

  step(): void {
    this.t++;
    const b1 = this.beta1;
    const b2 = this.beta2;
    const c1 = 1 - Math.pow(b1, this.t);
    const c2 = 1 - Math.pow(b2, this.t);
    const stepSize = this.lr / c1;
    const invC2 = 1 / c2;
    const g1 = 1 - b1;
    const g2 = 1 - b2;
    const eps = this.eps;
    const wd = this.weightDecay;
    const consts: AdamConstants = { b1, b2, g1, g2, stepSize, invC2, eps, wd };
    for (const [name, p] of this.params) {
      const g = p.grad;
      if (g === null) continue;
      const m = this.m.get(name) as Float32Array;
      const v = this.v.get(name) as Float32Array;
      const w = p.data;
      if (w.length >= ADAM_KERNEL_MIN && adamKernel?.(w, g, m, v, consts)) continue;
      for (let i = 0; i < w.length; i++) {
        const wi = w[i];
        const gi = g[i] + wd * wi;
        const mi = b1 * m[i] + g1 * gi;
        const vi = b2 * v[i] + g2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] = wi - (stepSize * mi) / (Math.sqrt(vi * invC2) + eps);
      }
    }
    parametersChanged();
  }

  zeroGrad(): void {
    zeroGrads(this.params);
  }

  state(): OptimizerState {
    const tensors = new Map<string, Float32Array>();
    saveBuffers('m', this.m, tensors);
    saveBuffers('v', this.v, tensors);
    return { step: this.t, tensors };
  }

  loadState(s: OptimizerState): void {
    checkStep('Adam', s.step);
    loadBuffers('Adam', 'm', this.m, s.tensors);
    loadBuffers('Adam', 'v', this.v, s.tensors);
    this.t = s.step;
  }
}

export interface SgdOptions {
  lr: number;
  /** Heavy-ball momentum (PyTorch form: buf = μ buf + g; p -= lr buf). Default 0. */
  momentum?: number;
  /** L2 penalty added to the gradient. Default 0. */
  weightDecay?: number;
}

/** Stochastic gradient descent with optional momentum. Parameters without a gradient buffer are skipped. */
export class SGD {
  lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  private t = 0;
  private readonly params: Map<string, Tensor>;
  private readonly buf = new Map<string, Float32Array>();

  constructor(params: Map<string, Tensor>, opts: SgdOptions) {
    this.params = params;
    this.lr = opts.lr;
    this.momentum = opts.momentum ?? 0;
    this.weightDecay = opts.weightDecay ?? 0;
    if (!(this.lr >= 0)) throw new RangeError(`SGD: lr must be >= 0, got ${this.lr}`);
    if (!(this.momentum >= 0 && this.momentum < 1)) throw new RangeError(`SGD: momentum must be in [0, 1), got ${this.momentum}`);
    if (this.momentum > 0) for (const [name, p] of params) this.buf.set(name, new Float32Array(p.size));
  }

  step(): void {
    this.t++;
    const mu = this.momentum;
    const wd = this.weightDecay;
    for (const [name, p] of this.params) {
      const g = p.grad;
      if (g === null) continue;
      const w = p.data;
      const b = this.buf.get(name);
      if (b === undefined) {
        for (let i = 0; i < w.length; i++) w[i] -= this.lr * (g[i] + wd * w[i]);
        continue;
      }
      for (let i = 0; i < w.length; i++) {
        b[i] = mu * b[i] + g[i] + wd * w[i];
        w[i] -= this.lr * b[i];
      }
    }
    parametersChanged();
  }

  zeroGrad(): void {
    zeroGrads(this.params);
  }

  state(): OptimizerState {
    const tensors = new Map<string, Float32Array>();
    saveBuffers('momentum', this.buf, tensors);
    return { step: this.t, tensors };
  }

  loadState(s: OptimizerState): void {
    checkStep('SGD', s.step);
    loadBuffers('SGD', 'momentum', this.buf, s.tensors);
    this.t = s.step;
  }
}

/** The joint L2 norm of all gradients (parameters without a gradient buffer are skipped). */
export function gradNorm(params: Iterable<Tensor>): number {
  return Math.sqrt(sumSquares(params, []));
}

/** The sum of squares of all gradients; their buffers are pushed to `grads`. */
function sumSquares(params: Iterable<Tensor>, grads: Float32Array[]): number {
  let sq = 0;
  for (const p of params) {
    const g = p.grad;
    if (g === null) continue;
    grads.push(g);
    for (let i = 0; i < g.length; i++) sq += g[i] * g[i];
  }
  return sq;
}

/**
 * Scales all gradients so their joint L2 norm is at most maxNorm; returns the norm before clipping.
 * A non-finite norm leaves the gradients untouched (the caller can skip the step).
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): number {
  if (!(maxNorm > 0)) throw new RangeError(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const grads: Float32Array[] = [];
  const norm = Math.sqrt(sumSquares(params, grads));
  if (Number.isFinite(norm) && norm > maxNorm) {
    const f = maxNorm / (norm + 1e-6);
    for (const g of grads) for (let i = 0; i < g.length; i++) g[i] *= f;
  }
  return norm;
}
