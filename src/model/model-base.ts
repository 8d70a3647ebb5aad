/**
 * What every model family keeps the same way (Seq2Seq, Transformer): its parameters by name, the
 * dropout switch, and the dropout random stream (whose state belongs in a training checkpoint).
 */
import type { Rng } from '../engine/random.js';
import type { Tensor } from '../engine/tensor.js';
import type { ParamStore } from './params.js';

export abstract class ModelBase {
  /** Dropout is on only while training. */
  protected training = false;

  protected constructor(
    protected readonly store: ParamStore,
    private readonly dropoutRng: Rng,
  ) {}

  /** Every parameter by hierarchical name. */
  parameters(): Map<string, Tensor> {
    return this.store.params;
  }

  /** Number of scalar parameters. */
  parameterCount(): number {
    let n = 0;
    for (const p of this.store.params.values()) n += p.size;
    return n;
  }

  /** Dropout on (training) or off. */
  setTraining(on: boolean): void {
    this.training = on;
  }

  get isTraining(): boolean {
    return this.training;
  }

  /** The dropout random stream (its state belongs in a training checkpoint). */
  get rng(): Rng {
    return this.dropoutRng;
  }

  /** Dropout-free mode for the duration of fn (decoding), restoring the previous mode after. */
  inferenceMode<T>(fn: () => T): T {
    const prev = this.training;
    this.training = false;
    try {
      return fn();
    } finally {
      this.training = prev;
    }
  }
}
