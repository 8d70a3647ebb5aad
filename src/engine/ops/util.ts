/** Helpers shared by the op files: scratch buffers from the arena and shape checks. */
import { activeTape, ShapeError, shapeStr, Tensor } from '../tensor.js';

/**
 * A scratch buffer of n floats, contents undefined: from the active tape's arena (so a training or
 * decoding step allocates nothing once the pool is warm), or fresh when no tape is active.
 */
export function scratch(n: number): Float32Array {
  return activeTape()?.take(n) ?? new Float32Array(n);
}

/** A zero-filled scratch buffer of n floats (see `scratch`). */
export function scratchZeroed(n: number): Float32Array {
  const tape = activeTape();
  return tape !== null ? tape.takeZeroed(n) : new Float32Array(n);
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Throws a ShapeError naming `op` and both shapes unless they are equal. */
export function requireSameShape(op: string, a: Tensor, b: Tensor): void {
  if (!sameShape(a.shape, b.shape)) throw new ShapeError(op, 'shapes differ', a.shape, b.shape);
}

/** Throws a ShapeError unless `t` has rank `rank`. */
export function requireRank(op: string, t: Tensor, rank: number, what: string): void {
  if (t.rank !== rank) {
    throw new ShapeError(op, `${what} must have rank ${rank}, got ${shapeStr(t.shape)}`, t.shape);
  }
}

/** Row count of a tensor viewed as (rows, lastDim). */
export function rowsOf(t: Tensor): number {
  const d = t.lastDim;
  return d === 0 ? 0 : t.size / d;
}
