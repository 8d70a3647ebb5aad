import { InputError } from '../util/errors.js';

/**
 * Hard word alignments from attention weights, Pharaoh `i-j` text, and alignment error rate (AER).
 *
 * An attention matrix has one row per target token and one column per source token: `weights[t][s]`, shape (T, S),
 * as returned by the attention's `step` (one row per decoder step). Callers drop rows and columns of special tokens
 * (EOS, BOS, padding) before aligning.
 *
 * - `t2s`: every target token links to the source token it attends to most (argmax of its row).
 * - `s2t`: every source token links to the target token that attends to it most (argmax of its column).
 * - symmetric: starts from the intersection of t2s and s2t and adds links of their union with the
 *   grow-diag heuristic (Koehn et al. 2003; Moses `grow-diag` without `final`): repeatedly, for each link
 *   already chosen (source-major order), a union link among its 8 neighbours (horizontal, vertical, diagonal) is
 *   added when its source or its target token is still unaligned. 'intersection' and 'union' are available as is.
 *
 * Links are `{ source, target }` with 0-based token indices; Pharaoh text writes them `source-target`,
 * sorted by source then target. Ties in an argmax go to the lowest index.
 */

/** Bad alignment input (matrix shape, Pharaoh text). */
export class AlignmentError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'AlignmentError';
  }
}

export interface Link {
  /** 0-based source token index. */
  source: number;
  /** 0-based target token index. */
  target: number;
}

/** Attention weights, shape (T, S): `weights[t][s]`. Rows may be plain arrays or Float32Array views. */
export type AttentionMatrix = readonly ArrayLike<number>[];

export type Symmetrization = 'intersection' | 'grow-diag' | 'union';

/** Checks the matrix is rectangular with finite weights; returns (T, S). */
export function matrixShape(weights: AttentionMatrix): { T: number; S: number } {
  const T = weights.length;
  const S = T > 0 ? weights[0].length : 0;
  for (let t = 0; t < T; t++) {
    const row = weights[t];
    if (row.length !== S) {
      throw new AlignmentError(`attention matrix: row ${t} has ${row.length} columns, row 0 has ${S} (expected shape (T, S))`);
    }
    for (let s = 0; s < S; s++) {
      if (!Number.isFinite(row[s])) throw new AlignmentError(`attention matrix: weight [${t}][${s}] is ${row[s]}`);
    }
  }
  return { T, S };
}

/**
 * Word-level attention from subword attention (T pieces, S pieces) -> (target words, source words):
 * a source word gets the sum of its pieces' weights, and a target word the mean of its pieces' rows,
 * so every row still sums to what the piece rows summed to (1 for softmax rows).
 */
export function wordAttention(weights: AttentionMatrix, targetWordOf: readonly number[], sourceWordOf: readonly number[]): number[][] {
  const { T, S } = matrixShape(weights);
  if (targetWordOf.length !== T || sourceWordOf.length !== S) {
    throw new AlignmentError(`word attention: matrix is (${T}, ${S}) but the pieces map ${targetWordOf.length} target / ${sourceWordOf.length} source pieces`);
  }
  const tw = T === 0 ? 0 : Math.max(...targetWordOf) + 1;
  const sw = S === 0 ? 0 : Math.max(...sourceWordOf) + 1;
  const out = Array.from({ length: tw }, () => new Array<number>(sw).fill(0));
  const pieces = new Array<number>(tw).fill(0);
  for (let t = 0; t < T; t++) {
    const row = out[targetWordOf[t] as number] as number[];
    pieces[targetWordOf[t] as number]++;
    const w = weights[t] as ArrayLike<number>;
    for (let s = 0; s < S; s++) row[sourceWordOf[s] as number] += w[s] as number;
  }
  out.forEach((row, i) => {
    const n = pieces[i] as number;
    if (n > 1) for (let s = 0; s < sw; s++) row[s] = (row[s] as number) / n;
  });
  return out;
}

/** Target -> source: for each target row t, the link (argmax_s weights[t][s], t). */
export function alignT2S(weights: AttentionMatrix): Link[] {
  const { T, S } = matrixShape(weights);
  const links: Link[] = [];
  if (S === 0) return links;
  for (let t = 0; t < T; t++) {
    const row = weights[t];
    let best = 0;
    for (let s = 1; s < S; s++) if (row[s] > row[best]) best = s;
    links.push({ source: best, target: t });
  }
  return links;
}

