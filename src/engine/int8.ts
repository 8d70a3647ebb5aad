/**
 * Int8 decoding: weight matrices stored as int8 with one float32 scale per output unit (symmetric,
 * w ≈ scale·q, q in [-127, 127]), and an int8 GEMM that uses them for inference (asm/int8.ts).
 *
 * A model loaded from an int8 checkpoint keeps float32 parameters holding the dequantized weights
 * (embedding lookups and every op that is not a product with a weight read those), and registers its
 * int8 matrices here by parameter buffer (`registerInt8`). `gemm()` hands a call whose B is such a
 * buffer to this module (`int8Gemm`): the rows of A are quantized on the fly (per row, 7 unsigned
 * bits with a zero point, see asm/int8.ts), multiplied in integers, and rescaled into C.
 *
 * Two builds of the kernels compute the same integers: plain SIMD and relaxed SIMD (the integer
 * dot-product instruction). The relaxed one is used only after a self-test on this host gave
 * bit-identical results to the plain one. Browser-safe: no Node imports (the bytes come from the
 * engine loader, engine.ts).
 */
import { gemmReference, type GemmArgs } from './gemm.js';
import { align, byteRegions, exported, growMemory, MAX_PAGES } from './wasm.js';

/** An int8 matrix with one scale per output unit; `axis` is the dimension of `shape` that indexes output units. */
export interface QuantizedMatrix {
  values: Int8Array;
  scales: Float32Array;
  shape: [number, number];
  axis: 0 | 1;
}

export interface Int8Info {
  backend: 'int8-simd' | 'int8-relaxed-simd' | 'js';
  /** Why the relaxed build is not used (absent when it is, or was not asked for). */
  relaxedUnused?: string;
}

/** Symmetric per-output-unit quantization of a (rows, cols) matrix: scale = max|w| / 127, q = round(w / scale). */
export function quantizeMatrix(data: Float32Array, shape: readonly number[], axis: 0 | 1): QuantizedMatrix {
  const [rows, cols] = shape as [number, number];
  if (shape.length !== 2 || data.length !== rows * cols) throw new RangeError(`quantizeMatrix: shape ${JSON.stringify(shape)} does not hold ${data.length} values`);
  const units = axis === 0 ? rows : cols;
  const scales = new Float32Array(units);
  const at = (u: number, i: number): number => (axis === 0 ? u * cols + i : i * cols + u);
  const len = axis === 0 ? cols : rows;
  for (let u = 0; u < units; u++) {
    let m = 0;
    for (let i = 0; i < len; i++) m = Math.max(m, Math.abs(data[at(u, i)] as number));
    scales[u] = m / 127;
  }
  const values = new Int8Array(data.length);
  for (let u = 0; u < units; u++) {
    const s = scales[u] as number;
    if (s === 0) continue;
    for (let i = 0; i < len; i++) {
      const idx = at(u, i);
      values[idx] = Math.max(-127, Math.min(127, Math.round((data[idx] as number) / s)));
    }
  }
  return { values, scales, shape: [rows, cols], axis };
}

/** The float32 matrix an int8 matrix stands for: q·scale of its unit. */
export function dequantizeMatrix(q: QuantizedMatrix): Float32Array {
  const [rows, cols] = q.shape;
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = (q.values[r * cols + c] as number) * (q.scales[q.axis === 0 ? r : c] as number);
  }
  return out;
}

// ---- registry: parameter buffer -> its int8 matrix --------------------------------------------------

const registry = new WeakMap<Float32Array, QuantizedMatrix>();

/** Declares `buf` (a parameter holding dequantize(q)) int8: products with it use the int8 GEMM. */
export function registerInt8(buf: Float32Array, q: QuantizedMatrix): void {
  if (buf.length !== q.values.length) throw new RangeError(`registerInt8: buffer of ${buf.length} floats for a ${q.shape.join('x')} matrix`);
  registry.set(buf, q);
}

/** The int8 matrix registered for a buffer, if any. */
export function int8Of(buf: Float32Array): QuantizedMatrix | undefined {
  return registry.get(buf);
}

// ---- the kernels ------------------------------------------------------------------------------------

