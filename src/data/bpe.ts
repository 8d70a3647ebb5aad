/**
 * Byte-pair encoding subwords (Sennrich, Haddow and Birch 2016, "Neural Machine Translation of Rare Words with
 * Subword Units", Algorithm 1), learned on word frequencies from tokenized training text.
 *
 * - Words are sequences of characters; the last character carries the end-of-word mark "</w>", so a merge can
 *   tell word-final pieces from inner ones ("s</w>" is not "s").
 * - Each step merges the most frequent adjacent symbol pair. Ties are broken by a fixed order (the pair's left
 *   symbol, then its right symbol, in code-unit order), so the same counts always give the same merges.
 *   Pair counts are updated incrementally: a merge only revisits the words that contain the pair, and a lazy
 *   max-heap yields the next best pair.
 * - Applying the merges (in learned order) splits a word into pieces; every piece but the last ends with "@@"
 *   ("chaton" -> "chat@@" "on"), and mergeSubwords joins them back into words.
 * - Learn once on both sides (joint: pass the sentences of both languages) or once per side.
 * - A token that starts with the tokenizer's joiner "￭" is segmented without it; the first piece keeps it.
 */
import { JOINER } from './tokenize.js';

export const CONTINUATION = '@@';
export const END_OF_WORD = '</w>';

export interface BpeJSON {
  kind: 'bpe';
  version: 1;
  /** Merges in learned order: [left, right] symbols, the word-final ones ending with "</w>". */
  merges: [string, string][];
}

export interface BpeLearnOptions {
  /** Number of merge operations (the subword vocabulary grows by one symbol per merge). */
  merges: number;
  /** Stop early when the best pair occurs fewer times than this (default 2). */
  minFrequency?: number;
}

/** Count words (joiner stripped) in tokenized sentences; pass `counts` to accumulate several corpora (joint BPE). */
export function countWords(sentences: Iterable<readonly string[]>, counts: Map<string, number> = new Map()): Map<string, number> {
  for (const s of sentences) {
    for (const t of s) {
      const w = bareWord(t);
      if (w.length > 0) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
  }
  return counts;
}

function bareWord(token: string): string {
  return token.length > 1 && token.startsWith(JOINER) ? token.slice(1) : token;
}

const KEY_BASE = 4194304; // 2^22 symbols at most: pair key = left * 2^22 + right

interface HeapEntry {
  count: number;
  key: number;
}

/** Max-heap on (count desc, then left symbol asc, then right symbol asc). */
class PairHeap {
  private readonly items: HeapEntry[] = [];
  constructor(private readonly symbols: string[]) {}

  get length(): number {
    return this.items.length;
  }

  private before(x: HeapEntry, y: HeapEntry): boolean {
    if (x.count !== y.count) return x.count > y.count;
    const xa = this.symbols[Math.floor(x.key / KEY_BASE)] as string;
    const ya = this.symbols[Math.floor(y.key / KEY_BASE)] as string;
    if (xa !== ya) return xa < ya;
    return (this.symbols[x.key % KEY_BASE] as string) < (this.symbols[y.key % KEY_BASE] as string);
  }

  push(e: HeapEntry): void {
    const a = this.items;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(a[i] as HeapEntry, a[p] as HeapEntry)) break;
      [a[i], a[p]] = [a[p] as HeapEntry, a[i] as HeapEntry];
      i = p;
    }
  }

  pop(): HeapEntry | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last !== undefined) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.before(a[l] as HeapEntry, a[m] as HeapEntry)) m = l;
        if (r < a.length && this.before(a[r] as HeapEntry, a[m] as HeapEntry)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m] as HeapEntry, a[i] as HeapEntry];
        i = m;
      }
    }
    return top;
  }
}

/** Adds freq * (pair counts of seq) into deltas. */
function addPairs(seq: readonly number[], freq: number, deltas: Map<number, number>): void {
  for (let i = 0; i + 1 < seq.length; i++) {
    const k = (seq[i] as number) * KEY_BASE + (seq[i + 1] as number);
    deltas.set(k, (deltas.get(k) ?? 0) + freq);
  }
}