/** Source -> target: for each source column s, the link (s, argmax_t weights[t][s]). */
export function alignS2T(weights: AttentionMatrix): Link[] {
  const { T, S } = matrixShape(weights);
  const links: Link[] = [];
  if (T === 0) return links;
  for (let s = 0; s < S; s++) {
    let best = 0;
    for (let t = 1; t < T; t++) if (weights[t][s] > weights[best][s]) best = t;
    links.push({ source: s, target: best });
  }
  return links;
}

const key = (source: number, target: number): string => `${source}-${target}`;

function sortLinks(links: Link[]): Link[] {
  return links.sort((a, b) => a.source - b.source || a.target - b.target);
}

function dedupe(links: readonly Link[]): Link[] {
  const seen = new Map<string, Link>();
  for (const l of links) seen.set(key(l.source, l.target), { source: l.source, target: l.target });
  return [...seen.values()];
}

/** Neighbours (dSource, dTarget): vertical and horizontal first, then diagonal, as Moses' grow-diag. */
const NEIGHBOURS: readonly (readonly [number, number])[] = [
  [-1, 0],
  [0, -1],
  [1, 0],
  [0, 1],
  [-1, -1],
  [-1, 1],
  [1, -1],
  [1, 1],
];

/** Combines two directional alignments over S source and T target tokens. */
export function symmetrize(a: readonly Link[], b: readonly Link[], method: Symmetrization, S: number, T: number): Link[] {
  for (const l of [...a, ...b]) {
    if (!(l.source >= 0 && l.source < S && l.target >= 0 && l.target < T)) {
      throw new AlignmentError(`symmetrize: link ${l.source}-${l.target} outside ${S} source x ${T} target tokens`);
    }
  }
  const inB = new Set(b.map((l) => key(l.source, l.target)));
  const intersection = dedupe(a.filter((l) => inB.has(key(l.source, l.target))));
  const union = dedupe([...a, ...b]);
  if (method === 'intersection') return sortLinks(intersection);
  if (method === 'union') return sortLinks(union);
  const inUnion = new Set(union.map((l) => key(l.source, l.target)));
  const chosen = new Set(intersection.map((l) => key(l.source, l.target)));
  const sourceAligned = new Array<boolean>(S).fill(false);
  const targetAligned = new Array<boolean>(T).fill(false);
  for (const l of intersection) {
    sourceAligned[l.source] = true;
    targetAligned[l.target] = true;
  }
  let added = true;
  while (added) {
    added = false;
    for (let s = 0; s < S; s++) {
      for (let t = 0; t < T; t++) {
        if (!chosen.has(key(s, t))) continue;
        for (const [ds, dt] of NEIGHBOURS) {
          const ns = s + ds;
          const nt = t + dt;
          if (ns < 0 || nt < 0 || ns >= S || nt >= T) continue;
          const k = key(ns, nt);
          if (chosen.has(k) || !inUnion.has(k)) continue;
          if (sourceAligned[ns] && targetAligned[nt]) continue;
          chosen.add(k);
          sourceAligned[ns] = true;
          targetAligned[nt] = true;
          added = true;
        }
      }
    }
  }
  return sortLinks(union.filter((l) => chosen.has(key(l.source, l.target))));
}

/** Symmetric alignment from attention weights (T, S): t2s and s2t combined, grow-diag by default. */
export function alignSymmetric(weights: AttentionMatrix, method: Symmetrization = 'grow-diag'): Link[] {
  const { T, S } = matrixShape(weights);
  return symmetrize(alignT2S(weights), alignS2T(weights), method, S, T);
}

/** How hard links are read off attention: argmax per target word (t2s), or both directions symmetrized. */
export type AlignMethod = 't2s' | Symmetrization;
export const ALIGN_METHODS: readonly AlignMethod[] = ['t2s', 'grow-diag', 'intersection', 'union'];

/** Hard links from an attention matrix (T, S) by the chosen method (none for an empty matrix). */
export function hardAlign(weights: AttentionMatrix, method: AlignMethod): Link[] {
  if (weights.length === 0 || (weights[0]?.length ?? 0) === 0) return [];
  return method === 't2s' ? alignT2S(weights) : alignSymmetric(weights, method);
}

/** Pharaoh text: `i-j` (source-target, 0-based) separated by spaces, sorted by source then target. */
export function formatPharaoh(links: readonly Link[]): string {
  return sortLinks(dedupe(links))
    .map((l) => `${l.source}-${l.target}`)
    .join(' ');
}

/** Sure and possible gold links; `possible` includes the sure ones. */
export interface GoldAlignment {
  sure: Link[];
  possible: Link[];
}

