/**
 * Text normalization applied to every sentence before tokenization.
 *
 * - Unicode NFC (composed accents: "e" + U+0301 becomes "é").
 * - Zero-width characters are removed: U+200B..U+200D (zero-width space, non-joiner, joiner), U+2060 (word joiner),
 *   U+FEFF (byte order mark / zero-width no-break space).
 * - Every other white space (any Zs space such as U+00A0, U+202F, U+2009, and TAB, CR, LF, ...) becomes U+0020.
 * - Runs of spaces collapse to one space; leading and trailing spaces are trimmed.
 */
const ZERO_WIDTH = /[\u200B-\u200D\u2060\uFEFF]/g;
const ANY_SPACE = /[\p{Zs}\t\n\v\f\r\u0085\u2028\u2029]+/gu;

export function normalizeText(text: string): string {
  return text.replace(ZERO_WIDTH, '').normalize('NFC').replace(ANY_SPACE, ' ').trim();
}

/** True when `normalizeText(text) === text` (useful to check inputs of functions that assume normalized text). */
export function isNormalized(text: string): boolean {
  return normalizeText(text) === text;
}
