/**
 * Explain a translation, step by step: for every decoder step t, the numbers of the lesson attention
 * implements, for one real sentence and a real trained model.
 *
 *   s_t                      the decoder state (the attention's query)
 *   e_ti                     the raw score of every source token, before the softmax
 *   alpha_ti = softmax(e_t)  the weights, summing to 1
 *   c_t = Σ_i alpha_ti h_i   the context; `context_check` is max_j |c_tj - Σ_i alpha_ti h_ij|, recomputed
 *                            here (in float64) from the very weights and encoder states returned
 *   h~_t = tanh(W_c [c_t; s_t] + b_c)   the feed-forward layer over the concatenation
 *   p(y_t | y_<t, x)         the top N next words, the chosen one marked
 *
 * The fixed-context baseline (`attention: none`) has no scores and no weights: its context is the
 * encoder's final state, the same at every step (`fixed_context: true`, and `context_check` compares
 * c_t with that one vector). A Transformer gives the same per decoder layer and head of its
 * cross-attention (`heads`); the step's own `weights` and `context` are those of one layer (default the
 * layer the model aligns with), its `weights` the head mean `translate --attention` reports.
 *
 * Which path is explained: the greedy one (the model's own choices, one at a time), a given
 * translation (`target`: teacher forcing, each step also gives the probability and the rank of the
 * forced word), or the best hypothesis of a beam search (`beam` > 1): the search runs first, then its
 * best hypothesis is forced, so every number is the one the search computed along that path.
 * Tokens are shown as the model produced them (no unknown-word replacement). Runs in the browser.
 */
import { makeSourceBatch } from '../data/batch.js';
import { BOS, EOS } from '../data/vocab.js';
import { beamSearch } from '../decode/beam.js';
import { argmaxRow, canEmit, maxSteps, withArena } from '../decode/common.js';
import { isExplainable, type AttentionInside, type ExplainMemory, type StepInside } from '../model/explain.js';
import { Transformer } from '../model/transformer/model.js';
import { InputError } from '../util/errors.js';
import { EOS_TOKEN, type TranslatorParts } from './translate.js';

/** A request `explain` cannot serve (no sentence, a model that cannot explain, a step that does not exist). */
export class ExplainError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'ExplainError';
  }
}

export interface ExplainOptions {
  /** Force this translation (teacher forcing) instead of decoding. */
  target?: string;
  /** Next-word candidates shown per step (default 5). */
  top?: number;
  /** Only this step (1-based); default every step. */
  step?: number;
  /** > 1: explain the best hypothesis of a beam search of this size (forced). Default 1 (greedy). */
  beam?: number;
  /** Length penalty of that beam search. Default 0.6. */
  alpha?: number;
  /** Most decoder steps, as a ratio of the source length (greedy). Default 2. */
  maxLenRatio?: number;
  /** Transformer: the decoder layer the step's weights and context describe (default: the model's alignment layer). */
  layer?: number;
}

/** One next-word candidate. */
export interface ExplainTop {
  token: string;
  p: number;
  /** The word this step produced (or was forced to). */
  chosen: boolean;
}

/** One cross-attention head of a Transformer at one step. */
export interface ExplainHead {
  layer: number;
  head: number;
  /** q·k_i / sqrt(dHead), before the softmax. */
  scores: number[];
  weights: number[];
  weight_sum: number;
  context_norm: number;
  context_check: number;
}

export interface ExplainStep {
  /** 1-based decoder step. */
  t: number;
  /** The word fed in (y_{t-1}; "<s>" at step 1). */
  input: string;
  /** The word this step produced (or was forced to). */
  token: string;
  /** Its probability. */
  p: number;
  /** Its rank among all target words by probability (1: the model's own first choice). */
  rank: number;
  /** Raw scores over source_tokens before the softmax; null for the baseline and for a Transformer (see heads). */
  scores: number[] | null;
  /** Weights over source_tokens after the softmax; null for the fixed-context baseline. */
  weights: number[] | null;
  weight_sum: number | null;
  /** s_t: its norm and its values. */
  state_norm: number;
  state: number[];
  /** c_t: its norm and its values (a Transformer: the layer's head contexts side by side). */
  context_norm: number;
  context: number[];
  /** max |c_t - Σ_i alpha_ti h_i| (the baseline: max |c_t - the fixed context|). */
  context_check: number;
  /** True for the baseline: the same context at every step. */
  fixed_context: boolean;
  /** h~_t = tanh(W_c [c_t; s_t] + b_c) (RNN); null for a Transformer. */
  attentional_norm: number | null;
  attentional: number[] | null;
  /** The N most probable next words, best first. */
  top: ExplainTop[];
  /** Transformer: every layer's and head's cross-attention. */
  heads?: ExplainHead[];
}

