/**
 * The decoder's key/value cache for incremental decoding: per layer, the self-attention keys and values
 * of every target position decoded so far, (rows, capacity, D) each, so a step computes the projections
 * of its newest position only and attends over the stored ones (instead of recomputing the prefix).
 *
 * Rows are hypotheses (greedy: sentences; beam search: sentences x beam). `select(rows)` reorders them
 * by backpointer (row r becomes old row rows[r]), copying the filled positions into a second set of
 * buffers that then becomes the current one, so neither decoding step nor reordering allocates once the
 * buffers are large enough. The capacity doubles when a step goes past it.
 *
 * The buffers are the cache's own (not from a tape arena): they live for the whole decode.
 */
import type { LayerCache } from './layers.js';

class Buffers {
  constructor(
    readonly keys: Float32Array[],
    readonly values: Float32Array[],
  ) {}

  static make(layers: number, floats: number): Buffers {
    return new Buffers(
      Array.from({ length: layers }, () => new Float32Array(floats)),
      Array.from({ length: layers }, () => new Float32Array(floats)),
    );
  }

  get floats(): number {
    return this.keys[0]?.length ?? 0;
  }
}

export class KvCache {
  /** Rows currently held. */
  rows: number;
  /** Positions filled (the next step writes position `length`). */
  length = 0;
  capacity: number;
  private current: Buffers;
  private spare: Buffers;

  constructor(
    readonly layers: number,
    readonly d: number,
    rows: number,
    capacity: number,
  ) {
    this.rows = rows;
    this.capacity = Math.max(1, capacity);
    this.current = Buffers.make(layers, rows * this.capacity * d);
    this.spare = Buffers.make(layers, 0);
  }

  /** The cache of layer l for the step writing position `length`, growing the capacity when needed. */
  layer(l: number): LayerCache {
    if (this.length >= this.capacity) this.grow(2 * this.capacity);
    const keys = this.current.keys[l] as Float32Array;
    const values = this.current.values[l] as Float32Array;
    const { rows, capacity, d } = this;
    return {
      keys,
      values,
      capacity,
      write(step: number, src: Float32Array, kOff: number, vOff: number, ld: number): void {
        for (let r = 0; r < rows; r++) {
          const at = (r * capacity + step) * d;
          const k = kOff + r * ld;
          const v = vOff + r * ld;
          for (let j = 0; j < d; j++) {
            keys[at + j] = src[k + j] as number;
            values[at + j] = src[v + j] as number;
          }
        }
      },
    };
  }

  /** Marks the step done (after every layer wrote its position). */
  advance(): void {
    this.length++;
  }

  /** Row r becomes old row rows[r] (beam backpointers, dropped finished sentences). */
  select(rows: Int32Array): void {
    const need = rows.length * this.capacity * this.d;
    if (this.spare.floats < need) this.spare = Buffers.make(this.layers, Math.max(need, this.current.floats));
    const n = this.length * this.d; // filled floats per row
    const stride = this.capacity * this.d;
    for (let l = 0; l < this.layers; l++) {
      const [fk, fv, tk, tv] = [this.current.keys[l], this.current.values[l], this.spare.keys[l], this.spare.values[l]] as Float32Array[];
      for (let r = 0; r < rows.length; r++) {
        const src = rows[r] as number;
        if (!(src >= 0 && src < this.rows)) throw new RangeError(`KvCache.select: row ${src} outside [0, ${this.rows})`);
        tk.set(fk.subarray(src * stride, src * stride + n), r * stride);
        tv.set(fv.subarray(src * stride, src * stride + n), r * stride);
      }
    }
    [this.current, this.spare] = [this.spare, this.current];
    this.rows = rows.length;
  }

  private grow(capacity: number): void {
    const next = Buffers.make(this.layers, this.rows * capacity * this.d);
    const n = this.length * this.d;
    for (let l = 0; l < this.layers; l++) {
      for (let r = 0; r < this.rows; r++) {
        const from = r * this.capacity * this.d;
        (next.keys[l] as Float32Array).set((this.current.keys[l] as Float32Array).subarray(from, from + n), r * capacity * this.d);
        (next.values[l] as Float32Array).set((this.current.values[l] as Float32Array).subarray(from, from + n), r * capacity * this.d);
      }
    }
    this.current = next;
    this.spare = Buffers.make(this.layers, 0);
    this.capacity = capacity;
  }
}
