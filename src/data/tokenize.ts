/**
 * Word-level tokenizer for English, French and German with an exact detokenizer.
 *
 * Splitting rules (on normalized text, see normalize.ts):
 * - Words are runs of letters, marks, digits and `_`; an inner hyphen between word characters stays inside the
 *   word ("peut-être", "well-known"), and so does a `.` `,` `:` between two digits ("3.14", "1,000", "10:30").
 * - Every other character is its own token, except runs of `.` ("...") which stay one token.
 * - Apostrophes (`'` or `’`) inside a word:
 *   - French elisions stay attached to the word they elide and split from what follows:
 *     "l'homme" -> "l'" "homme", "qu'il" -> "qu'" "il", "jusqu'à" -> "jusqu'" "à".
 *     Words that merely contain an apostrophe stay whole: "aujourd'hui", "O'Brien", "rock'n'roll".
 *   - English contractions are split Penn-Treebank style: "don't" -> "do" "n't", "can't" -> "ca" "n't",
 *     "it's" -> "it" "'s", "we're" -> "we" "'re" (also 've, 'll, 'd, 'm). German "geht's" -> "geht" "'s".
 *
 * Exact round trip: `detokenize(tokenize(x, o), o) === x` for every normalized x. The detokenizer puts one space
 * between two tokens unless a fixed default rule says they touch (no space before `.` `,` `)` `%`, after `(`,
 * after an elision "l'", before a clitic "n't"; `?` `!` `:` `;` touch the previous word except with lang 'fr',
 * where a space precedes them; `"` alternates opening and closing). Where the text differs from that default,
 * the tokenizer prefixes the token with the joiner mark U+FFED "￭" (OpenNMT's joiner), meaning "the spacing
 * before this token is the opposite of the default". So "le chat ?" (fr) and "the cat?" (en) carry no marks,
 * and marks appear only on unusual spacing such as "$5" -> "$" "￭5". A literal "￭" in the text is its own token.
 *
 * Case is kept: lowercasing is an option of the pipeline (pipeline.ts), not of the tokenizer.
 */
export const JOINER = '\uFFED';

export interface TokenizeOptions {
  /**
   * Language of the text, for spacing defaults only: 'fr' puts a space before ? ! : ; » and after «;
   * 'de' treats “ as a closing quote („Text“). Anything else (default 'en'): English spacing.
   */
  lang?: string;
}

const WORD_CHAR = /[\p{L}\p{M}\p{N}_]/u;
const DIGIT = /\p{Nd}/u;
const LETTER_START = /^\p{L}/u;
const ELISIONS = new Set(['l', 'd', 'j', 'm', 'n', 's', 't', 'c', 'qu', 'jusqu', 'lorsqu', 'puisqu', 'quoiqu']);
const CLITICS = new Set(['s', 're', 've', 'll', 'd', 'm']);
const CLITIC_TOKENS = new Set(["'s", "'re", "'ve", "'ll", "'d", "'m", "n't"]);
const OPENING = new Set(['(', '[', '{', '¿', '¡', '“', '‘', '„']);
const CLOSING = new Set(['.', ',', ')', ']', '}', '%', '…', '”', "'", '’']);
const FRENCH_SPACED = new Set(['?', '!', ':', ';']);

function isApostrophe(ch: string): boolean {
  return ch === "'" || ch === '’';
}

function isWordChar(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
  return WORD_CHAR.test(ch);
}

function isDigit(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 128) return c >= 48 && c <= 57;
  return DIGIT.test(ch);
}

/** Split one whitespace-free chunk into raw tokens. */
function splitChunk(chunk: string, out: string[]): void {
  const cps = Array.from(chunk);
  let i = 0;
  while (i < cps.length) {
    const ch = cps[i] as string;
    if (isWordChar(ch)) {
      let j = i + 1;
      let apostrophe = false;
      while (j < cps.length) {
        const c = cps[j] as string;
        if (isWordChar(c)) {
          j++;
          continue;
        }
        const next = cps[j + 1];
        if (next === undefined) break;
        const inner = (c === '-' || isApostrophe(c)) && isWordChar(next);
        const decimal = (c === '.' || c === ',' || c === ':') && isDigit(cps[j - 1] as string) && isDigit(next);
        if (!inner && !decimal) break;
        if (c !== '-') apostrophe ||= isApostrophe(c);
        j++;
      }
      const word = cps.slice(i, j).join('');
      if (apostrophe) splitApostrophes(word, out);
      else out.push(word);
      i = j;
    } else if (ch === '.') {
      let j = i + 1;
      while (j < cps.length && cps[j] === '.') j++;
      out.push('.'.repeat(j - i));
      i = j;
    } else {
      out.push(ch);
      i++;
    }
  }
}

