/**
 * Length-bucketed batching for training, and ordered batching for evaluation.
 *
 * Training (class Batcher): each epoch the pair indices are shuffled with a seeded Rng, stably sorted by
 * (source length, target length) so a batch holds pairs of similar length (little padding), cut into batches,
 * and the batch order is shuffled. Every pair is in exactly one batch per epoch. The state (epoch, position in
 * the epoch, Rng state at the start of the epoch) is JSON-safe and restores the exact same batch order.
 *
 * Batch size is counted in sentences (B) or in tokens: the padded size B * max(S, T) of a batch, with S and T
 * counting the EOS, stays within the budget (a single pair longer than the budget gets a batch of its own).
 */
import { Rng } from '../engine/random.js';
import { makeBatch, type Batch, type IdPair } from './batch.js';

export type BatchUnit = 'sentences' | 'tokens';

export interface BatchingOptions {
  /** Sentences per batch, or padded tokens per batch when unit is 'tokens'. */
  batchSize: number;
  /** Default 'sentences'. */
  unit?: BatchUnit;
}

export interface BatcherOptions extends BatchingOptions {
  seed: number;
  /** Shuffle pairs and batches each epoch (default true); false keeps sorted buckets in a fixed order. */
  shuffle?: boolean;
}

export interface BatcherState {
  epoch: number;
  /** Batches of this epoch already returned. */
  position: number;
  /** Rng state at the start of the epoch (4 unsigned 32-bit words). */
  rng: number[];
}

/** Padded token cost of one pair in a batch: max(S, T) with the EOS counted. */
function pairCost(p: IdPair): number {
  return Math.max(p.src.length, p.tgt.length) + 1;
}

/** Cut `order` (pair indices) into consecutive groups within the batch size. */
export function planBatches(pairs: readonly IdPair[], order: readonly number[], opts: BatchingOptions): number[][] {
  const unit = opts.unit ?? 'sentences';
  if (!(opts.batchSize >= 1)) throw new Error(`batching: batchSize must be >= 1, got ${opts.batchSize}`);
  if (unit !== 'sentences' && unit !== 'tokens') throw new Error(`batching: unit must be 'sentences' or 'tokens', got ${String(unit)}`);
  const groups: number[][] = [];
  let cur: number[] = [];
  let maxLen = 0;
  for (const i of order) {
    const p = pairs[i];
    if (p === undefined) throw new Error(`batching: index ${i} out of range [0, ${pairs.length})`);
    const len = pairCost(p);
    const fits = unit === 'sentences'
      ? cur.length < opts.batchSize
      : (cur.length + 1) * Math.max(maxLen, len) <= opts.batchSize;
    if (!fits && cur.length > 0) {
      groups.push(cur);
      cur = [];
      maxLen = 0;
    }
    cur.push(i);
    maxLen = Math.max(maxLen, len);
  }
  if (cur.length > 0) groups.push(cur);
  return groups;
}

/** Indices sorted by (source length, target length), stable. */
function sortByLength(pairs: readonly IdPair[], order: number[]): number[] {
  return order.sort((a, b) => {
    const pa = pairs[a] as IdPair;
    const pb = pairs[b] as IdPair;
    return pa.src.length - pb.src.length || pa.tgt.length - pb.tgt.length;
  });
}

export class Batcher {
  private readonly pairs: readonly IdPair[];
  private readonly opts: BatcherOptions;
  private readonly rng: Rng;
  private epochStart: number[] = [];
  private plan: number[][] = [];
  private epochNo = 0;
  private pos = 0;

  constructor(pairs: readonly IdPair[], opts: BatcherOptions) {
    if (pairs.length === 0) throw new Error('Batcher: no pairs');
    this.pairs = pairs;
    this.opts = opts;
    this.rng = new Rng(opts.seed);
    this.planEpoch();
  }

  get epoch(): number {
    return this.epochNo;
  }

  /** Batches already returned in the current epoch. */
  get position(): number {
    return this.pos;
  }

  get batchesPerEpoch(): number {
    return this.plan.length;
  }

  /** Pair indices of the batches of the current epoch, in order (copies). */
  epochPlan(): number[][] {
    return this.plan.map((g) => [...g]);
  }

  /** Indices of the next batch; moves to the next epoch after the last batch of this one. */
  nextIndices(): number[] {
    if (this.pos >= this.plan.length) {
      this.epochNo++;
      this.planEpoch();
    }
    const g = this.plan[this.pos] as number[];
    this.pos++;
    return [...g];
  }

  /** The next batch (see nextIndices). */
  next(): Batch {
    const idx = this.nextIndices();
    return makeBatch(idx.map((i) => this.pairs[i] as IdPair), idx);
  }

  /** True when the current epoch has no batch left (the next call starts a new epoch). */
  get epochDone(): boolean {
    return this.pos >= this.plan.length;
  }

  state(): BatcherState {
    return { epoch: this.epochNo, position: this.pos, rng: [...this.epochStart] };
  }

  setState(s: BatcherState): void {
    if (!Number.isInteger(s.epoch) || s.epoch < 0 || !Number.isInteger(s.position) || s.position < 0 || !Array.isArray(s.rng) || s.rng.length !== 4) {
      throw new Error(`Batcher.setState: expected { epoch, position, rng: 4 words }, got ${JSON.stringify(s)}`);
    }
    this.rng.setState([...s.rng, NaN]);
    this.epochNo = s.epoch;
    this.planEpoch();
    if (s.position > this.plan.length) {
      throw new Error(`Batcher.setState: position ${s.position} beyond the ${this.plan.length} batches of the epoch`);
    }
    this.pos = s.position;
  }

  private planEpoch(): void {
    this.epochStart = this.rng.getState().slice(0, 4);
    const order = Array.from({ length: this.pairs.length }, (_, i) => i);
    const shuffle = this.opts.shuffle ?? true;
    if (shuffle) this.rng.shuffle(order);
    const plan = planBatches(this.pairs, sortByLength(this.pairs, order), this.opts);
    if (shuffle) this.rng.shuffle(plan);
    this.plan = plan;
    this.pos = 0;
  }
}

export interface EvalBatchOptions extends BatchingOptions {
  /** Group by length to reduce padding (indices still name the original positions). Default false: corpus order. */
  sortByLength?: boolean;
}

/** Deterministic batches for evaluation; `batch.indices` give each row's position in `pairs`. */
export function evalBatches(pairs: readonly IdPair[], opts: EvalBatchOptions): Batch[] {
  const order = Array.from({ length: pairs.length }, (_, i) => i);
  const groups = planBatches(pairs, opts.sortByLength ? sortByLength(pairs, order) : order, opts);
  return groups.map((g) => makeBatch(g.map((i) => pairs[i] as IdPair), g));
}
