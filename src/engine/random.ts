/**
 * Seeded pseudo-random numbers: xoshiro128** (Blackman and Vigna 2018) seeded through splitmix32.
 * Same seed, same sequence, on every platform. The state can be saved and restored (resume).
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    return result;
  }

  /**
   * The mask of inverted dropout: mask[i] = next() < p ? 0 : keep for i < n, drawing exactly the numbers n
   * calls of next() would (same masks, same stream after it) but with the state in local int32 variables:
   * the fields hold uint32 values beyond V8's small integers, so updating them per draw allocates a heap
   * number each time (slow, and work for the garbage collector). next() < p is raw < p·2^32 exactly.
   */
  dropoutMask(mask: Float32Array, n: number, p: number, keep: number): void {
    let s0 = this.s0 | 0;
    let s1 = this.s1 | 0;
    let s2 = this.s2 | 0;
    let s3 = this.s3 | 0;
    const threshold = p * 4294967296;
    for (let i = 0; i < n; i++) {
      const x = Math.imul(s1, 5);
      const r = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      mask[i] = r < threshold ? 0 : keep;
    }
    this.s0 = s0 >>> 0;
    this.s1 = s1 >>> 0;
    this.s2 = s2 >>> 0;
    this.s3 = s3 >>> 0;
  }

  /**
   * Inverted dropout in one pass, drawing what `dropoutMask` draws (the same numbers, the same stream
   * after it): for i < n, kept[i] = next() < p ? 0 : 1 and y[i] = x[i] · kept[i]·keep with keep rounded
   * to float32 (what dropoutMask's Float32Array mask holds), so y is bit for bit x times that mask; with
   * `residual`, y[i] = residual[i] + that product (rounded to float32 first, as a tensor holds it).
   * The test is on the integers (raw < p·2^32 iff raw < ceil(p·2^32)) and its result is computed, not
   * branched on (a draw is dropped at random, a branch would mispredict p of the time).
   */
  dropoutApply(x: Float32Array, y: Float32Array, kept: Uint8Array, n: number, p: number, keep: number, residual: Float32Array | null = null): void {
    let s0 = this.s0 | 0;
    let s1 = this.s1 | 0;
    let s2 = this.s2 | 0;
    let s3 = this.s3 | 0;
    const k32 = Math.fround(keep);
    // raw >= limit, as a sign: (raw - limit) / 2^32 + 1 is in [0, 1) exactly when raw < limit, in [1, 2) otherwise.
    const limit = Math.ceil(p * 4294967296);
    for (let i = 0; i < n; i++) {
      const u = Math.imul(s1, 5);
      const r = Math.imul((u << 7) | (u >>> 25), 9) >>> 0;
      const t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >>> 21);
      const k = ((r - limit) * 2.3283064365386963e-10 + 1) | 0;
      kept[i] = k;
      const v = Math.fround((x[i] as number) * (k * k32));
      y[i] = residual === null ? v : (residual[i] as number) + v;
    }
    this.s0 = s0 >>> 0;
    this.s1 = s1 >>> 0;
    this.s2 = s2 >>> 0;
    this.s3 = s3 >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** A new Float32Array of n values uniform in [lo, hi). */
  uniformArray(n: number, lo = -1, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform(lo, hi);
    return out;
  }

  /** Standard normal (Box-Muller, the spare value is part of the state). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle<T>(items: T[]): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
  }

  getState(): number[] {
    return [this.s0, this.s1, this.s2, this.s3, this.spare === null ? NaN : this.spare];
  }

  setState(state: readonly number[]): void {
    if (state.length !== 5 || state.slice(0, 4).some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff)) {
      throw new Error(`Rng.setState: expected 4 unsigned 32-bit words and a spare value, got ${JSON.stringify(state)}`);
    }
    [this.s0, this.s1, this.s2, this.s3] = state as [number, number, number, number];
    const spare = state[4] as number;
    this.spare = Number.isNaN(spare) ? null : spare;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
