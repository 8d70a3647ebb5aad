/**
 * Pieces shared by greedy and beam search: the hypothesis type, the length rules, the GNMT length
 * penalty, the pooled inference arena and the step bookkeeping (which sentence each row belongs to).
 */
import type { Batch } from '../data/batch.js';
import { BOS, PAD } from '../data/vocab.js';
import { withResidentParameters } from '../engine/gemm.js';
import { Tape, Tensor, withTape } from '../engine/tensor.js';

export interface Hypothesis {
  /** Target ids, without BOS and EOS. */
  tokens: number[];
  /** Sum of the log-probabilities of every output token (EOS included when it was produced). */
  score: number;
  /** score / lengthPenalty(steps, alpha); equals score for greedy (alpha 0). */
  normScore: number;
  /**
   * One row per decoder step (each output token, plus the final EOS step when the hypothesis ended
   * with EOS; a hypothesis cut at the maximum length has no EOS row), each of length = real source
   * length (EOS included). Empty for the fixed-context baseline, which has no attention weights.
   */
  attention: Float32Array[];
  /** True when the hypothesis ended with EOS, false when it was cut at the maximum length. */
  finished: boolean;
}

/**
 * What greedy and beam search need of a model: start on a batch (encode, initial state, attention
 * memory), one decoder step for N rows, and row selection for the state and the memory. A Seq2Seq
 * is one; so is an Ensemble of them (src/model/ensemble.ts). S and M are the model's own state and
 * memory types (methods, so a StepDecoder<DecoderState, AttentionMemory> is a StepDecoder<unknown, unknown>).
 */
export interface StepDecoder<S, M> {
  inferenceMode<T>(fn: () => T): T;
  /** The decoder state and attention memory for the batch's sources. */
  startDecoding(batch: Batch): { state: S; memory: M };
  /** prev (N) previous target ids -> log p (N, Vt), alpha_t (N, S) or null, the next state. */
  decodeStep(prev: Int32Array, state: S, memory: M): { state: S; logProbs: Tensor; weights: Tensor | null };
  /**
   * Optional, for greedy search: decodeStep's chosen word of each row (the first of largest
   * log-probability among the ids `canEmit` allows) and its log-probability, without the (N, Vt)
   * log-probabilities. Must give exactly what argmaxRow over decodeStep's log-probabilities gives.
   */
  greedyStep?(prev: Int32Array, state: S, memory: M): { state: S; words: Int32Array; logProbs: Float32Array; weights: Tensor | null };
  /** Row r of the result is row rows[r] of `state`. */
  selectState(state: S, rows: Int32Array): S;
  /** Row r of the result reads sentence rows[r] of `memory`. */
  selectMemory(memory: M, rows: Int32Array): M;
}

/** Checked before every decoder step: once `aborted` is true the decode throws DecodeAbortedError (an AbortSignal is one). */
export interface StopSignal {
  readonly aborted: boolean;
}

/** A decode stopped by its StopSignal (the server's client went away, or its time ran out). */
export class DecodeAbortedError extends Error {
  constructor() {
    super('decoding was stopped');
    this.name = 'DecodeAbortedError';
  }
}

/** Throw DecodeAbortedError when `signal` says stop. */
export function checkStop(signal: StopSignal | undefined): void {
  if (signal?.aborted === true) throw new DecodeAbortedError();
}

export interface LengthOptions {
  /** Maximum decoder steps as a ratio of the real source length (EOS included). Default 2. */
  maxLenRatio?: number;
  /** Maximum decoder steps, for every sentence (overrides maxLenRatio). */
  maxLen?: number;
  /** Stop between decoder steps when this says so (throws DecodeAbortedError). */
  signal?: StopSignal;
}

/** Per sentence, the maximum number of decoder steps (EOS step included). */
export function maxSteps(batch: Batch, opts: LengthOptions): Int32Array {
  const out = new Int32Array(batch.size);
  const ratio = opts.maxLenRatio ?? 2;
  if (opts.maxLen !== undefined && !(Number.isInteger(opts.maxLen) && opts.maxLen >= 1)) {
    throw new RangeError(`decode: maxLen must be a whole number >= 1, got ${opts.maxLen}`);
  }
  if (!(ratio > 0)) throw new RangeError(`decode: maxLenRatio must be > 0, got ${ratio}`);
  for (let i = 0; i < batch.size; i++) {
    out[i] = opts.maxLen ?? Math.max(1, Math.ceil(ratio * batch.srcLengths[i]));
  }
  return out;
}