export interface ExplainResult {
  /** The model in one line. */
  model: string;
  /** 'additive', 'dot', 'general', 'none' (fixed context) or 'multi-head'. */
  attention: string;
  /** 'greedy', 'forced' (a given translation) or 'beam' (the best hypothesis of a beam search, forced). */
  mode: 'greedy' | 'forced' | 'beam';
  beam: number;
  source: string;
  /** The source as the model read it, then '</s>' (the entries of scores and weights). */
  source_tokens: string[];
  /** One per step: the produced (or forced) words, then '</s>' when the sentence ended. */
  target_tokens: string[];
  /** The translation as text. */
  text: string;
  /** Sum of the steps' log-probabilities. */
  score: number;
  /** Source words read as <unk>; with `target`, target words read as <unk> are in unknown_target. */
  unknown: string[];
  unknown_target: string[];
  /** RNN: the encoder states h_i (one per source token), what contexts are weighted sums of; null for a Transformer. */
  encoder_states: number[][] | null;
  /** The baseline's one context (the encoder's final state); null with attention. */
  fixed_context: number[] | null;
  /** Transformer: the layer the steps' weights and context describe. */
  layer?: number;
  /** The steps explained (all, or the one asked for), in order. */
  steps: ExplainStep[];
}

/** Explain the translation of one sentence (see the file comment). */
export function explain(parts: TranslatorParts, text: string, opts: ExplainOptions = {}): ExplainResult {
  const { model, srcVocab, tgtVocab, codec } = parts;
  if (!isExplainable(model)) throw new ExplainError(`${model.summary()}: explain works on one model, not an ensemble`);
  const top = opts.top ?? 5;
  if (!(Number.isInteger(top) && top >= 1)) throw new ExplainError(`top must be a whole number >= 1, got ${top}`);
  const beam = opts.beam ?? 1;
  if (!(Number.isInteger(beam) && beam >= 1)) throw new ExplainError(`beam must be a whole number >= 1, got ${beam}`);
  if (opts.target !== undefined && beam > 1) throw new ExplainError('give either a target to force or a beam size, not both');
  const layer = transformerLayer(model, opts.layer);
  const srcTokens = codec.source(text);
  if (srcTokens.length === 0) throw new ExplainError('explain: the sentence has no words');
  const ids = srcVocab.encode(srcTokens);
  const batch = makeSourceBatch([ids]);
  let forced: number[] | null = null;
  let unknownTarget: string[] = [];
  if (opts.target !== undefined) {
    const tgtTokens = codec.target(opts.target);
    if (tgtTokens.length === 0) throw new ExplainError('explain: the forced translation has no words');
    unknownTarget = tgtTokens.filter((t) => !tgtVocab.has(t));
    forced = [...tgtVocab.encode(tgtTokens), EOS];
  } else if (beam > 1) {
    const [lists] = model.inferenceMode(() => beamSearch(model, batch, { beamSize: beam, nbest: 1, alpha: opts.alpha ?? 0.6, maxLenRatio: opts.maxLenRatio }));
    const best = lists?.[0];
    if (best === undefined) throw new Error('explain: beam search gave no hypothesis');
    forced = best.finished ? [...best.tokens, EOS] : best.tokens;
  }
  const limit = forced?.length ?? (maxSteps(batch, { maxLenRatio: opts.maxLenRatio })[0] as number);
  const show = (id: number): string => codec.display(tgtVocab.decode([id])[0] as string);
  const sourceTokens = [...srcTokens, EOS_TOKEN];
  const steps: ExplainStep[] = [];
  const produced: number[] = [];
  let score = 0;
  let memoryView: ExplainMemory | null = null;
  model.inferenceMode(() =>
    withArena((arena) => {
      const begin = arena.inBatch(() => model.startDecoding(batch));
      memoryView = model.explainMemory(begin.memory, 0);
      const view = memoryView;
      let state = begin.state;
      let prev = BOS;
      for (let t = 0; t < limit; t++) {
        const r = arena.nextStep(() => model.explainStep(Int32Array.of(prev), state, begin.memory));
        state = r.state;
        const logProbs = r.logProbs.data;
        const word = forced === null ? argmaxRow(logProbs, 0, logProbs.length) : (forced[t] as number);
        const inside = r.inside[0] as StepInside;
        score += logProbs[word] as number;
        steps.push(describeStep(t + 1, t === 0 ? '<s>' : show(prev), word, logProbs, inside, view, { top, show, layer }));
        produced.push(word);
        if (word === EOS) break;
        prev = word;
      }
    }),
  );
  const words = produced.filter((id) => id !== EOS);
  const view = memoryView as ExplainMemory | null;
  const isTransformer = model instanceof Transformer;
  if (opts.step !== undefined && !(Number.isInteger(opts.step) && opts.step >= 1 && opts.step <= steps.length)) {
    throw new ExplainError(`step ${opts.step} does not exist: this translation has steps 1..${steps.length}`);
  }
  return {
    model: model.summary(),
    attention: model.attentionKind,
    mode: opts.target !== undefined ? 'forced' : beam > 1 ? 'beam' : 'greedy',
    beam,
    source: text,
    source_tokens: sourceTokens,
    target_tokens: produced.map((id) => (id === EOS ? EOS_TOKEN : show(id))),
    text: codec.detokenize(tgtVocab.decode(words)),
    score,
    unknown: srcTokens.filter((t) => !srcVocab.has(t)),
    unknown_target: unknownTarget,
    encoder_states: view === null || isTransformer ? null : (view.values[0] ?? []).map((h) => Array.from(h)),
    fixed_context: view?.fixedContext ? Array.from(view.fixedContext) : null,
    ...(layer === undefined ? {} : { layer }),
    steps: opts.step === undefined ? steps : steps.slice(opts.step - 1, opts.step),
  };
}

