/**
 * The model's parameters by hierarchical name, each created and initialized (seeded, with the
 * engine's initializers) in construction order, so the same config and seed always give the same
 * weights:
 *  - input and feed-forward weights: xavier/glorot uniform (Glorot and Bengio 2010);
 *  - recurrent weights (D, G·D): one orthogonal (D, D) block per gate (Saxe et al. 2014);
 *  - embeddings: uniform in [-0.1, 0.1]; biases: zeros; layer-norm gains: ones.
 */
import { orthogonal, uniform, xavierUniform } from '../engine/init.js';
import type { Rng } from '../engine/random.js';
import { shapeSize, Tensor } from '../engine/tensor.js';

export class ParamStore {
  readonly params = new Map<string, Tensor>();

  /**
   * With rng null the parameters stay zero (weights about to be loaded); with 'shapes' they hold no data at all
   * (shape-only tensors: what a config implies, counted before anything is allocated).
   */
  constructor(rng: Rng | null | 'shapes') {
    this.rng = rng === 'shapes' ? null : rng;
    this.shapesOnly = rng === 'shapes';
  }

  private readonly rng: Rng | null;
  private readonly shapesOnly: boolean;

  /** Xavier uniform over (In, Out): U(-a, a), a = sqrt(6 / (In + Out)). */
  xavier(name: string, shape: [number, number]): Tensor {
    const t = this.add(name, shape);
    return this.rng === null ? t : xavierUniform(t, this.rng);
  }

  /** U(-a, a). */
  uniform(name: string, shape: number[], a: number): Tensor {
    const t = this.add(name, shape);
    return this.rng === null ? t : uniform(t, a, this.rng);
  }

  /** Embedding table (V, E): U(-0.1, 0.1). */
  embedding(name: string, shape: [number, number]): Tensor {
    return this.uniform(name, shape, 0.1);
  }

  zeros(name: string, shape: number[]): Tensor {
    return this.add(name, shape);
  }

  /** All ones (layer-norm gains); filled whether or not the store initializes (loading overwrites them). */
  ones(name: string, shape: number[]): Tensor {
    const t = this.add(name, shape);
    t.data.fill(1);
    return t;
  }

  /** (D, G·D): G orthogonal (D, D) blocks side by side, one per gate. */
  orthogonal(name: string, shape: [number, number]): Tensor {
    const [d, width] = shape;
    if (width % d !== 0) throw new Error(`ParamStore.orthogonal: ${name} width ${width} is not a multiple of ${d}`);
    const t = this.add(name, shape);
    return this.rng === null ? t : orthogonal(t, this.rng, { blocks: width / d });
  }

  /** A zero parameter tensor registered under `name`. */
  private add(name: string, shape: readonly number[]): Tensor {
    if (this.params.has(name)) throw new Error(`ParamStore: parameter '${name}' defined twice`);
    const t = this.shapesOnly
      ? new Tensor(new Float32Array(0), shape, { requiresGrad: true, name, shapeOnly: true })
      : new Tensor(new Float32Array(shapeSize(shape)), shape, { requiresGrad: true, name });
    this.params.set(name, t);
    return t;
  }
}