/** Apply the elision / contraction rules to a word that may contain inner apostrophes. */
function splitApostrophes(word: string, out: string[]): void {
  let rest = word;
  let from = 0;
  for (;;) {
    let k = -1;
    for (let p = from; p < rest.length; p++) {
      if (isApostrophe(rest[p] as string)) {
        k = p;
        break;
      }
    }
    if (k < 0) break;
    const before = rest.slice(0, k);
    const apos = rest[k] as string;
    const after = rest.slice(k + 1);
    const lb = before.toLowerCase();
    const la = after.toLowerCase();
    if (ELISIONS.has(lb) && LETTER_START.test(after)) {
      out.push(before + apos);
      rest = after;
      from = 0;
      continue;
    }
    if (CLITICS.has(la)) {
      out.push(before, apos + after);
      return;
    }
    if (la === 't' && lb.length > 1 && lb.endsWith('n')) {
      out.push(before.slice(0, -1), before.slice(-1) + apos + after);
      return;
    }
    from = k + 1;
  }
  if (rest.length > 0) out.push(rest);
}

function isElision(token: string): boolean {
  if (token.length < 2 || !isApostrophe(token[token.length - 1] as string)) return false;
  return ELISIONS.has(token.slice(0, -1).toLowerCase());
}

function isClitic(token: string): boolean {
  return CLITIC_TOKENS.has(token.toLowerCase().replace('’', "'"));
}

/**
 * Default spacing between `prev` and `cur` (raw tokens, without joiner).
 * `quotesBefore` = number of `"` tokens before `cur` (odd: a quote is open).
 */
function defaultSpace(prev: string, cur: string, quotesBefore: number, lang: string): boolean {
  const fr = lang === 'fr';
  const open = quotesBefore % 2 === 1;
  if (lang === 'de' && (cur === '“' || cur === '‘')) return false;
  if (lang === 'de' && (prev === '“' || prev === '‘')) return true;
  if (prev === '"' && open) return false;
  if (cur === '"') return !open;
  if (OPENING.has(prev) || (!fr && prev === '«')) return false;
  if (CLOSING.has(cur) || /^\.+$/.test(cur) || (!fr && cur === '»')) return false;
  if (isElision(prev) || isClitic(cur)) return false;
  if (prev === '/' || cur === '/') return false;
  if (FRENCH_SPACED.has(cur)) return fr;
  return true;
}

/** Tokenize normalized text; see the module comment for the rules. */
export function tokenize(text: string, opts: TokenizeOptions = {}): string[] {
  const lang = opts.lang ?? 'en';
  const raw: string[] = [];
  const spaced: boolean[] = [];
  for (const chunk of text.split(' ')) {
    if (chunk.length === 0) continue;
    const start = raw.length;
    splitChunk(chunk, raw);
    for (let i = start; i < raw.length; i++) spaced.push(i === start);
  }
  const out: string[] = [];
  let quotes = 0;
  for (let i = 0; i < raw.length; i++) {
    const tok = raw[i] as string;
    if (i === 0) out.push(tok);
    else {
      const def = defaultSpace(raw[i - 1] as string, tok, quotes, lang);
      out.push(def === spaced[i] ? tok : JOINER + tok);
    }
    if (tok === '"') quotes++;
  }
  return out;
}

/** The token without its joiner mark (for display). */
export function stripJoiner(token: string): string {
  return token.length > 1 && token.startsWith(JOINER) ? token.slice(1) : token;
}

/** Inverse of tokenize: joins tokens with the default spacing, flipped where a token carries the joiner. */
export function detokenize(tokens: readonly string[], opts: TokenizeOptions = {}): string {
  const lang = opts.lang ?? 'en';
  let out = '';
  let prev = '';
  let quotes = 0;
  let first = true;
  for (const token of tokens) {
    if (token.length === 0) continue;
    const marked = token.length > 1 && token.startsWith(JOINER);
    const tok = marked ? token.slice(1) : token;
    if (!first) {
      const space = defaultSpace(prev, tok, quotes, lang) !== marked;
      if (space) out += ' ';
    }
    out += tok;
    if (tok === '"') quotes++;
    prev = tok;
    first = false;
  }
  return out;
}
