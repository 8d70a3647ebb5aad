/** Matrix products: matmul, bmm, linear. Every product goes through `gemm()`. */
import { gemm } from '../gemm.js';
import { onBackward, output, ShapeError, Tensor } from '../tensor.js';
import { requireRank } from './util.js';

export interface MatmulOptions {
  /** Use Aᵀ: A is stored (K, M). */
  transA?: boolean;
  /** Use Bᵀ: B is stored (N, K). */
  transB?: boolean;
}

/**
 * Accumulates the gradients of C = op(A)·op(B) (one matrix of a batch) into dA and dB.
 * dC is (M, N); offsets select the matrix inside batched buffers.
 */
function matmulBackward(
  ta: boolean,
  tb: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  dc: Float32Array,
  da: Float32Array | null,
  db: Float32Array | null,
  ao: number,
  bo: number,
  co: number,
): void {
  if (da !== null) {
    if (!ta) {
      // dA (M, K) += dC (M, N) · op(B)ᵀ
      gemm({ m, n: k, k: n, a: dc, b, c: da, transB: !tb, beta: 1, aOffset: co, bOffset: bo, cOffset: ao });
    } else {
      // dA stored (K, M) += op(B) (K, N) · dCᵀ
      gemm({ m: k, n: m, k: n, a: b, b: dc, c: da, transA: tb, transB: true, beta: 1, aOffset: bo, bOffset: co, cOffset: ao });
    }
  }
  if (db !== null) {
    if (!tb) {
      // dB (K, N) += op(A)ᵀ · dC
      gemm({ m: k, n, k: m, a, b: dc, c: db, transA: !ta, beta: 1, aOffset: ao, bOffset: co, cOffset: bo });
    } else {
      // dB stored (N, K) += dCᵀ · op(A)
      gemm({ m: n, n: k, k: m, a: dc, b: a, c: db, transA: true, transB: ta, beta: 1, aOffset: co, bOffset: ao, cOffset: bo });
    }
  }
}

/** (M, K) x (K, N) -> (M, N); with transA A is stored (K, M), with transB B is stored (N, K). */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  requireRank('matmul', a, 2, 'a');
  requireRank('matmul', b, 2, 'b');
  const ta = opts.transA ?? false;
  const tb = opts.transB ?? false;
  const m = ta ? (a.shape[1] as number) : (a.shape[0] as number);
  const k = ta ? (a.shape[0] as number) : (a.shape[1] as number);
  const kb = tb ? (b.shape[1] as number) : (b.shape[0] as number);
  const n = tb ? (b.shape[0] as number) : (b.shape[1] as number);
  if (k !== kb) throw new ShapeError('matmul', `inner sizes differ (${k} vs ${kb})`, a.shape, b.shape);
  const out = output([m, n], [a, b]);
  gemm({ m, n, k, a: a.data, b: b.data, c: out.data, transA: ta, transB: tb, bResident: b.requiresGrad });
  onBackward(out, () => {
    const g = out.grad;
    if (g === null) return;
    const da = a.requiresGrad ? a.ensureGrad() : null;
    const db = b.requiresGrad ? b.ensureGrad() : null;
    matmulBackward(ta, tb, m, n, k, a.data, b.data, g, da, db, 0, 0, 0);
  });
  return out;
}

/** Batched matmul: (B, M, K) x (B, K, N) -> (B, M, N), with the same trans options per matrix. */
export function bmm(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  requireRank('bmm', a, 3, 'a');
  requireRank('bmm', b, 3, 'b');
  const ta = opts.transA ?? false;
  const tb = opts.transB ?? false;
  const batch = a.shape[0] as number;
  if (b.shape[0] !== batch) throw new ShapeError('bmm', 'batch sizes differ', a.shape, b.shape);
  const m = ta ? (a.shape[2] as number) : (a.shape[1] as number);
  const k = ta ? (a.shape[1] as number) : (a.shape[2] as number);
  const kb = tb ? (b.shape[2] as number) : (b.shape[1] as number);
  const n = tb ? (b.shape[1] as number) : (b.shape[2] as number);
  if (k !== kb) throw new ShapeError('bmm', `inner sizes differ (${k} vs ${kb})`, a.shape, b.shape);
  const out = output([batch, m, n], [a, b]);
  for (let i = 0; i < batch; i++) {
    gemm({
      m, n, k, a: a.data, b: b.data, c: out.data, transA: ta, transB: tb,
      aOffset: i * m * k, bOffset: i * k * n, cOffset: i * m * n,
    });
  }
  onBackward(out, () => {
    const g = out.grad;
    if (g === null) return;
    const da = a.requiresGrad ? a.ensureGrad() : null;
    const db = b.requiresGrad ? b.ensureGrad() : null;
    for (let i = 0; i < batch; i++) {
      matmulBackward(ta, tb, m, n, k, a.data, b.data, g, da, db, i * m * k, i * k * n, i * m * n);
    }
  });
  return out;
}

