/**
 * Whether a product runs on the worker pool or on the calling thread alone, measured per shape (the
 * float GEMM in wasm.ts and the int8 GEMM in int8.ts each keep one). Two threads beat one on an idle
 * machine, but when other processes hold the cores a worker is descheduled mid-chunk or spins on the
 * core the calling thread needs, and one thread is faster; for small products the hand-off alone
 * costs more than the second thread saves. So each shape is timed both ways (its first calls), then
 * runs the faster way, re-timing the other on a random 1/16 of calls. Browser-safe.
 */
import { isResidentB, type GemmArgs } from './gemm.js';

/**
 * GEMMs below this many flops (2*M*N*K, about 50 us on one thread) stay on the calling thread: the
 * hand-off and moving A and C between cores' caches cost more than the second thread saves.
 */
export const PARALLEL_MIN_FLOPS = 1 << 21;
/** Shapes whose one- and two-thread timings are kept (the table is cleared when full). */
const MAX_SHAPES = 256;
/** Probability that a call runs in the mode currently measured slower for its shape, to re-measure it. */
const EXPLORE = 1 / 16;

/**
 * Milliseconds per call of one shape on the pool and on the calling thread alone (moving averages),
 * and how many calls each average has seen (the first, with cold caches and fresh pages, is dropped).
 */
interface ShapeTiming {
  pool: number;
  alone: number;
  poolCalls: number;
  aloneCalls: number;
}

/** A call's mode and, when its shape is timed, its timing entry and start time. */
export interface CallPlan {
  readonly timing: ShapeTiming | undefined;
  readonly threads: number;
  readonly start: number;
}

/** The plan of every call too small to time: this thread, nothing recorded (one object, not one per call). */
const UNTIMED: CallPlan = Object.freeze({ timing: undefined, threads: 1, start: 0 });

let forced: 'pool' | 'alone' | null = null;

/**
 * Benchmarks: every call that would be timed runs on the pool ('pool') or alone ('alone'), untimed,
 * whatever was measured; null gives the choice back. Lets a benchmark interleave both modes of one
 * shape in one engine, so that other load on the machine falls on both alike.
 */
export function forcePoolChoice(mode: 'pool' | 'alone' | null): void {
  forced = mode;
}

export class PoolChoice {
  private readonly timings = new Map<string, ShapeTiming>();
  private explore = 0x9e3779b9;

  /** @param threads threads of the pool, the calling thread included. */
  constructor(private readonly threads: number) {}

  /** How a call runs: on the pool or alone, timed under its shape key ('' for calls that always run alone). */
  plan(key: string): CallPlan {
    if (key === '') return UNTIMED;
    if (forced !== null) return { timing: undefined, threads: forced === 'pool' ? this.threads : 1, start: 0 };
    const timing = this.timingOf(key);
    return { timing, threads: this.usePool(timing) ? this.threads : 1, start: performance.now() };
  }

  /** Adds a finished call's time to its shape's average for the mode it ran in. */
  record(call: CallPlan): void {
    const t = call.timing;
    if (t === undefined) return;
    const ms = performance.now() - call.start;
    if (call.threads > 1) t.pool = average(t.pool, t.poolCalls++, ms);
    else t.alone = average(t.alone, t.aloneCalls++, ms);
  }

  private timingOf(key: string): ShapeTiming {
    let t = this.timings.get(key);
    if (!t) {
      if (this.timings.size >= MAX_SHAPES) this.timings.clear();
      t = { pool: 0, alone: 0, poolCalls: 0, aloneCalls: 0 };
      this.timings.set(key, t);
    }
    return t;
  }

  /** Pool or not for the next call of a shape: measure both, then the faster, exploring now and then. */
  private usePool(t: ShapeTiming): boolean {
    if (t.poolCalls < 2) return true;
    if (t.aloneCalls < 2) return false;
    // xorshift32: a cheap random stream, so exploration does not lock onto a periodic call pattern.
    let x = this.explore;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.explore = x >>> 0;
    const faster = t.pool <= t.alone;
    return this.explore / 2 ** 32 < EXPLORE ? !faster : faster;
  }
}

/** Moving average of call times after `seen` earlier samples; the first sample is only a warm-up. */
function average(prev: number, seen: number, ms: number): number {
  return seen < 2 ? ms : 0.75 * prev + 0.25 * ms;
}

/**
 * The timing key of a shape. Sizes past 64 go in quarter-octave buckets: batches of a token budget change
 * M (sentences x length) at every step, and with it K of the weight gradients (Xᵀ·dY sums over the rows) and
 * the sizes of the per-head attention products; a key per exact size kept most calls of a training run in
 * the "measure both ways" phase (a Multi30k Transformer run met 348 keys in 25 steps, and a fifth of its
 * GEMM time ran alone while measuring, the pool idle). A product whose B is a resident parameter (no copy of B
 * on either path) is timed apart from the same shape with B copied in at every call.
 */
export function shapeKey(args: GemmArgs): string {
  const key = `${sizeBucket(args.m)},${sizeBucket(args.n)},${sizeBucket(args.k)},${args.transA ? 1 : 0}${args.transB ? 1 : 0}`;
  return isResidentB(args) ? `${key},r` : key;
}

/**
 * `prefix + shapeKey(args)`, remembered for the last shape asked: the few-row products of batch-1 decoding ask
 * for the same key at every step, and building it (strings, logarithms) costs a good part of such a call.
 */
export class ShapeKeyMemo {
  private m = -1;
  private n = -1;
  private k = -1;
  private flags = -1;
  private key = '';

  constructor(private readonly prefix = '') {}

  of(args: GemmArgs): string {
    const flags = (args.transA ? 1 : 0) | (args.transB ? 2 : 0) | (isResidentB(args) ? 4 : 0);
    if (args.m !== this.m || args.n !== this.n || args.k !== this.k || flags !== this.flags) {
      this.m = args.m;
      this.n = args.n;
      this.k = args.k;
      this.flags = flags;
      this.key = this.prefix + shapeKey(args);
    }
    return this.key;
  }
}

/** A size as a timing key part: exact up to 64, else its quarter-octave bucket (~4·log2). */
export function sizeBucket(x: number): string {
  return x <= 64 ? `${x}` : `~${Math.round(4 * Math.log2(x))}`;
}