interface Int8Kernels {
  heapBase(): number;
  quantizeRows(x: number, m: number, kp: number, q: number, scales: number, zeros: number): void;
  gemmInt8(q: number, xs: number, xz: number, m: number, kp: number, w: number, ws: number, wsum: number, np: number, c: number, beta: number): void;
}

/** A weight matrix in linear memory: np rows (output units, padded to 4) of kp values (K padded to 16). */
interface PlacedWeight {
  w: number;
  ws: number;
  wsum: number;
  n: number;
  k: number;
  np: number;
  kp: number;
}

/** One instance of the int8 kernels on its own (unshared) memory. */
export class Int8Gemm {
  private f32: Float32Array;
  private i32: Int32Array;
  private i8: Int8Array;
  /** End of the weights placed so far; per-call data goes after it. */
  private weightsEnd: number;
  private readonly placed = new WeakMap<QuantizedMatrix, PlacedWeight>();

  private constructor(
    private readonly memory: WebAssembly.Memory,
    private readonly kernels: Int8Kernels,
  ) {
    this.f32 = new Float32Array(memory.buffer);
    this.i32 = new Int32Array(memory.buffer);
    this.i8 = new Int8Array(memory.buffer);
    this.weightsEnd = align(kernels.heapBase(), 64);
  }

  static async create(bytes: BufferSource): Promise<Int8Gemm> {
    const memory = new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES });
    const { instance } = await WebAssembly.instantiate(bytes, { env: { memory } });
    const fn = (name: string): ((...a: number[]) => number) => exported(instance.exports, name, 'int8');
    const heapBase = fn('heapBase');
    if (fn('valueBytes')() !== 1) throw new Error('int8 wasm module: unexpected value layout (rebuild with `npm run build:wasm`)');
    const quantizeRows = fn('quantizeRows');
    const gemmInt8 = fn('gemmInt8');
    return new Int8Gemm(memory, {
      heapBase: () => heapBase(),
      quantizeRows: (x, m, kp, q, s, z) => void quantizeRows(x, m, kp, q, s, z),
      gemmInt8: (q, xs, xz, m, kp, w, ws, wsum, np, c, beta) => void gemmInt8(q, xs, xz, m, kp, w, ws, wsum, np, c, beta),
    });
  }

  /**
   * C = beta·C + A·op(W) through the int8 kernels, for W given as its int8 matrix. False when the call
   * does not fit (W used along its other axis, strided or offset B, alpha ≠ 1, memory exhausted):
   * the caller then runs the float GEMM on the dequantized weights.
   */
  gemm(args: GemmArgs, q: QuantizedMatrix): boolean {
    const { m, n, k } = args;
    const transB = args.transB ?? false;
    const wantAxis = transB ? 0 : 1;
    const [r, c] = q.shape;
    if (q.axis !== wantAxis || (transB ? r !== n || c !== k : r !== k || c !== n)) return false;
    if ((args.bOffset ?? 0) !== 0 || (args.ldb !== undefined && args.ldb !== c) || args.transA || (args.alpha ?? 1) !== 1) return false;
    const beta = args.beta ?? 0;
    if (beta !== 0 && beta !== 1) return false;
    if (m === 0 || n === 0) return true;
    const w = this.place(q);
    if (w === null) return false;
    const { kp, np } = w;
    const [px, pq, ps, pz, pc, end] = byteRegions(this.weightsEnd, [m * kp * 4, m * kp, m * 4, m * 4, m * np * 4]);
    if (!this.reserve(end as number)) return false;
    const f32 = this.f32;
    const a = args.a;
    const lda = args.lda ?? k;
    const ao = args.aOffset ?? 0;
    const x0 = (px as number) >> 2;
    for (let i = 0; i < m; i++) {
      const dst = x0 + i * kp;
      f32.set(a.subarray(ao + i * lda, ao + i * lda + k), dst);
      if (kp > k) f32.fill(0, dst + k, dst + kp);
    }
    const cOut = args.c;
    const ldc = args.ldc ?? n;
    const co = args.cOffset ?? 0;
    const c0 = (pc as number) >> 2;
    if (beta !== 0) for (let i = 0; i < m; i++) f32.set(cOut.subarray(co + i * ldc, co + i * ldc + n), c0 + i * np);
    this.kernels.quantizeRows(px as number, m, kp, pq as number, ps as number, pz as number);
    this.kernels.gemmInt8(pq as number, ps as number, pz as number, m, kp, w.w, w.ws, w.wsum, np, pc as number, beta);
    for (let i = 0; i < m; i++) cOut.set(f32.subarray(c0 + i * np, c0 + i * np + n), co + i * ldc);
    return true;
  }

  /** The weight rows in linear memory (copied, transposed to output-unit rows, on first use). */
  private place(q: QuantizedMatrix): PlacedWeight | null {
    const have = this.placed.get(q);
    if (have !== undefined) return have;
    const [r, c] = q.shape;
    const n = q.axis === 0 ? r : c;
    const k = q.axis === 0 ? c : r;
    const kp = align(k, 16);
    const np = align(n, 4);
    const [pw, ps, psum, end] = byteRegions(this.weightsEnd, [np * kp, np * 4, np * 4]);
    if (!this.reserve(end as number)) return null;
    const dst = this.i8;
    const v = q.values;
    const sums = new Int32Array(np);
    const base = pw as number;
    dst.fill(0, base, base + np * kp);
    for (let j = 0; j < n; j++) {
      const row = base + j * kp;
      let s = 0;
      if (q.axis === 0) {
        dst.set(v.subarray(j * k, (j + 1) * k), row);
        for (let p = 0; p < k; p++) s += v[j * k + p] as number;
      } else {
        for (let p = 0; p < k; p++) {
          const x = v[p * n + j] as number;
          dst[row + p] = x;
          s += x;
        }
      }
      sums[j] = s;
    }
    this.f32.fill(0, (ps as number) >> 2, ((ps as number) >> 2) + np);
    this.f32.set(q.scales, (ps as number) >> 2);
    this.i32.set(sums, (psum as number) >> 2);
    this.weightsEnd = end as number;
    const placed = { w: pw as number, ws: ps as number, wsum: psum as number, n, k, np, kp };
    this.placed.set(q, placed);
    return placed;
  }

  private reserve(bytes: number): boolean {
    if (!growMemory(this.memory, bytes)) return false;
    if (this.f32.buffer !== this.memory.buffer) {
      this.f32 = new Float32Array(this.memory.buffer);
      this.i32 = new Int32Array(this.memory.buffer);
      this.i8 = new Int8Array(this.memory.buffer);
    }
    return true;
  }
}