/**
 * Parses one gold line: `i-j` is a sure link, `i?j` a possible one.
 * `possible` always contains the sure links. Errors name `name`, the line and the bad token.
 */
export function parseGoldLine(line: string, lineNo = 1, name = 'alignment'): GoldAlignment {
  const sure: Link[] = [];
  const possible: Link[] = [];
  for (const token of line.trim().split(/\s+/)) {
    if (token === '') continue;
    const m = /^(\d+)([-?])(\d+)$/.exec(token);
    if (m === null) {
      throw new AlignmentError(`${name}:${lineNo}: bad alignment link "${token}" (expected source-target like 3-4, or 3?4 for a possible link)`);
    }
    const link = { source: Number(m[1]), target: Number(m[3]) };
    possible.push(link);
    if (m[2] === '-') sure.push(link);
  }
  return { sure: sortLinks(dedupe(sure)), possible: sortLinks(dedupe(possible)) };
}

/** Parses one Pharaoh line of `i-j` links (only sure links allowed). */
export function parsePharaoh(line: string, lineNo = 1, name = 'alignment'): Link[] {
  const gold = parseGoldLine(line, lineNo, name);
  if (gold.possible.length !== gold.sure.length) {
    throw new AlignmentError(`${name}:${lineNo}: possible links (i?j) are only allowed in gold alignments`);
  }
  return gold.sure;
}

/** Parses Pharaoh text, one sentence per line (a final newline is optional). */
export function parsePharaohText(text: string, name = 'alignment'): Link[][] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l, i) => parsePharaoh(l.endsWith('\r') ? l.slice(0, -1) : l, i + 1, name));
}

/** Parses gold Pharaoh text (sure `i-j`, possible `i?j`), one sentence per line. */
export function parseGoldText(text: string, name = 'alignment'): GoldAlignment[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l, i) => parseGoldLine(l.endsWith('\r') ? l.slice(0, -1) : l, i + 1, name));
}

/** Counts behind AER, summable over sentences. */
export interface AerCounts {
  /** |A| */
  predicted: number;
  /** |S| */
  sure: number;
  /** |A ∩ S| */
  predictedSure: number;
  /** |A ∩ P| */
  predictedPossible: number;
}

/**
 * AER counts of one sentence. When `possible` is omitted, P = S (a single gold set); P is always taken as P ∪ S.
 */
export function aerCounts(predicted: readonly Link[], sure: readonly Link[], possible?: readonly Link[]): AerCounts {
  const a = new Set(predicted.map((l) => key(l.source, l.target)));
  const s = new Set(sure.map((l) => key(l.source, l.target)));
  const p = new Set([...s, ...(possible ?? []).map((l) => key(l.source, l.target))]);
  let predictedSure = 0;
  let predictedPossible = 0;
  for (const k of a) {
    if (s.has(k)) predictedSure++;
    if (p.has(k)) predictedPossible++;
  }
  return { predicted: a.size, sure: s.size, predictedSure, predictedPossible };
}

/** AER = 1 - (|A∩S| + |A∩P|) / (|A| + |S|) from counts; 0 when A and S are both empty. */
export function aerFromCounts(c: AerCounts): number {
  const denom = c.predicted + c.sure;
  return denom === 0 ? 0 : 1 - (c.predictedSure + c.predictedPossible) / denom;
}

/** Alignment error rate of one sentence (Och and Ney 2003). */
export function alignmentErrorRate(predicted: readonly Link[], sure: readonly Link[], possible?: readonly Link[]): number {
  return aerFromCounts(aerCounts(predicted, sure, possible));
}

/** Corpus AER: counts summed over sentences, then one ratio (not the mean of sentence AERs). */
export function corpusAlignmentErrorRate(
  predicted: readonly (readonly Link[])[],
  sure: readonly (readonly Link[])[],
  possible?: readonly (readonly Link[])[],
): number {
  if (predicted.length !== sure.length || (possible !== undefined && possible.length !== sure.length)) {
    throw new AlignmentError(
      `corpus AER: ${predicted.length} predicted alignments, ${sure.length} sure` +
        (possible !== undefined ? `, ${possible.length} possible` : ''),
    );
  }
  const total: AerCounts = { predicted: 0, sure: 0, predictedSure: 0, predictedPossible: 0 };
  for (let i = 0; i < predicted.length; i++) {
    const c = aerCounts(predicted[i], sure[i], possible?.[i]);
    total.predicted += c.predicted;
    total.sure += c.sure;
    total.predictedSure += c.predictedSure;
    total.predictedPossible += c.predictedPossible;
  }
  return aerFromCounts(total);
}