/** The Transformer layer steps describe (checked), or undefined for an RNN. */
function transformerLayer(model: object, layer: number | undefined): number | undefined {
  if (!(model instanceof Transformer)) {
    if (layer !== undefined) throw new ExplainError('layer: only a Transformer has several attention layers');
    return undefined;
  }
  const l = layer ?? model.alignmentLayer;
  const n = model.config.decoderLayers;
  if (!(Number.isInteger(l) && l >= 0 && l < n)) throw new ExplainError(`layer must be 0..${n - 1}, got ${l}`);
  return l;
}

interface DescribeOptions {
  top: number;
  show: (id: number) => string;
  layer: number | undefined;
}

function describeStep(t: number, input: string, word: number, logProbs: Float32Array, inside: StepInside, memory: ExplainMemory, o: DescribeOptions): ExplainStep {
  const lp = logProbs[word] as number;
  let rank = 1;
  for (let j = 0; j < logProbs.length; j++) if (canEmit(j) && (logProbs[j] as number) > lp) rank++;
  const base = {
    t,
    input,
    token: o.show(word),
    p: Math.exp(lp),
    rank,
    state_norm: norm(inside.state),
    state: Array.from(inside.state),
    top: topWords(logProbs, o.top, word).map((id) => ({ token: o.show(id), p: Math.exp(logProbs[id] as number), chosen: id === word })),
  };
  if (inside.heads !== null) {
    const layer = o.layer ?? 0;
    const heads = inside.heads.flatMap((hs, l) => hs.map((h, k) => describeHead(l, k, h, memory.values[l] ?? [])));
    const mine = heads.filter((h) => h.layer === layer);
    const weights = (mine[0]?.weights ?? []).map((_, i) => mine.reduce((s, h) => s + (h.weights[i] as number), 0) / mine.length);
    const context = (inside.heads[layer] ?? []).flatMap((h) => Array.from(h.context));
    return {
      ...base, scores: null, weights, weight_sum: sum(weights), context_norm: norm(context), context,
      context_check: Math.max(...mine.map((h) => h.context_check)), fixed_context: false, attentional_norm: null, attentional: null, heads,
    };
  }
  const context = inside.context as Float32Array;
  const a = inside.attention;
  const check = a === null ? maxDiff(context, memory.fixedContext ?? new Float32Array(context.length)) : contextCheck(a, memory.values[0] ?? [], 0);
  const attentional = inside.attentional as Float32Array;
  return {
    ...base,
    scores: a === null ? null : Array.from(a.scores),
    weights: a === null ? null : Array.from(a.weights),
    weight_sum: a === null ? null : sum(a.weights),
    context_norm: norm(context),
    context: Array.from(context),
    context_check: check,
    fixed_context: a === null,
    attentional_norm: norm(attentional),
    attentional: Array.from(attentional),
  };
}

function describeHead(layer: number, head: number, h: AttentionInside, values: readonly Float32Array[]): ExplainHead {
  return {
    layer,
    head,
    scores: Array.from(h.scores),
    weights: Array.from(h.weights),
    weight_sum: sum(h.weights),
    context_norm: norm(h.context),
    context_check: contextCheck(h, values, head * h.context.length),
  };
}

/** max_j |c_j - Σ_i α_i v_i[offset + j]|, in float64 from the returned float32 numbers. */
function contextCheck(a: AttentionInside, values: readonly Float32Array[], offset: number): number {
  const recomputed = new Float64Array(a.context.length);
  a.weights.forEach((w, i) => {
    const v = values[i] as Float32Array;
    for (let j = 0; j < recomputed.length; j++) recomputed[j] += w * (v[offset + j] as number);
  });
  return maxDiff(a.context, recomputed);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let j = 0; j < a.length; j++) m = Math.max(m, Math.abs((a[j] as number) - (b[j] as number)));
  return m;
}

function norm(x: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < x.length; j++) s += (x[j] as number) ** 2;
  return Math.sqrt(s);
}

function sum(x: ArrayLike<number>): number {
  let s = 0;
  for (let j = 0; j < x.length; j++) s += x[j] as number;
  return s;
}

/** The n most probable ids decoding may output, best first; `chosen` is always among them (last if it ranks lower). */
function topWords(logProbs: Float32Array, n: number, chosen: number): number[] {
  const ids: number[] = [];
  for (let j = 0; j < logProbs.length; j++) if (canEmit(j)) ids.push(j);
  ids.sort((a, b) => (logProbs[b] as number) - (logProbs[a] as number) || a - b);
  const best = ids.slice(0, n);
  return best.includes(chosen) ? best : [...best, chosen];
}
