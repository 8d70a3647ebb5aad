/**
 * Weight gradients of a product repeated at every step of a recurrence, summed once for all steps.
 *
 * A decoder step multiplies a few rows (the batch) by the same weights at every step: per step the
 * backward needs dx = dy·Wᵀ at once (the step before depends on it), but dW = Σ_t x_tᵀ dy_t only at the
 * end. `StepGrads` collects the (x_t, dy_t) of every step and adds their products to dW (and the rows of
 * dy to a bias gradient) in ONE product of T·B rows, after every step's backward (it is recorded on the
 * tape when made, before the steps): one large product over the pool instead of T small ones, each of
 * which copied dW in and out. The same sums in another order (not the same bits as per-step products).
 */
import { gemm } from '../gemm.js';
import { addRowSums } from '../ops/linalg.js';
import { scratch } from '../ops/util.js';
import { activeTape, onBackward, output, ShapeError, Tensor } from '../tensor.js';

export class StepGrads {
  private readonly xs: Float32Array[] = [];
  private readonly gs: Float32Array[] = [];
  private rows = 0;
  private readonly inDim: number;
  private readonly outDim: number;

  /** For w (In, Out) and its bias (Out) (either may be absent or need no gradient); recorded on the active tape. */
  constructor(
    readonly w: Tensor,
    readonly b: Tensor | null,
  ) {
    if (w.rank !== 2) throw new ShapeError('StepGrads', 'weight must be (In, Out)', w.shape);
    this.inDim = w.shape[0] as number;
    this.outDim = w.shape[1] as number;
    const tape = activeTape();
    if (tape !== null && tape.recording && (w.requiresGrad || b?.requiresGrad === true)) tape.record(() => this.flush());
  }

  /** Rows x (R, In) and their output gradient dy (R, Out) of one step; both must stay unchanged until the flush. */
  add(x: Float32Array, dy: Float32Array, rows: number): void {
    this.xs.push(x.subarray(0, rows * this.inDim));
    this.gs.push(dy.subarray(0, rows * this.outDim));
    this.rows += rows;
  }

  private flush(): void {
    const rows = this.rows;
    if (rows === 0) return;
    const x = join(this.xs, rows * this.inDim);
    const g = join(this.gs, rows * this.outDim);
    if (this.w.requiresGrad) gemm({ m: this.inDim, n: this.outDim, k: rows, a: x, b: g, c: this.w.ensureGrad(), transA: true, beta: 1 });
    if (this.b !== null && this.b.requiresGrad) addRowSums(g, rows, this.outDim, this.b.ensureGrad());
    this.xs.length = 0;
    this.gs.length = 0;
    this.rows = 0;
  }
}

/** The parts one after another in one buffer (the part itself when there is one). */
function join(parts: readonly Float32Array[], n: number): Float32Array {
  if (parts.length === 1) return parts[0] as Float32Array;
  const out = scratch(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * `linear(x, sums.w, sums.b)` for x (R, In) at one step of a recurrence: the same forward bits; its backward
 * gives dx at once and leaves (x, dy) to `sums` for the weight and bias gradients.
 */
export function stepLinear(x: Tensor, sums: StepGrads): Tensor {
  const { w, b } = sums;
  const inDim = w.shape[0] as number;
  const outDim = w.shape[1] as number;
  if (x.rank !== 2 || x.lastDim !== inDim) throw new ShapeError('stepLinear', `input must be (R, ${inDim})`, x.shape, w.shape);
  const rows = x.shape[0] as number;
  const out = output([rows, outDim], b === null ? [x, w] : [x, w, b]);
  gemm({ m: rows, n: outDim, k: inDim, a: x.data, b: w.data, c: out.data, beta: b === null ? 0 : 1, bias: b?.data, bResident: w.requiresGrad });
  if (out.requiresGrad) {
    onBackward(out, () => {
      const g = out.grad;
      if (g === null) return;
      if (x.requiresGrad) {
        const { grad: dx, fresh } = x.gradTarget();
        gemm({ m: rows, n: inDim, k: outDim, a: g, b: w.data, c: dx, transB: true, beta: fresh ? 0 : 1, bResident: w.requiresGrad });
      }
      if (w.requiresGrad || b?.requiresGrad === true) sums.add(x.data, g, rows);
    });
  }
  return out;
}