/** GNMT length penalty (Wu et al. 2016, eq. 14): lp(Y) = ((5 + |Y|) / 6)^alpha. */
export function lengthPenalty(length: number, alpha: number): number {
  return alpha === 0 ? 1 : Math.pow((5 + length) / 6, alpha);
}

/**
 * Pooled buffers for decoding. The encoder output and the batch's attention memory live on the batch
 * tape; decoder steps alternate between two step tapes (a step reads the state the previous step left
 * on the other tape, then the tape before that is reset), and the per-row attention memory lives on
 * its own tape, rebuilt from the batch memory when the rows change. Once the pools are warm a decoding
 * step allocates no Float32Array. Nothing made here may escape: copy results out.
 */
export class InferenceArena {
  private readonly batchTape = new Tape({ record: false });
  private readonly memoryTape = new Tape({ record: false });
  private readonly stepTapes = [new Tape({ record: false }), new Tape({ record: false })];
  private turn = 0;

  /** Encoder and batch-level memory. */
  inBatch<T>(fn: () => T): T {
    return withTape(this.batchTape, fn);
  }

  /** Per-row memory: the previous one is dropped. */
  inMemory<T>(fn: () => T): T {
    this.memoryTape.reset();
    return withTape(this.memoryTape, fn);
  }

  /** A new decoder step: resets the tape of the step before the previous one. */
  nextStep<T>(fn: () => T): T {
    this.turn ^= 1;
    const tape = this.stepTapes[this.turn] as Tape;
    tape.reset();
    return withTape(tape, fn);
  }

  /** More work belonging to the current step (selecting the rows that go on). */
  sameStep<T>(fn: () => T): T {
    return withTape(this.stepTapes[this.turn] as Tape, fn);
  }

  /** Floats held by all the arena's tapes (handed out plus pooled), for memory checks. */
  heldFloats(): number {
    return [this.batchTape, this.memoryTape, ...this.stepTapes].reduce((n, t) => n + t.heldFloats(), 0);
  }

  reset(): void {
    this.batchTape.reset();
    this.memoryTape.reset();
    for (const t of this.stepTapes) t.reset();
  }
}

/** One arena for the process: decoding is synchronous, so calls never overlap. */
let shared = new InferenceArena();

/**
 * Drop the arena's pooled buffers (they keep the size of the largest decode so far): a server calls this after
 * a large request so its memory goes back down. The next decode warms a new pool.
 */
export function releaseDecodeBuffers(): void {
  shared = new InferenceArena();
}

/**
 * Run a whole decode with the shared arena, resetting it before and after. The model's parameters
 * stay resident in the GEMM engine's memory for the decode (they are not written while it runs).
 */
export function withArena<T>(fn: (arena: InferenceArena) => T): T {
  shared.reset();
  try {
    return withResidentParameters(() => fn(shared));
  } finally {
    shared.reset();
  }
}

/** Row `row` of weights (N, S), first `len` entries, copied out of the arena. */
export function attentionRow(weights: Tensor | null, row: number, len: number): Float32Array | null {
  if (weights === null) return null;
  const s = weights.shape[1] as number;
  return weights.data.slice(row * s, row * s + len);
}

/** Whether decoding may output this id: never PAD or BOS (they are inputs only). */
export function canEmit(id: number): boolean {
  return id !== PAD && id !== BOS;
}

/** Index of the largest entry of row `row` of x (N, V) among the ids decoding may output (the first on ties). */
export function argmaxRow(x: Float32Array, row: number, width: number): number {
  const o = row * width;
  let best = -1;
  let bestV = -Infinity;
  for (let j = 0; j < width; j++) {
    const xj = x[o + j];
    // canEmit(j) checked only for a candidate (it excludes two ids).
    if ((best < 0 || xj > bestV) && canEmit(j)) {
      bestV = xj;
      best = j;
    }
  }
  return best;
}
