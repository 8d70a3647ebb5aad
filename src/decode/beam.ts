/**
 * Beam search, batched: every iteration runs ONE decoder step for all live hypotheses of all
 * sentences. Per sentence and step:
 *   expand  - each live hypothesis proposes its best 2K next words (K = beam size);
 *   score   - a candidate's score is the hypothesis score plus log p(word);
 *   prune   - over the sentence's candidates, best first: an EOS among the top K finishes a
 *             hypothesis, the first K others form the next beam;
 *   finish  - a sentence is done when it has K finished hypotheses, or at its maximum length (the
 *             live ones are then kept as cut hypotheses).
 * Finished hypotheses are ranked by score / ((5 + len) / 6)^alpha (GNMT length penalty).
 * Each hypothesis is a chain of nodes (word, attention row, parent), so following the backpointers
 * gives its words and its attention matrix (target x real source length).
 * With K = 1 this is exactly greedy decoding (the same rows, the same steps, the same words).
 */
import type { Batch } from '../data/batch.js';
import { BOS, EOS } from '../data/vocab.js';
import type { Tensor } from '../engine/tensor.js';
import { attentionRow, canEmit, checkStop, lengthPenalty, maxSteps, withArena, type Hypothesis, type LengthOptions, type StepDecoder } from './common.js';

export type { Hypothesis } from './common.js';

export interface BeamOptions extends LengthOptions {
  /** K: hypotheses kept per sentence. */
  beamSize: number;
  /** Length penalty exponent alpha; 0 ranks by raw log-probability. Default 0.6. */
  alpha?: number;
  /** Hypotheses returned per sentence (<= beamSize). Default 1. */
  nbest?: number;
}

/** One word of a hypothesis, linked to the hypothesis it extends. */
interface Node {
  parent: Node | null;
  word: number;
  /** alpha_t over the real source words, null for the fixed-context baseline. */
  attention: Float32Array | null;
  /** Decoder steps so far (this word included). */
  steps: number;
}

interface Live {
  sentence: number;
  node: Node | null;
  score: number;
}

interface Candidate {
  row: number;
  word: number;
  score: number;
}

interface Finished {
  node: Node;
  score: number;
  endedWithEos: boolean;
}

/** n-best lists (best first) for each sentence of the batch, in batch order. */
export function beamSearch<S, M>(model: StepDecoder<S, M>, batch: Batch, opts: BeamOptions): Hypothesis[][] {
  const k = opts.beamSize;
  const nbest = opts.nbest ?? 1;
  const alpha = opts.alpha ?? 0.6;
  if (!(Number.isInteger(k) && k >= 1)) throw new RangeError(`beamSearch: beamSize must be a whole number >= 1, got ${k}`);
  if (!(Number.isInteger(nbest) && nbest >= 1 && nbest <= k)) {
    throw new RangeError(`beamSearch: nbest must be in 1..beamSize (${k}), got ${nbest}`);
  }
  if (!(alpha >= 0)) throw new RangeError(`beamSearch: alpha must be >= 0, got ${alpha}`);
  const limits = maxSteps(batch, opts);
  return model.inferenceMode(() =>
    withArena((arena) => {
      const b = batch.size;
      const finished: Finished[][] = Array.from({ length: b }, () => []);
      const start = arena.inBatch(() => model.startDecoding(batch));
      let state: S = start.state;
      let memory: M = start.memory;
      let live: Live[] = Array.from({ length: b }, (_, s) => ({ sentence: s, node: null, score: 0 }));
      let rowSentences = Int32Array.from({ length: b }, (_, s) => s);
      while (live.length > 0) {
        checkStop(opts.signal);
        const prev = Int32Array.from(live, (h) => (h.node === null ? BOS : h.node.word));
        const r = arena.nextStep(() => model.decodeStep(prev, state, memory));
        const v = r.logProbs.shape[1] as number;
        const next: Live[] = [];
        const parents: number[] = [];
        const step: StepView = { logProbs: r.logProbs.data, vocab: v, weights: r.weights, live, beamSize: k };
        for (const [sentence, rows] of groupBySentence(live)) {
          const beam = advance(step, rows, batch.srcLengths[sentence], limits[sentence], finished[sentence] as Finished[]);
          for (const { parent, hyp } of beam) {
            next.push(hyp);
            parents.push(parent);
          }
        }
        if (next.length === 0) break;
        state = arena.sameStep(() => model.selectState(r.state, Int32Array.from(parents)));
        const nextSentences = Int32Array.from(next, (h) => h.sentence);
        if (!sameRows(nextSentences, rowSentences)) {
          memory = arena.inMemory(() => model.selectMemory(start.memory, nextSentences));
          rowSentences = nextSentences;
        }
        live = next;
      }
      return finished.map((list) => finish(list, alpha, nbest));
    }),
  );
}