function learnMerges(counts: ReadonlyMap<string, number>, opts: BpeLearnOptions): [string, string][] {
  const minFrequency = opts.minFrequency ?? 2;
  const symbols: string[] = [];
  const symbolId = new Map<string, number>();
  const intern = (s: string): number => {
    let id = symbolId.get(s);
    if (id === undefined) {
      id = symbols.length;
      if (id >= KEY_BASE) throw new Error(`BPE: more than ${KEY_BASE} symbols`);
      symbols.push(s);
      symbolId.set(s, id);
    }
    return id;
  };
  const vocab = [...counts].filter(([w, c]) => w.length > 0 && c > 0).sort((x, y) => (x[0] < y[0] ? -1 : 1));
  const words: number[][] = [];
  const freqs: number[] = [];
  for (const [w, c] of vocab) {
    const chars = Array.from(w);
    chars[chars.length - 1] += END_OF_WORD;
    words.push(chars.map(intern));
    freqs.push(c);
  }
  const pairCounts = new Map<number, number>();
  const where = new Map<number, number[]>();
  words.forEach((seq, w) => {
    addPairs(seq, freqs[w] as number, pairCounts);
    for (let i = 0; i + 1 < seq.length; i++) {
      const k = (seq[i] as number) * KEY_BASE + (seq[i + 1] as number);
      const list = where.get(k);
      if (list === undefined) where.set(k, [w]);
      else if (list[list.length - 1] !== w) list.push(w);
    }
  });
  const heap = new PairHeap(symbols);
  for (const [key, count] of pairCounts) heap.push({ count, key });

  const merges: [string, string][] = [];
  const stamp = new Int32Array(words.length).fill(-1);
  while (merges.length < opts.merges) {
    let best: HeapEntry | undefined;
    while (heap.length > 0) {
      const e = heap.pop() as HeapEntry;
      const cur = pairCounts.get(e.key) ?? 0;
      if (cur === e.count) {
        best = e;
        break;
      }
      if (cur > 0 && cur < e.count) heap.push({ count: cur, key: e.key });
    }
    if (best === undefined || best.count < minFrequency) break;
    const a = Math.floor(best.key / KEY_BASE);
    const b = best.key % KEY_BASE;
    const left = symbols[a] as string;
    const right = symbols[b] as string;
    merges.push([left, right]);
    const merged = intern(left + right);
    const deltas = new Map<number, number>();
    const mergeNo = merges.length;
    for (const w of where.get(best.key) ?? []) {
      if (stamp[w] === mergeNo) continue;
      stamp[w] = mergeNo;
      const seq = words[w] as number[];
      const next = mergeSequence(seq, a, b, merged);
      if (next === null) continue;
      const f = freqs[w] as number;
      addPairs(seq, -f, deltas);
      addPairs(next, f, deltas);
      words[w] = next;
      for (let i = 0; i + 1 < next.length; i++) {
        if (next[i] !== merged && next[i + 1] !== merged) continue;
        const k = (next[i] as number) * KEY_BASE + (next[i + 1] as number);
        const list = where.get(k);
        if (list === undefined) where.set(k, [w]);
        else if (list[list.length - 1] !== w) list.push(w);
      }
    }
    for (const [k, d] of deltas) {
      if (d === 0) continue;
      const c = (pairCounts.get(k) ?? 0) + d;
      if (c <= 0) pairCounts.delete(k);
      else pairCounts.set(k, c);
      if (d > 0) heap.push({ count: c, key: k });
    }
    where.delete(best.key);
  }
  return merges;
}

/** Merge every non-overlapping (a, b) left to right; null when the pair does not occur. */
function mergeSequence(seq: readonly number[], a: number, b: number, merged: number): number[] | null {
  let found = false;
  const out: number[] = [];
  for (let i = 0; i < seq.length; i++) {
    if (i + 1 < seq.length && seq[i] === a && seq[i + 1] === b) {
      out.push(merged);
      i++;
      found = true;
    } else out.push(seq[i] as number);
  }
  return found ? out : null;
}

const CACHE_LIMIT = 200000;

export class Bpe {
  readonly merges: readonly (readonly [string, string])[];
  private readonly ranks: Map<string, number>;
  private readonly cache = new Map<string, string[]>();

  constructor(merges: readonly (readonly [string, string])[]) {
    this.merges = merges.map(([x, y]) => [x, y] as const);
    this.ranks = new Map();
    merges.forEach(([x, y], i) => {
      const k = `${x} ${y}`;
      if (!this.ranks.has(k)) this.ranks.set(k, i);
    });
  }

