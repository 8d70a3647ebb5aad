/**
 * What every model family gives the rest of attnmt, and the one place models are built.
 *
 * `TranslationModel` is the family-neutral interface: the step decoder greedy and beam search drive
 * (src/decode/common.ts), the teacher-forced loss training minimizes, teacher-forced attention for
 * alignment and explanation, and a description. The translate layer, alignment, evaluation, the
 * trainer and the server use only this interface, never a concrete class. `Seq2Seq` (the RNN
 * encoder-decoder, with or without attention) and `Ensemble` implement it.
 *
 * `createModel` and `loadModel` are the only places that pick a model class for a config: a new
 * model family is one more branch there.
 */
import type { Batch } from '../data/batch.js';
import type { StepDecoder } from '../decode/common.js';
import { registerInt8 } from '../engine/int8.js';
import type { Rng } from '../engine/random.js';
import { shapeSize, shapeStr, type Tensor } from '../engine/tensor.js';
import { CheckpointError, type CheckpointContents } from './checkpoint.js';
import { ModelConfigError, type ModelConfig } from './config.js';
import { Seq2Seq } from './seq2seq.js';
import { Transformer } from './transformer/model.js';

export interface LossOptions {
  /** ε of label smoothing. Default 0. */
  labelSmoothing?: number;
}

export interface LossResult {
  /** Scalar: sum of the token losses (smoothed when labelSmoothing > 0). */
  loss: Tensor;
  /** Number of real target tokens. */
  ntokens: number;
  /** Sum of -log p(target) over the real target tokens (no smoothing). */
  nll: number;
}

export interface TranslationModel<S = unknown, M = unknown> extends StepDecoder<S, M> {
  /** The configuration (an ensemble's: its first member's). */
  readonly config: ModelConfig;
  /** True when decodeStep gives attention weights (false for the fixed-context baseline). */
  readonly hasAttention: boolean;
  /** The attention in one word: 'additive', 'dot', 'general', 'none' (the baseline); an ensemble joins its members' with '+'. */
  readonly attentionKind: string;
  /** One line for people, e.g. "GRU 1x256, bidirectional encoder, additive attention, embeddings 256". */
  summary(): string;
  /** Every parameter by hierarchical name. */
  parameters(): Map<string, Tensor>;
  /** Number of scalar parameters. */
  parameterCount(): number;
  /** Dropout on (training) or off. */
  setTraining(on: boolean): void;
  /** Teacher-forced loss of a batch (src, tgtIn, tgtOut) under the active Tape. */
  loss(batch: Batch, opts?: LossOptions): LossResult;
  /**
   * Teacher-forced attention of every pair of a batch, in batch order: per sentence one row per
   * target token (its words, then EOS), each over the real source tokens (EOS included). Empty rows
   * lists for a model without attention.
   */
  forcedAttention(batch: Batch): Float32Array[][];
}

/**
 * Every layer's and every head's attention of one teacher-forced pair, over its real tokens only:
 * [layer][head][query][key]. Rows are distributions (each sums to 1); a decoder self-attention row t
 * is 0 beyond key t (causal). Queries of the decoder are its inputs: BOS, then the target tokens.
 */
export interface HeadAttention {
  /** (L_enc, H, S, S): source token over source tokens (EOS included). */
  encoderSelf: number[][][][];
  /** (L_dec, H, T, T): decoder input over decoder inputs (BOS, y_1, ..). */
  decoderSelf: number[][][][];
  /** (L_dec, H, T, S): decoder input over source tokens. */
  cross: number[][][][];
  /** The decoder layer whose head-mean cross-attention is the model's alignment (`weights`). */
  alignmentLayer: number;
}

/** A model with layers and heads of attention (a Transformer) gives them per pair, on request. */
export interface HeadAttentionSource {
  /** Teacher-forced attention of every layer and head, per pair of the batch (rows: its tgtLengths). */
  headAttention(batch: Batch): HeadAttention[];
}

/** Whether a model gives every layer's and head's attention (a Transformer does; an RNN or an ensemble does not). */
export function hasHeadAttention(model: object): model is HeadAttentionSource {
  return typeof (model as Partial<HeadAttentionSource>).headAttention === 'function';
}

/** A model that trains: its dropout random stream is part of a training checkpoint. */
export interface TrainableModel<S = unknown, M = unknown> extends TranslationModel<S, M> {
  readonly rng: Rng;
}

