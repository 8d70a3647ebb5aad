/**
 * sacreBLEU's BLEU tokenizers, reimplemented with the same semantics as sacreBLEU 2.6.0:
 * `13a` (mteval-v13a.pl, the default), `intl` (mteval-v14.pl international, Unicode categories),
 * `char` (every character a token) and `none` (whitespace only).
 *
 * Each tokenizer maps a line to a string of tokens separated by single spaces; BLEU then splits it
 * with {@link pythonSplit}. Whitespace follows Python's `str.split()` / `str.rstrip()`, which is not
 * JavaScript's `\s`: Python counts U+001C..U+001F and U+0085 as whitespace but not U+FEFF; U+200B
 * (zero-width space) is whitespace in neither.
 */

/** Characters Python's `str.isspace()` accepts (the set `str.split()` with no argument splits on). */
const PY_WS_CLASS = '\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_WS_RUN = new RegExp(`[${PY_WS_CLASS}]+`, 'g');

/** Python's `str.isspace()` for one UTF-16 code unit (every Python whitespace character is in the BMP). */
export function isPythonWhitespace(c: number): boolean {
  if (c <= 0x20) return c >= 0x1c || (c >= 0x09 && c <= 0x0d);
  if (c < 0x85) return false;
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

/** Python's `s.split()`: split on runs of whitespace, no empty strings. */
export function pythonSplit(s: string): string[] {
  const out: string[] = [];
  let start = -1;
  for (let i = 0; i < s.length; i++) {
    if (isPythonWhitespace(s.charCodeAt(i))) {
      if (start !== -1) {
        out.push(s.slice(start, i));
        start = -1;
      }
    } else if (start === -1) {
      start = i;
    }
  }
  if (start !== -1) out.push(s.slice(start));
  return out;
}

/** Python's `s.rstrip()`. */
export function pythonRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && isPythonWhitespace(s.charCodeAt(end - 1))) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** Python's `s.strip()`. */
export function pythonStrip(s: string): string {
  let start = 0;
  while (start < s.length && isPythonWhitespace(s.charCodeAt(start))) start++;
  return pythonRstrip(s.slice(start));
}

/** Python's `''.join(s.split())`: every whitespace character removed. */
export function removeWhitespace(s: string): string {
  return s.replace(PY_WS_RUN, '');
}

/** The tokenizer names sacreBLEU prints in the signature (`tok:13a`). */
export type TokenizerName = '13a' | 'intl' | 'char' | 'none';
export const TOKENIZER_NAMES: readonly TokenizerName[] = ['13a', 'intl', 'char', 'none'];

export function isTokenizerName(name: string): name is TokenizerName {
  return (TOKENIZER_NAMES as readonly string[]).includes(name);
}

// mteval-v13a's language-dependent rules (sacreBLEU's TokenizerRegexp), applied in this order.
// 1. Split out ASCII punctuation and symbols except . , - and ' (ranges {-~, [-`, space-&, (-+, :-@, and /).
const RE_13A_PUNCT = /([{-~[-` -&(-+:-@/])/gu;
// 2. Period and comma unless preceded by a digit.
const RE_13A_PERIOD_COMMA_AFTER_NONDIGIT = /([^0-9])([.,])/gu;
// 3. Period and comma unless followed by a digit.
const RE_13A_PERIOD_COMMA_BEFORE_NONDIGIT = /([.,])([^0-9])/gu;
// 4. Dash when preceded by a digit.
const RE_13A_DASH_AFTER_DIGIT = /([0-9])(-)/gu;

/** mteval-v13a tokenization (sacreBLEU's default for BLEU). */
export function tokenize13a(line: string): string {
  let s = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
  if (s.includes('&')) {
    s = s.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
  }
  s = ` ${s} `;
  s = s.replace(RE_13A_PUNCT, ' $1 ');
  s = s.replace(RE_13A_PERIOD_COMMA_AFTER_NONDIGIT, '$1 $2 ');
  s = s.replace(RE_13A_PERIOD_COMMA_BEFORE_NONDIGIT, ' $1 $2');
  s = s.replace(RE_13A_DASH_AFTER_DIGIT, '$1 $2 ');
  return pythonSplit(s).join(' ');
}

// mteval-v14 international rules: Unicode general categories N (number), P (punctuation), S (symbol).
const RE_INTL_PUNCT_AFTER_NONNUMBER = /(\P{N})(\p{P})/gu;
const RE_INTL_PUNCT_BEFORE_NONNUMBER = /(\p{P})(\P{N})/gu;
const RE_INTL_SYMBOL = /(\p{S})/gu;

/**
 * mteval-v14 "international" tokenization: punctuation is split off unless it sits between digits
 * (thousand and decimal separators); every symbol is split off. As in mteval-v14.pl (and sacreBLEU),
 * a number followed by a final period keeps the period attached.
 */
export function tokenizeIntl(line: string): string {
  let s = line.replace(RE_INTL_PUNCT_AFTER_NONNUMBER, '$1 $2 ');
  s = s.replace(RE_INTL_PUNCT_BEFORE_NONNUMBER, ' $1 $2');
  s = s.replace(RE_INTL_SYMBOL, ' $1 ');
  return pythonSplit(s).join(' ');
}

/** Every Unicode code point is a token (whitespace disappears when the result is split). */
export function tokenizeChar(line: string): string {
  return Array.from(line).join(' ');
}

/** No tokenization: BLEU splits the line on whitespace only. */
export function tokenizeNone(line: string): string {
  return line;
}

/** The tokenizer function for a sacreBLEU tokenizer name. */
export function getTokenizer(name: TokenizerName): (line: string) => string {
  switch (name) {
    case '13a':
      return tokenize13a;
    case 'intl':
      return tokenizeIntl;
    case 'char':
      return tokenizeChar;
    case 'none':
      return tokenizeNone;
  }
}
