/**
 * Token vocabulary: a bijection between token strings and integer ids, with four fixed special tokens.
 * Ids 0..3 are always '<pad>' '<unk>' '<s>' '</s>'; the other tokens follow in frequency order.
 */
export const PAD = 0, UNK = 1, BOS = 2, EOS = 3;
export const SPECIAL_TOKENS: readonly string[] = ['<pad>', '<unk>', '<s>', '</s>'];

export interface VocabBuildOptions {
  /** Keep tokens seen at least this many times (default 1). */
  minFreq?: number;
  /** Maximum vocabulary size V including the four specials (default: no limit). */
  maxSize?: number;
}

export class Vocab {
  readonly tokens: readonly string[];
  private readonly index: Map<string, number>;

  /** `tokens` must start with the four specials (use Vocab.build or Vocab.fromJSON). */
  constructor(tokens: readonly string[]) {
    for (let i = 0; i < SPECIAL_TOKENS.length; i++) {
      if (tokens[i] !== SPECIAL_TOKENS[i]) {
        throw new Error(`Vocab: id ${i} must be ${SPECIAL_TOKENS[i]}, got ${JSON.stringify(tokens[i])}`);
      }
    }
    const index = new Map<string, number>();
    tokens.forEach((t, i) => {
      if (typeof t !== 'string') throw new Error(`Vocab: token ${i} is not a string: ${JSON.stringify(t)}`);
      if (index.has(t)) throw new Error(`Vocab: duplicate token ${JSON.stringify(t)} at ids ${index.get(t)} and ${i}`);
      index.set(t, i);
    });
    this.tokens = Object.freeze([...tokens]);
    this.index = index;
  }

  /** V, the number of tokens including the specials. */
  get size(): number {
    return this.tokens.length;
  }

  /** Id of a token, UNK when unknown. */
  id(token: string): number {
    return this.index.get(token) ?? UNK;
  }

  /** Whether the token has its own id. */
  has(token: string): boolean {
    return this.index.has(token);
  }

  token(id: number): string {
    const t = this.tokens[id];
    if (t === undefined) throw new Error(`Vocab.token: id ${id} out of range [0, ${this.tokens.length})`);
    return t;
  }

  /** Token strings to ids (no BOS/EOS added). */
  encode(tokens: readonly string[]): number[] {
    return tokens.map((t) => this.id(t));
  }

  /** Ids to token strings; does not stop at EOS (the caller strips it). */
  decode(ids: readonly number[]): string[] {
    return ids.map((i) => this.token(i));
  }

  /** Build from tokenized sentences. Order: frequency descending, then token ascending (code units). */
  static build(sentences: Iterable<readonly string[]>, opts: VocabBuildOptions = {}): Vocab {
    const minFreq = opts.minFreq ?? 1;
    const maxSize = opts.maxSize ?? Infinity;
    if (maxSize < SPECIAL_TOKENS.length) throw new Error(`Vocab.build: maxSize ${maxSize} is smaller than the 4 specials`);
    const counts = new Map<string, number>();
    for (const s of sentences) for (const t of s) counts.set(t, (counts.get(t) ?? 0) + 1);
    for (const sp of SPECIAL_TOKENS) counts.delete(sp);
    const entries = [...counts].filter(([, c]) => c >= minFreq);
    entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const keep = entries.slice(0, Math.max(0, maxSize - SPECIAL_TOKENS.length)).map(([t]) => t);
    return new Vocab([...SPECIAL_TOKENS, ...keep]);
  }

  toJSON(): { tokens: string[] } {
    return { tokens: [...this.tokens] };
  }

  /** Validates that ids 0..3 are the specials and that tokens are unique strings. */
  static fromJSON(j: { tokens: string[] }): Vocab {
    if (j === null || typeof j !== 'object' || !Array.isArray(j.tokens)) {
      throw new Error('Vocab.fromJSON: expected an object { tokens: string[] }');
    }
    return new Vocab(j.tokens);
  }
}