export interface CreateOptions {
  /** false: parameters stay zero (about to be loaded from a checkpoint). Default true. */
  initialize?: boolean;
}

/**
 * Most parameters a model may have: 2^28 (268M, 1 GiB of float32 weights; training holds 4 floats per parameter:
 * weights, gradients and Adam's two moments). A bigger config is refused before anything is allocated: it would
 * not fit in WebAssembly's 4 GiB memory, and initializing it takes minutes.
 */
export const MAX_PARAMETERS = 2 ** 28;

/** A new model of the config's family (config.arch), its parameters initialized from `seed`. */
export function createModel(config: ModelConfig, seed: number, opts: CreateOptions = {}): TrainableModel {
  checkModelSize(config);
  return buildModel(config, seed, opts);
}

function buildModel(config: ModelConfig, seed: number, opts: CreateOptions & { shapesOnly?: boolean }): TrainableModel {
  return config.arch === 'transformer' ? new Transformer(config, seed, opts) : new Seq2Seq(config, seed, opts);
}

/** Name -> shape of every parameter a config implies (nothing is allocated). */
export function parameterShapes(config: ModelConfig): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  for (const [n, t] of buildModel(config, 0, { shapesOnly: true }).parameters()) shapes.set(n, [...t.shape]);
  return shapes;
}

/** Scalar parameters a config implies, counted without allocating them. */
export function countParameters(config: ModelConfig): number {
  let n = 0;
  for (const shape of parameterShapes(config).values()) n += shapeSize(shape);
  return n;
}

/**
 * Refuse a config with more than MAX_PARAMETERS parameters (a ModelConfigError saying how much memory it
 * would need and which keys make it big), before anything is allocated. `source` starts the message.
 */
export function checkModelSize(config: ModelConfig, source = 'model'): void {
  const n = countParameters(config);
  if (n <= MAX_PARAMETERS) return;
  const keys = config.arch === 'transformer'
    ? `dModel ${config.dModel}, ffn ${config.ffn}, layers ${config.encoderLayers}+${config.decoderLayers}`
    : `hidden ${config.hidden}, embedding ${config.embedding}, layers ${config.layers}`;
  throw new ModelConfigError(
    `${source}: ${formatCount(n)} parameters (${keys}, vocabularies ${config.srcVocabSize}/${config.tgtVocabSize}) would need ` +
      `${formatBytes(n * 4)} for the weights and ${formatBytes(n * 16)} to train; the limit is ${formatCount(MAX_PARAMETERS)} parameters (${formatBytes(MAX_PARAMETERS * 4)} of weights)`,
  );
}

function formatCount(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)}G` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : `${(n / 1e3).toFixed(1)}k`;
}

function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
}

/** The model a checkpoint holds: its config's family, with its weights. */
export function loadModel(c: CheckpointContents, name = 'checkpoint'): TrainableModel {
  checkModelSize(c.config, name);
  const model = buildModel(c.config, 0, { initialize: false });
  const own = model.parameters();
  checkParameters(c.params, parameterShapes(c.config), name);
  for (const [n, p] of own) p.data.set((c.params.get(n) as Tensor).data);
  // An int8 checkpoint: products with these weights take the int8 GEMM.
  for (const [n, q] of c.quantized ?? []) registerInt8((own.get(n) as Tensor).data, q);
  return model;
}

/** Throws a CheckpointError listing every missing, misshapen or unexpected tensor. */
export function checkParameters(params: ReadonlyMap<string, Tensor>, expected: ReadonlyMap<string, number[]>, name: string): void {
  const problems: string[] = [];
  for (const [n, shape] of expected) {
    const t = params.get(n);
    if (t === undefined) problems.push(`missing parameter '${n}' ${shapeStr(shape)}`);
    else if (shapeStr(t.shape) !== shapeStr(shape)) {
      problems.push(`parameter '${n}' has shape ${shapeStr(t.shape)}, the config needs ${shapeStr(shape)}`);
    }
  }
  for (const n of params.keys()) {
    if (!expected.has(n)) problems.push(`unexpected tensor '${n}' (not a parameter of this config)`);
  }
  if (problems.length > 0) {
    // One line (the command line's rule for errors): the first few problems, and how many more there are.
    const more = problems.length > 3 ? `; and ${problems.length - 3} more` : '';
    throw new CheckpointError(name, `weights do not match the config: ${problems.slice(0, 3).join('; ')}${more}`);
  }
}
