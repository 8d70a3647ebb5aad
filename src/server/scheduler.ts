/**
 * Fair scheduling of translation work over a model's worker threads (lanes).
 *
 * A request is split into chunks of sentences (`splitIntoChunks`: similar lengths together, each chunk at most
 * `budget` work units, a costlier sentence alone), and idle lanes take chunks round-robin across requests: the
 * next chunk comes from the waiting request that has started the fewest chunks (the earliest on ties), so a
 * request that arrives behind a big one runs its first chunk as soon as a lane is free, never after the whole
 * of the big request. A lane can be limited to cheap chunks (`maxCost`): with one
 * such lane, a request that fits it is never stuck behind chunks of long sentences.
 *
 * Work units are the caller's (the server counts characters x beam). Pure bookkeeping: the worker threads,
 * results and cancellation are model-translator.ts's.
 */

/** Work units of one sentence: its characters times the beam (a decode's steps and rows grow with both). */
export function sentenceWork(text: string, beam: number): number {
  return text.length * beam;
}

/** Sentences of one request decoded together, by index into the request; `cost` is their summed cost. */
export interface Chunk {
  indices: number[];
  cost: number;
}

/**
 * Split sentences with these costs into chunks: sorted by cost (ties by index), consecutive sentences grouped
 * while the chunk stays within `budget`; a sentence costing more than `budget` is a chunk by itself. Chunks come
 * cheapest first.
 */
export function splitIntoChunks(costs: readonly number[], budget: number): Chunk[] {
  if (!(budget > 0)) throw new RangeError(`splitIntoChunks: budget must be > 0, got ${budget}`);
  const order = costs.map((_, i) => i).sort((a, b) => (costs[a] as number) - (costs[b] as number) || a - b);
  const chunks: Chunk[] = [];
  let current: Chunk | null = null;
  for (const i of order) {
    const c = costs[i] as number;
    if (current !== null && current.cost + c <= budget) {
      current.indices.push(i);
      current.cost += c;
    } else {
      current = { indices: [i], cost: c };
      chunks.push(current);
    }
  }
  return chunks;
}

interface JobState<J> {
  job: J;
  /** Chunks not started, cheapest first. */
  pending: Chunk[];
  /** Chunks running, by lane. */
  running: Set<number>;
  /** Chunks started so far. */
  started: number;
}

/** What a lane should run next. */
export interface Assignment<J> {
  job: J;
  chunk: Chunk;
}

export class FairScheduler<J> {
  private readonly jobs: JobState<J>[] = [];
  private readonly byJob = new Map<J, JobState<J>>();
  private readonly busy: (J | null)[];

  /** One entry per lane: the costliest chunk it takes (Infinity: any). */
  constructor(private readonly laneMaxCost: readonly number[]) {
    if (laneMaxCost.length === 0) throw new RangeError('FairScheduler: at least one lane');
    if (!laneMaxCost.some((c) => c === Infinity)) throw new RangeError('FairScheduler: at least one lane must take any chunk');
    this.busy = laneMaxCost.map(() => null);
  }

  get lanes(): number {
    return this.laneMaxCost.length;
  }

  /** Jobs with chunks pending or running. */
  get size(): number {
    return this.jobs.length;
  }

  add(job: J, chunks: readonly Chunk[]): void {
    if (this.byJob.has(job)) throw new Error('FairScheduler: job added twice');
    if (chunks.length === 0) throw new Error('FairScheduler: a job needs at least one chunk');
    const state: JobState<J> = { job, pending: [...chunks].sort((a, b) => a.cost - b.cost), running: new Set(), started: 0 };
    this.jobs.push(state);
    this.byJob.set(job, state);
  }

  /** Lanes that are idle now. */
  idleLanes(): number[] {
    return this.busy.flatMap((j, lane) => (j === null ? [lane] : []));
  }

  /**
   * The next chunk for an idle `lane`: from the job that has started the fewest chunks (the earliest added on
   * ties) among those with a pending chunk the lane takes (its costliest one that fits); null when there is none.
   */
  next(lane: number): Assignment<J> | null {
    if (this.busy[lane] !== null) throw new Error(`FairScheduler: lane ${lane} is busy`);
    const max = this.laneMaxCost[lane] as number;
    let best: JobState<J> | null = null;
    let bestChunk = -1;
    for (const state of this.jobs) {
      if (best !== null && state.started >= best.started) continue;
      for (let c = state.pending.length - 1; c >= 0; c--) {
        if ((state.pending[c] as Chunk).cost <= max) {
          best = state;
          bestChunk = c;
          break;
        }
      }
    }
    if (best === null) return null;
    const [chunk] = best.pending.splice(bestChunk, 1) as [Chunk];
    best.running.add(lane);
    best.started++;
    this.busy[lane] = best.job;
    return { job: best.job, chunk };
  }

  /** `lane` finished its chunk; true when that was the job's last chunk (the job is then removed). */
  finish(lane: number): boolean {
    const job = this.busy[lane];
    if (job === null || job === undefined) throw new Error(`FairScheduler: lane ${lane} is idle`);
    this.busy[lane] = null;
    const state = this.byJob.get(job);
    if (state === undefined) return false; // removed while running
    state.running.delete(lane);
    if (state.pending.length > 0 || state.running.size > 0) return false;
    this.drop(state);
    return true;
  }

  /**
   * Forget `job` (cancelled or failed): its pending chunks are dropped; returns the lanes still running its
   * chunks (they stay busy until `finish`).
   */
  remove(job: J): number[] {
    const state = this.byJob.get(job);
    if (state === undefined) return [];
    this.drop(state);
    return [...state.running];
  }

  private drop(state: JobState<J>): void {
    this.jobs.splice(this.jobs.indexOf(state), 1);
    this.byJob.delete(state.job);
  }
}
