/**
 * Tensors over Float32Array and the reverse-mode autodiff tape.
 *
 * A Tensor is a flat row-major Float32Array with a shape. Parameters are tensors created with
 * `requiresGrad: true` outside any tape; their `grad` buffer lives as long as they do.
 *
 * A Tape is two things at once:
 *  - the record of backward closures, run in reverse by `backward(loss)`;
 *  - the arena every op output and intermediate gradient is taken from. `reset()` hands all those
 *    buffers back to the tape's pool, so a training step (or a decoding step) allocates nothing once
 *    the pool is warm. A tensor made under a tape is only valid until that tape's next `reset()`:
 *    copy out what you keep.
 *
 * Ops find the active tape through `activeTape()`; `withTape(tape, fn)` sets it. With no active tape,
 * ops allocate fresh buffers and record nothing (plain inference). A tape made with
 * `{ record: false }` is an arena only: inference with pooled buffers.
 */

export type Shape = readonly number[];

export function shapeSize(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeStr(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Error for operands whose shapes do not fit an op: names the op and the shapes. */
export class ShapeError extends Error {
  constructor(op: string, message: string, ...shapes: Shape[]) {
    super(`${op}: ${message}${shapes.length ? ` (shapes ${shapes.map(shapeStr).join(' and ')})` : ''}`);
    this.name = 'ShapeError';
  }
}

export interface TensorOptions {
  /** Accumulate a gradient for this tensor in backward passes. */
  requiresGrad?: boolean;
  /** Name used in error messages and checkpoints. */
  name?: string;
  /**
   * No data, only the shape (`data` must be empty): what a model's parameters look like without allocating
   * them, e.g. to count a config's parameters before building it. Such a tensor cannot be computed with.
   */
  shapeOnly?: boolean;
}

/** A gradient buffer to add into, or to write whole when `fresh` (its contents then undefined): `Tensor.gradTarget`. */
export interface GradTarget {
  grad: Float32Array;
  fresh: boolean;
}

export class Tensor {
  data: Float32Array;
  readonly shape: number[];
  grad: Float32Array | null = null;
  requiresGrad: boolean;
  name: string;
  /** The tape whose arena owns `grad` (null: the tensor owns it). */
  private gradOwner: Tape | null = null;

  constructor(data: Float32Array, shape: Shape, options: TensorOptions = {}) {
    const size = shapeSize(shape);
    if (data.length !== size && !(options.shapeOnly === true && data.length === 0)) {
      throw new ShapeError('Tensor', `data has ${data.length} elements but the shape holds ${size}`, shape);
    }
    this.data = data;
    this.shape = [...shape];
    this.requiresGrad = options.requiresGrad ?? false;
    this.name = options.name ?? '';
  }

  get size(): number {
    return this.data.length;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Last dimension (the feature axis for every op in the engine). */
  get lastDim(): number {
    return this.shape[this.shape.length - 1] ?? 1;
  }

  static zeros(shape: Shape, options: TensorOptions = {}): Tensor {
    return new Tensor(new Float32Array(shapeSize(shape)), shape, options);
  }

  static fromArray(values: ArrayLike<number>, shape: Shape, options: TensorOptions = {}): Tensor {
    return new Tensor(Float32Array.from(values), shape, options);
  }

  static scalar(value: number): Tensor {
    return new Tensor(Float32Array.of(value), []);
  }

  /**
   * The gradient buffer, created zeroed on first use. Intermediate tensors take it from the
   * active tape's arena; parameters (made outside a tape) own theirs.
   */
  ensureGrad(): Float32Array {
    if (this.grad !== null) return this.grad;
    const { grad } = this.gradTarget();
    grad.fill(0);
    return grad;
  }

  /**
   * The gradient buffer for an op about to write all of it: `fresh` when it was just created, and
   * then its contents are undefined (arena buffers are not zeroed): the op must assign every element
   * instead of adding. Saves zeroing and re-reading large gradients (the logits of the output layer).
   */
  gradTarget(): GradTarget {
    if (this.grad !== null) return { grad: this.grad, fresh: false };
    const tape = activeTape();
    if (tape !== null && tape.owns(this)) {
      this.grad = tape.take(this.size);
      this.gradOwner = tape;
    } else {
      this.grad = new Float32Array(this.size);
    }
    return { grad: this.grad, fresh: true };
  }

  /**
   * Takes `buf`, a gradient buffer of the active tape's arena that nothing reads after this (the output
   * gradient of the op whose backward is running, e.g. a residual add's), as this tensor's gradient
   * instead of a copy of it. Only for an op output of the active tape with no gradient yet; false
   * (nothing done) otherwise, and the caller copies. Later gradients are added into `buf` in place.
   */
  adoptGrad(buf: Float32Array): boolean {
    const tape = activeTape();
    if (this.grad !== null || buf.length !== this.size || tape === null || !tape.owns(this)) return false;
    this.grad = buf;
    this.gradOwner = tape;
    return true;
  }

  /** Zero the gradient (parameters, before each step). */
  zeroGrad(): void {
    if (this.grad !== null) this.grad.fill(0);
  }

  /** @internal used by Tape.reset() to drop pooled gradients. */
  releaseGrad(tape: Tape): void {
    if (this.gradOwner === tape) {
      this.grad = null;
      this.gradOwner = null;
    }
  }

  /** Same data, another shape of the same size (no copy). */
  view(shape: Shape): Tensor {
    if (shapeSize(shape) !== this.size) {
      throw new ShapeError('view', `cannot view ${this.size} elements as ${shapeStr(shape)}`, this.shape, shape);
    }
    return new Tensor(this.data, shape, { requiresGrad: false, name: this.name });
  }

  /** A detached copy (own buffers, no gradient). */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape, { name: this.name });
  }

  toArray(): number[] {
    return Array.from(this.data);
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError('item', 'tensor has more than one element', this.shape);
    return this.data[0] as number;
  }
}

/**
 * Free lists of Float32Array by capacity class. Sizes below POOL_EXACT get buffers of exactly their
 * length; larger ones come from buffers rounded up to a class (at most 1/4 larger) and are handed
 * out as a view of the asked length. Batches of different sentence lengths then reuse the same
 * big buffers (the output layer's N x V logits, probabilities and gradient change size with every
 * batch) instead of allocating tens of MB afresh each step.
 */
class BufferPool {
  private readonly free = new Map<number, Float32Array[]>();

  take(size: number): Float32Array {
    const cap = capacityClass(size);
    const buf = this.free.get(cap)?.pop() ?? new Float32Array(cap);
    return buf.length === size ? buf : buf.subarray(0, size);
  }

  give(buf: Float32Array): void {
    // A view handed out by take() goes back as its whole buffer.
    const whole = buf.byteOffset === 0 && buf.buffer.byteLength === buf.length * 4 ? buf : new Float32Array(buf.buffer, 0, buf.buffer.byteLength / 4);
    const cap = whole.length;
    if (capacityClass(cap) !== cap) return; // not one of ours
    let list = this.free.get(cap);
    if (list === undefined) {
      list = [];
      this.free.set(cap, list);
    }
    list.push(whole);
  }

  /** Number of floats held in free lists (for memory reports). */
  heldFloats(): number {
    let n = 0;
    for (const [size, list] of this.free) n += size * list.length;
    return n;
  }
}

/** Below this many floats the pool keeps exact sizes. */
const POOL_EXACT = 4096;

/** The capacity a buffer of `size` floats is taken from: size itself when small, else rounded up to 4 steps per power of two. */
export function capacityClass(size: number): number {
  if (size <= POOL_EXACT) return size;
  const step = 2 ** (Math.floor(Math.log2(size)) - 2);
  return Math.ceil(size / step) * step;
}

export interface TapeOptions {
  /** Record backward closures (training). False: arena only (pooled inference). Default true. */
  record?: boolean;
}

export class Tape {
  readonly recording: boolean;
  private readonly pool = new BufferPool();
  private readonly taken: Float32Array[] = [];
  private readonly made = new Set<Tensor>();
  private readonly backwards: Array<() => void> = [];

  constructor(options: TapeOptions = {}) {
    this.recording = options.record ?? true;
  }

  /** A buffer from the arena, contents undefined (ops overwrite every element). */
  take(size: number): Float32Array {
    const buf = this.pool.take(size);
    this.taken.push(buf);
    return buf;
  }

  takeZeroed(size: number): Float32Array {
    const buf = this.take(size);
    buf.fill(0);
    return buf;
  }

  /**
   * A tensor whose buffer comes from the arena. A recording tape remembers it (its gradient is then
   * taken from the arena too and dropped by `reset`); an arena-only tape never runs a backward pass,
   * so it keeps no such record (one Set insertion less per op output in every decoding step).
   */
  tensor(shape: Shape, requiresGrad: boolean): Tensor {
    const t = new Tensor(this.take(shapeSize(shape)), shape, { requiresGrad });
    if (this.recording) this.made.add(t);
    return t;
  }

  /** Whether `t` is an op output of this recording tape (its gradient then comes from the arena). */
  owns(t: Tensor): boolean {
    return this.made.has(t);
  }

  /** Record the backward closure of an op (only while recording). */
  record(backward: () => void): void {
    if (this.recording) this.backwards.push(backward);
  }

  get length(): number {
    return this.backwards.length;
  }

  /**
   * Run every recorded backward closure in reverse order. The loss gradient is seeded with
   * `seed` (default 1 for each element of the loss).
   */
  backward(loss: Tensor, seed = 1): void {
    if (!this.recording) throw new Error('backward: this tape was made with record: false');
    const g = loss.ensureGrad();
    g.fill(seed);
    const closures = this.backwards;
    withTape(this, () => {
      for (let i = closures.length - 1; i >= 0; i--) (closures[i] as () => void)();
    });
  }

  /** Hand every buffer back to the pool and forget the record. Tensors made under this tape become invalid. */
  reset(): void {
    for (const t of this.made) t.releaseGrad(this);
    this.made.clear();
    for (const buf of this.taken) this.pool.give(buf);
    this.taken.length = 0;
    this.backwards.length = 0;
  }

  /** Floats currently handed out plus those waiting in the pool. */
  heldFloats(): number {
    let n = this.pool.heldFloats();
    for (const b of this.taken) n += b.length;
    return n;
  }
}

let current: Tape | null = null;

export function activeTape(): Tape | null {
  return current;
}

/** Run fn with `tape` as the active tape (ops record on it and take buffers from it). */
export function withTape<T>(tape: Tape | null, fn: () => T): T {
  const prev = current;
  current = tape;
  try {
    return fn();
  } finally {
    current = prev;
  }
}

/**
 * A new output tensor for an op: from the active tape's arena when there is one, else fresh.
 * It requires a gradient when any input does and the active tape records.
 */
export function output(shape: Shape, inputs: readonly Tensor[]): Tensor {
  const tape = current;
  const needsGrad = tape !== null && tape.recording && inputs.some((t) => t.requiresGrad);
  if (tape !== null) return tape.tensor(shape, needsGrad);
  return Tensor.zeros(shape);
}

/** Record `backward` on the active tape when `out` needs a gradient. */
export function onBackward(out: Tensor, backward: () => void): void {
  if (out.requiresGrad && current !== null) current.record(backward);
}