// ---- loading ----------------------------------------------------------------------------------------

let active: Int8Gemm | null = null;
let info: Int8Info = { backend: 'js' };

export function int8Info(): Int8Info {
  return { ...info };
}

/**
 * The int8 GEMM for a call whose B is a registered int8 matrix: true when it ran. Without the kernels
 * (no WebAssembly, or before `initInt8`) it runs the integer arithmetic in TypeScript (`int8Reference`),
 * so results do not depend on whether the kernels loaded.
 */
export function int8Gemm(args: GemmArgs): boolean {
  const q = registry.get(args.b);
  if (q === undefined) return false;
  if (active !== null) return active.gemm(args, q);
  return int8Reference(args, q);
}

export interface Int8Options {
  /** Plain SIMD module bytes (required). */
  simd: BufferSource;
  /** Relaxed SIMD module bytes (used after the self-test passes). */
  relaxed?: BufferSource;
  /** true: require the relaxed build; false: never; 'auto' (default): when it validates and passes the self-test. */
  want?: boolean | 'auto';
}

/** Loads the int8 kernels: the relaxed build when asked for, valid and bit-identical to the plain one here. */
export async function initInt8(opts: Int8Options): Promise<Int8Info> {
  active = null;
  info = { backend: 'js' };
  if (!WebAssembly.validate(opts.simd)) return int8Info();
  const plain = await Int8Gemm.create(opts.simd);
  const want = opts.want ?? 'auto';
  let chosen = plain;
  let relaxedUnused: string | undefined;
  if (want !== false) {
    if (opts.relaxed === undefined || !WebAssembly.validate(opts.relaxed)) relaxedUnused = 'this runtime rejects relaxed SIMD';
    else {
      const relaxed = await Int8Gemm.create(opts.relaxed);
      const diff = selfTest(plain, relaxed);
      if (diff === null) chosen = relaxed;
      else relaxedUnused = `self-test: ${diff}`;
    }
    if (want === true && chosen === plain) throw new Error(`initInt8: the relaxed-SIMD int8 build was required but is not usable (${relaxedUnused})`);
  }
  active = chosen;
  info = chosen === plain ? { backend: 'int8-simd', ...(relaxedUnused === undefined || want === false ? {} : { relaxedUnused }) } : { backend: 'int8-relaxed-simd' };
  return int8Info();
}

