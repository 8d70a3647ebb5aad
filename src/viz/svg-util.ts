/**
 * Small helpers shared by the SVG pictures (heatmap, chart). Browser-safe: no Node imports,
 * so the web page bundles the same code the CLI uses.
 */

/** Escape text for XML character data and attribute values. */
export function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '>':
        return '&gt;';
      case '"':
        return '&quot;';
      default:
        return '&#39;';
    }
  });
}

/** Font stack used by every picture (DejaVu/Liberation are what resvg finds on Debian). */
export const FONT_FAMILY = 'DejaVu Sans, Liberation Sans, Arial, Helvetica, sans-serif';

/** Round for SVG coordinates: at most 2 decimals, no trailing zeros. */
export function num(x: number): string {
  return String(Math.round(x * 100) / 100);
}

/** Cut `s` to at most `max` characters (code points), marking the cut with an ellipsis. */
export function truncateLabel(s: string, max: number): string {
  const chars = Array.from(s);
  if (chars.length <= max) return s;
  return chars.slice(0, Math.max(1, max - 1)).join('') + '…';
}

/**
 * Approximate rendered width of `s` in a sans-serif font of size `fontSize` (px). Good enough to
 * reserve margins: average glyph about 0.6 em, wide (CJK) glyphs 1 em.
 */
export function textWidth(s: string, fontSize: number): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    w += cp >= 0x1100 && isWide(cp) ? 1 : 0.6;
  }
  return w * fontSize;
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

/**
 * Colour for a weight in [0, 1]: white to deep blue through a perceptually even ramp
 * (a sequential "Blues" palette). Values outside [0, 1] are clamped.
 */
export function weightColor(w: number): string {
  const stops: [number, number, number][] = [
    [247, 251, 255],
    [198, 219, 239],
    [107, 174, 214],
    [33, 113, 181],
    [8, 48, 107],
  ];
  const x = Number.isFinite(w) ? Math.min(1, Math.max(0, w)) : 0;
  const pos = x * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = stops[i] ?? stops[0]!;
  const b = stops[i + 1] ?? a;
  const c = [0, 1, 2].map((k) => Math.round((a[k] ?? 0) + ((b[k] ?? 0) - (a[k] ?? 0)) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Text colour readable on top of `weightColor(w)`. */
export function textColorOn(w: number): string {
  return w > 0.45 ? '#ffffff' : '#1f2937';
}

/** Palette for chart lines (colour-blind safe: Okabe-Ito). */
export const SERIES_COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