export interface LinearOptions {
  /** The weight is stored (Out, In) and used transposed, e.g. an embedding table (V, E) as the output layer (tied embeddings). */
  transposed?: boolean;
}

/**
 * Affine map over the last axis: x (..., In) · w (In, Out) + b (Out) -> (..., Out), or with
 * `transposed` x · wᵀ + b for w stored (Out, In). All leading dims (N, or B and T) go through one GEMM.
 */
export function linear(x: Tensor, w: Tensor, b?: Tensor, opts: LinearOptions = {}): Tensor {
  requireRank('linear', w, 2, 'weight');
  const tw = opts.transposed ?? false;
  const inDim = w.shape[tw ? 1 : 0] as number;
  const outDim = w.shape[tw ? 0 : 1] as number;
  if (x.rank < 1 || x.lastDim !== inDim) {
    throw new ShapeError('linear', `input last axis must be ${inDim}`, x.shape, w.shape);
  }
  if (b !== undefined && (b.rank !== 1 || b.shape[0] !== outDim)) {
    throw new ShapeError('linear', `bias must be (${outDim})`, w.shape, b.shape);
  }
  const rows = x.size / inDim;
  const shape = x.shape.slice();
  shape[shape.length - 1] = outDim;
  const out = output(shape, b === undefined ? [x, w] : [x, w, b]);
  // The bias rows are C's starting contents, written by the GEMM (in WebAssembly memory: C is not copied in).
  gemm({ m: rows, n: outDim, k: inDim, a: x.data, b: w.data, c: out.data, transB: tw, beta: b === undefined ? 0 : 1, bias: b?.data, bResident: w.requiresGrad });
  // The backward closure is made only when recorded (inference, e.g. every decoding step, makes none).
  if (out.requiresGrad) onBackward(out, linearBackward(out, x, w, b, rows, inDim, outDim, tw));
  return out;
}

/** The backward of `linear` for out = x · op(w) + b over `rows` rows. */
function linearBackward(out: Tensor, x: Tensor, w: Tensor, b: Tensor | undefined, rows: number, inDim: number, outDim: number, tw: boolean): () => void {
  return () => {
    const g = out.grad;
    if (g === null) return;
    // dx (R, In) += dY (R, Out) · wᵀ (= when dx is fresh); transposed: dY · w
    if (x.requiresGrad) {
      const { grad: dx, fresh } = x.gradTarget();
      gemm({ m: rows, n: inDim, k: outDim, a: g, b: w.data, c: dx, transB: !tw, beta: fresh ? 0 : 1, bResident: w.requiresGrad });
    }
    // dw (In, Out) += xᵀ · dY; transposed: dw (Out, In) += dYᵀ · x
    if (w.requiresGrad) {
      if (tw) gemm({ m: outDim, n: inDim, k: rows, a: g, b: x.data, c: w.ensureGrad(), transA: true, beta: 1 });
      else gemm({ m: inDim, n: outDim, k: rows, a: x.data, b: g, c: w.ensureGrad(), transA: true, beta: 1 });
    }
    if (b !== undefined && b.requiresGrad) addRowSums(g, rows, outDim, b.ensureGrad());
  };
}

/**
 * db (n) += Σ_r g[r] over `rows` rows of g (rows, n). Four rows are summed at a time and added to db
 * (db[j] += ((g0 + g1) + g2) + g3, in double precision, rounded to float32); eight rows per pass over
 * db, the first four's sum kept in a local rounded as a store would round it: the same arithmetic, half
 * the loads and stores of db.
 */
export function addRowSums(g: Float32Array, rows: number, n: number, db: Float32Array): void {
  const n2 = 2 * n;
  const n3 = 3 * n;
  let r = 0;
  for (; r + 8 <= rows; r += 8) {
    const o = r * n;
    const o4 = o + 4 * n;
    for (let j = 0; j < n; j++) {
      const p = o + j;
      const q = o4 + j;
      const t = Math.fround((db[j] as number) + ((g[p] as number) + (g[p + n] as number) + (g[p + n2] as number) + (g[p + n3] as number)));
      db[j] = t + ((g[q] as number) + (g[q + n] as number) + (g[q + n2] as number) + (g[q + n3] as number));
    }
  }
  for (; r + 4 <= rows; r += 4) {
    const o = r * n;
    for (let j = 0; j < n; j++) db[j] += (g[o + j] as number) + (g[o + n + j] as number) + (g[o + n2 + j] as number) + (g[o + n3 + j] as number);
  }
  for (; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) db[j] += g[o + j] as number;
  }
}
