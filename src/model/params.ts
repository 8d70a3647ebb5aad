/**
 * The model's parameters by hierarchical name, each created and initialized (seeded) in
 * construction order, so the same config and seed always give the same weights:
 *  - input and feed-forward weights: xavier/glorot uniform (Glorot and Bengio 2010);
 *  - recurrent weights (D, G·D): one orthogonal (D, D) block per gate (Saxe et al. 2014);
 *  - embeddings: uniform in [-0.1, 0.1]; biases: zeros.
 */
import { Rng } from '../engine/random.js';
import { shapeSize, Tensor } from '../engine/tensor.js';

export class ParamStore {
  readonly params = new Map<string, Tensor>();

  constructor(private readonly rng: Rng) {}

  /** Xavier uniform over (In, Out): U(-a, a), a = sqrt(6 / (In + Out)). */
  xavier(name: string, shape: [number, number]): Tensor {
    const a = Math.sqrt(6 / (shape[0] + shape[1]));
    return this.add(name, shape, () => this.rng.uniform(-a, a));
  }

  /** U(-a, a). */
  uniform(name: string, shape: number[], a: number): Tensor {
    return this.add(name, shape, () => this.rng.uniform(-a, a));
  }

  /** Embedding table (V, E): U(-0.1, 0.1). */
  embedding(name: string, shape: [number, number]): Tensor {
    return this.uniform(name, shape, 0.1);
  }

  zeros(name: string, shape: number[]): Tensor {
    return this.add(name, shape, () => 0);
  }

  /** (D, G·D): G orthogonal (D, D) blocks side by side, one per gate. */
  orthogonal(name: string, shape: [number, number]): Tensor {
    const [d, width] = shape;
    if (width % d !== 0) throw new Error(`ParamStore.orthogonal: ${name} width ${width} is not a multiple of ${d}`);
    const t = this.add(name, shape, () => 0);
    for (let g = 0; g < width / d; g++) {
      const q = orthogonalMatrix(d, this.rng);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) t.data[i * width + g * d + j] = q[i * d + j];
    }
    return t;
  }

  private add(name: string, shape: readonly number[], sample: () => number): Tensor {
    if (this.params.has(name)) throw new Error(`ParamStore: parameter '${name}' defined twice`);
    const data = new Float32Array(shapeSize(shape));
    for (let i = 0; i < data.length; i++) data[i] = sample();
    const t = new Tensor(data, shape, { requiresGrad: true, name });
    this.params.set(name, t);
    return t;
  }
}

/** A random orthogonal n x n matrix (row-major): Gram-Schmidt on a Gaussian matrix, in float64. */
function orthogonalMatrix(n: number, rng: Rng): Float64Array {
  const q = new Float64Array(n * n);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  for (let r = 0; r < n; r++) {
    const row = r * n;
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < r; p++) {
        let dot = 0;
        for (let j = 0; j < n; j++) dot += q[row + j] * q[p * n + j];
        for (let j = 0; j < n; j++) q[row + j] -= dot * q[p * n + j];
      }
    }
    let norm = 0;
    for (let j = 0; j < n; j++) norm += q[row + j] * q[row + j];
    norm = Math.sqrt(norm);
    for (let j = 0; j < n; j++) q[row + j] /= norm;
  }
  return q;
}