/** Drops the kernels (registered matrices then run on the TypeScript reference). */
export function shutdownInt8(): void {
  active = null;
  info = { backend: 'js' };
}

/**
 * Runs the same products on both builds (odd sizes, extreme weights ±127, rows spanning the whole
 * 7-bit range) and compares C bit for bit; null when identical, else the first difference.
 */
export function selfTest(a: Int8Gemm, b: Int8Gemm): string | null {
  let seed = 12345;
  const rnd = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  for (const [m, n, k] of [[1, 37, 300], [5, 64, 256], [2, 3, 17]] as const) {
    const w = new Float32Array(k * n).map(() => (rnd() * 2 - 1) * 0.3);
    for (let j = 0; j < n; j++) w[j] = j % 2 === 0 ? 1 : -1; // ±127 after quantization
    const q = quantizeMatrix(w, [k, n], 1);
    const x = new Float32Array(m * k).map(() => (rnd() * 2 - 1) * 4);
    const c1 = new Float32Array(m * n).map(() => rnd());
    const c2 = Float32Array.from(c1);
    const args = { m, n, k, a: x, b: w, beta: 1 };
    if (!a.gemm({ ...args, c: c1 }, q) || !b.gemm({ ...args, c: c2 }, q)) return 'the kernels refused the test shapes';
    const u1 = new Uint32Array(c1.buffer);
    const u2 = new Uint32Array(c2.buffer);
    for (let i = 0; i < u1.length; i++) {
      if (u1[i] !== u2[i]) return `${m}x${n}x${k}: element ${i} is ${c2[i]} (relaxed) vs ${c1[i]} (plain)`;
    }
  }
  return null;
}

/** Round half to even, as f32x4.nearest. */
function nearest(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The kernels' arithmetic in TypeScript (same quantization of A, same integers, same float32 steps):
 * the fallback without WebAssembly, and the reference the tests compare the kernels with. Rows of A
 * are taken as zero padded to a multiple of 16 (their quantization range includes 0 either way).
 */
export function int8Reference(args: GemmArgs, q: QuantizedMatrix): boolean {
  const { m, n, k } = args;
  const transB = args.transB ?? false;
  if (q.axis !== (transB ? 0 : 1) || args.transA || (args.alpha ?? 1) !== 1 || (args.bOffset ?? 0) !== 0) {
    gemmReference(args);
    return true;
  }
  const beta = args.beta ?? 0;
  const lda = args.lda ?? k;
  const ldc = args.ldc ?? n;
  const ao = args.aOffset ?? 0;
  const co = args.cOffset ?? 0;
  const f = Math.fround;
  const wAt = (j: number, p: number): number => (q.axis === 0 ? (q.values[j * k + p] as number) : (q.values[p * n + j] as number));
  const wsum = new Int32Array(n);
  for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) wsum[j] = (wsum[j] as number) + wAt(j, p);
  const xq = new Int32Array(k);
  for (let i = 0; i < m; i++) {
    let lo = 0;
    let hi = 0;
    for (let p = 0; p < k; p++) {
      const v = args.a[ao + i * lda + p] as number;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    let step = f(f(hi - lo) / 127);
    if (!(step > 0) || !Number.isFinite(step)) step = 1;
    const inv = f(1 / step);
    const z = Math.min(127, Math.max(0, nearest(f(-lo * inv))));
    for (let p = 0; p < k; p++) xq[p] = Math.min(127, Math.max(0, nearest(f((args.a[ao + i * lda + p] as number) * inv)) + z));
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) acc += (xq[p] as number) * wAt(j, p);
      const v = f(f(acc - z * (wsum[j] as number)) * f(step * (q.scales[j] as number)));
      const at = co + i * ldc + j;
      args.c[at] = beta === 0 ? v : f(v + (args.c[at] as number));
    }
  }
  return true;
}