  /** Learn merges from word counts (see countWords). */
  static learn(counts: ReadonlyMap<string, number>, opts: BpeLearnOptions): Bpe {
    if (!Number.isInteger(opts.merges) || opts.merges < 0) throw new Error(`Bpe.learn: merges must be a non-negative integer, got ${opts.merges}`);
    return new Bpe(learnMerges(counts, opts));
  }

  /** Split one word into pieces, "@@" on all but the last. */
  segment(token: string): string[] {
    const cached = this.cache.get(token);
    if (cached !== undefined) return cached;
    const joined = token.length > 1 && token.startsWith(JOINER);
    const word = joined ? token.slice(1) : token;
    let pieces: string[];
    if (word.length === 0) pieces = [token];
    else {
      const syms = Array.from(word);
      syms[syms.length - 1] += END_OF_WORD;
      this.mergeAll(syms);
      const last = syms.length - 1;
      syms[last] = (syms[last] as string).slice(0, -END_OF_WORD.length);
      pieces = syms.map((s, i) => (i < last ? s + CONTINUATION : s));
      if (joined) pieces[0] = JOINER + pieces[0];
    }
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(token, pieces);
    return pieces;
  }

  private mergeAll(syms: string[]): void {
    for (;;) {
      let bestRank = Infinity;
      let bestAt = -1;
      for (let i = 0; i + 1 < syms.length; i++) {
        const r = this.ranks.get(`${syms[i]} ${syms[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          bestAt = i;
        }
      }
      if (bestAt < 0) return;
      const left = syms[bestAt] as string;
      const right = syms[bestAt + 1] as string;
      for (let i = bestAt; i + 1 < syms.length; i++) {
        if (syms[i] === left && syms[i + 1] === right) syms.splice(i, 2, left + right);
      }
    }
  }

  /** Segment every token of a tokenized sentence. */
  apply(tokens: readonly string[]): string[] {
    const out: string[] = [];
    for (const t of tokens) for (const p of this.segment(t)) out.push(p);
    return out;
  }

  toJSON(): BpeJSON {
    return { kind: 'bpe', version: 1, merges: this.merges.map(([x, y]) => [x, y]) };
  }

  static fromJSON(j: unknown): Bpe {
    if (j === null || typeof j !== 'object') throw new Error('Bpe.fromJSON: expected an object');
    const o = j as Record<string, unknown>;
    if (o.kind !== 'bpe' || o.version !== 1 || !Array.isArray(o.merges)) {
      throw new Error(`Bpe.fromJSON: expected { kind: 'bpe', version: 1, merges: [string, string][] }`);
    }
    const merges: [string, string][] = o.merges.map((m: unknown, i: number) => {
      if (!Array.isArray(m) || m.length !== 2 || typeof m[0] !== 'string' || typeof m[1] !== 'string') {
        throw new Error(`Bpe.fromJSON: merge ${i} is not a pair of strings: ${JSON.stringify(m)}`);
      }
      return [m[0], m[1]];
    });
    return new Bpe(merges);
  }
}

/** A piece ending with "@@" continues into the next piece (a bare "@@" is a token of its own). */
function continuesWord(piece: string): boolean {
  return piece.length > CONTINUATION.length && piece.endsWith(CONTINUATION);
}

/** Join subword pieces back into words: a piece ending with "@@" continues into the next piece. */
export function mergeSubwords(tokens: readonly string[]): string[] {
  const out: string[] = [];
  let cur: string | null = null;
  for (const t of tokens) {
    const piece: string = cur !== null && t.length > 1 && t.startsWith(JOINER) ? t.slice(1) : t;
    if (continuesWord(piece)) {
      cur = (cur ?? '') + piece.slice(0, -CONTINUATION.length);
    } else {
      out.push((cur ?? '') + piece);
      cur = null;
    }
  }
  if (cur !== null) out.push(cur);
  return out;
}

/**
 * The word each subword piece belongs to, the words being those `mergeSubwords` makes:
 * ["the", "bl@@", "ack", "cat"] -> [0, 1, 1, 2].
 */
export function pieceWords(pieces: readonly string[]): number[] {
  const out: number[] = [];
  let word = 0;
  for (const p of pieces) {
    out.push(word);
    if (!continuesWord(p)) word++;
  }
  return out;
}
