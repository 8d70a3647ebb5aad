/**
 * GELU (Hendrycks and Gimpel 2016) in its exact form gelu(x) = x Φ(x), Φ the standard normal CDF, as
 * PyTorch's nn.GELU() and BERT use it. Φ(x) = erfc(-x/√2)/2 with erfc by Abramowitz and Stegun 7.1.26
 * (|error| < 1.5e-7): for z = |x|/√2, t = 1/(1 + p z), q = poly(t) exp(-z²) = erfc(z), Φ = q/2 for
 * x < 0 and 1 - q/2 otherwise (no cancellation in the negative tail). gelu'(x) = Φ(x) + x φ(x).
 * WebAssembly SIMD (asm/gelu.ts, the same formula) once the engine is loaded; TypeScript below.
 */
import { rowKernelsFor } from '../row-kernels.js';
import { onBackward, output, Tensor } from '../tensor.js';
import { scratch } from './util.js';

const P = 0.3275911;
const A1 = 0.254829592;
const A2 = -0.284496736;
const A3 = 1.421413741;
const A4 = -1.453152027;
const A5 = 1.061405429;
const INV_SQRT_2PI = 0.3989422804014327;

/** Φ(x) given e = exp(-x²/2). */
function phi(x: number, e: number): number {
  const t = 1 / (1 + P * Math.abs(x) * Math.SQRT1_2);
  const half = 0.5 * t * (A1 + t * (A2 + t * (A3 + t * (A4 + t * A5)))) * e;
  return x >= 0 ? 1 - half : half;
}

/** gelu(x) of one number. */
export function geluValue(x: number): number {
  return x * phi(x, Math.exp(-0.5 * x * x));
}

/** gelu'(x) of one number. */
export function geluDerivative(x: number): number {
  const e = Math.exp(-0.5 * x * x);
  return phi(x, e) + x * INV_SQRT_2PI * e;
}

/** gelu elementwise. */
export function gelu(x: Tensor): Tensor {
  const out = output(x.shape, [x]);
  const y = out.data;
  const n = x.size;
  if (!rowKernelsFor(n)?.gelu(x.data, y, n)) for (let i = 0; i < n; i++) y[i] = geluValue(x.data[i] as number);
  onBackward(out, () => {
    const g = out.grad;
    if (g === null || !x.requiresGrad) return;
    const { grad: dx, fresh } = x.gradTarget();
    const target = fresh ? dx : scratch(n);
    if (!rowKernelsFor(n)?.geluBackward(x.data, g, target, n)) for (let i = 0; i < n; i++) target[i] = g[i] * geluDerivative(x.data[i] as number);
    if (!fresh) for (let i = 0; i < n; i++) dx[i] += target[i] as number;
  });
  return out;
}