/** What one decoder step produced, for all rows. */
interface StepView {
  logProbs: Float32Array;
  vocab: number;
  weights: Tensor | null;
  live: readonly Live[];
  beamSize: number;
}

/**
 * One sentence's step: expand and score its rows, prune to the next beam, and finish: EOS candidates
 * join `finished`; at the length limit the whole beam does. Returns the next beam with each
 * hypothesis' parent row (empty when the sentence is done).
 */
function advance(step: StepView, rows: readonly number[], srcLen: number, limit: number, finished: Finished[]): Array<{ parent: number; hyp: Live }> {
  const k = step.beamSize;
  const node = (c: Candidate): Node => makeNode(step.live[c.row] as Live, c, step.weights, srcLen);
  const cands = expand(step.logProbs, step.vocab, rows, step.live, 2 * k);
  const kept = prune(cands, k, (c) => finished.push({ node: node(c), score: c.score, endedWithEos: true }));
  if (finished.length >= k) return [];
  const beam = kept.map((c) => ({ parent: c.row, hyp: { sentence: (step.live[c.row] as Live).sentence, node: node(c), score: c.score } }));
  if ((beam[0]?.hyp.node?.steps ?? 0) >= limit) {
    for (const { hyp } of beam) finished.push({ node: hyp.node as Node, score: hyp.score, endedWithEos: false });
    return [];
  }
  return beam;
}

/** Live rows of each sentence, in row order (sentences in order of first appearance). */
function groupBySentence(live: readonly Live[]): Map<number, number[]> {
  const groups = new Map<number, number[]>();
  live.forEach((h, row) => {
    const g = groups.get(h.sentence);
    if (g === undefined) groups.set(h.sentence, [row]);
    else g.push(row);
  });
  return groups;
}

/**
 * expand + score: the best `width` candidates of a sentence over its rows x vocabulary, best first.
 * Ties go to the lower row, then the lower word id (as greedy's argmax); PAD and BOS are never proposed.
 */
function expand(logProbs: Float32Array, v: number, rows: readonly number[], live: readonly Live[], width: number): Candidate[] {
  const best: Candidate[] = [];
  for (const row of rows) {
    const base = (live[row] as Live).score;
    const o = row * v;
    for (let w = 0; w < v; w++) {
      if (!canEmit(w)) continue;
      const score = base + logProbs[o + w];
      if (best.length === width) {
        if (!(score > (best[width - 1] as Candidate).score)) continue;
        best.pop();
      }
      const cand: Candidate = { row, word: w, score };
      let i = best.length;
      best.push(cand);
      while (i > 0 && score > (best[i - 1] as Candidate).score) {
        best[i] = best[i - 1] as Candidate;
        i--;
      }
      best[i] = cand;
    }
  }
  return best;
}

/**
 * prune: walking the candidates best first, an EOS within the top `k` is handed to `onEos`; the
 * first `k` other candidates are returned (the next beam).
 */
function prune(cands: readonly Candidate[], k: number, onEos: (c: Candidate) => void): Candidate[] {
  const kept: Candidate[] = [];
  for (let rank = 0; rank < cands.length && kept.length < k; rank++) {
    const c = cands[rank] as Candidate;
    if (c.word === EOS) {
      if (rank < k) onEos(c);
    } else {
      kept.push(c);
    }
  }
  return kept;
}

function makeNode(parent: Live, c: Candidate, weights: Tensor | null, srcLen: number): Node {
  return {
    parent: parent.node,
    word: c.word,
    attention: attentionRow(weights, c.row, srcLen),
    steps: (parent.node?.steps ?? 0) + 1,
  };
}

function sameRows(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** finish: follow the backpointers of each finished hypothesis, rank by normalized score, keep n. */
function finish(list: readonly Finished[], alpha: number, nbest: number): Hypothesis[] {
  const hyps = list.map((f) => {
    const words: number[] = [];
    const attention: Float32Array[] = [];
    for (let n: Node | null = f.node; n !== null; n = n.parent) {
      words.push(n.word);
      if (n.attention !== null) attention.push(n.attention);
    }
    words.reverse();
    attention.reverse();
    if (f.endedWithEos) words.pop();
    return {
      tokens: words,
      score: f.score,
      normScore: f.score / lengthPenalty(f.node.steps, alpha),
      attention,
      finished: f.endedWithEos,
    };
  });
  hyps.sort((a, b) => b.normScore - a.normScore);
  return hyps.slice(0, nbest);
}
