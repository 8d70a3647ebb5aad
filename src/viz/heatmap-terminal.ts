/**
 * Terminal heatmap of an attention matrix (T target rows x S source columns, rows sum to 1).
 *
 * Source tokens are written vertically above their column, target tokens to the left of their row.
 * Without colour each cell is two Unicode shade characters from ' ░▒▓█' (darker = more weight);
 * with colour (a TTY that supports it) each cell is a 256-colour background block. Columns that do
 * not fit in the terminal width are cut, and a last line says how many were left out.
 */
import { checkAttentionShape, type WeightRows } from './heatmap-svg.js';

export const SHADES = [' ', '░', '▒', '▓', '█'] as const;

export interface TerminalHeatmapOptions {
  /** Total width in columns (default 80). */
  width?: number;
  /** ANSI 256-colour background blocks instead of shade characters (default false). */
  color?: boolean;
  /** Longest target label (default 14 characters). */
  maxRowLabel?: number;
  /** Longest source label, written top to bottom (default 8 characters). */
  maxColLabel?: number;
  /** First line of the output. */
  title?: string;
}

/** What a stream offers to decide width and colour (process.stdout fits). */
export interface TerminalLike {
  isTTY?: boolean;
  columns?: number;
  hasColors?: () => boolean;
}

/** Width and colour for a stream: colour only on a colour TTY and when NO_COLOR is not set. */
export function terminalOptionsFor(
  stream: TerminalLike,
  env: Record<string, string | undefined> = {},
): { width: number; color: boolean } {
  const tty = stream.isTTY === true;
  const color = tty && env['NO_COLOR'] === undefined && (stream.hasColors ? stream.hasColors() : false);
  return { width: tty && stream.columns ? stream.columns : 80, color };
}

/** Shade character for a weight in [0, 1] (clamped). */
export function shadeFor(w: number): string {
  const x = Number.isFinite(w) ? Math.min(1, Math.max(0, w)) : 0;
  const i = Math.min(SHADES.length - 1, Math.round(x * (SHADES.length - 1)));
  return SHADES[i] ?? ' ';
}

/** Display width of one code point (wide East Asian characters take two columns). */
function charWidth(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x1100) return 1;
  const wide =
    (cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd);
  return wide ? 2 : 1;
}

function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch);
  return w;
}

/** Cut to `max` display columns with an ellipsis, then pad to exactly `max` on the given side. */
function fit(s: string, max: number, align: 'left' | 'right'): string {
  let out = s;
  if (displayWidth(s) > max) {
    out = '';
    for (const ch of s) {
      if (displayWidth(out) + charWidth(ch) > max - 1) break;
      out += ch;
    }
    out += '…';
  }
  const padding = ' '.repeat(Math.max(0, max - displayWidth(out)));
  return align === 'right' ? padding + out : out + padding;
}

const CELL = 2;

function colorCell(w: number): string {
  const x = Number.isFinite(w) ? Math.min(1, Math.max(0, w)) : 0;
  const code = 232 + Math.round(x * 23);
  return `\x1b[48;5;${code}m${' '.repeat(CELL)}\x1b[0m`;
}

/** Render the heatmap as lines of text (joined with '\n', no trailing newline). */
export function heatmapTerminal(
  weights: WeightRows,
  sourceTokens: readonly string[],
  targetTokens: readonly string[],
  opts: TerminalHeatmapOptions = {},
): string {
  checkAttentionShape(weights, sourceTokens, targetTokens);
  const width = Math.max(20, opts.width ?? 80);
  const rowLabelW = Math.min(opts.maxRowLabel ?? 14, Math.max(1, ...targetTokens.map(displayWidth)));
  const colLabelH = Math.min(opts.maxColLabel ?? 8, Math.max(1, ...sourceTokens.map((s) => Array.from(s).length)));
  const gutter = rowLabelW + 1;
  const fitCols = Math.max(1, Math.floor((width - gutter) / CELL));
  const shown = Math.min(sourceTokens.length, fitCols);
  const lines: string[] = [];
  if (opts.title) lines.push(opts.title);

  // Column labels, one character per line, each in its own CELL-wide slot.
  const colChars = sourceTokens.slice(0, shown).map((tok) => {
    const chars = Array.from(tok);
    if (chars.length > colLabelH) return [...chars.slice(0, colLabelH - 1), '…'];
    return chars;
  });
  for (let r = 0; r < colLabelH; r++) {
    let line = ' '.repeat(gutter);
    for (const chars of colChars) {
      const ch = chars[r] ?? ' ';
      line += ch + ' '.repeat(Math.max(0, CELL - charWidth(ch)));
    }
    lines.push(line.trimEnd());
  }

  weights.forEach((row, t) => {
    let line = fit(targetTokens[t] ?? '', rowLabelW, 'right') + ' ';
    for (let s = 0; s < shown; s++) {
      const w = row[s] ?? 0;
      line += opts.color ? colorCell(w) : shadeFor(w).repeat(CELL);
    }
    lines.push(opts.color ? line : line.trimEnd());
  });
  if (shown < sourceTokens.length) {
    const hidden = sourceTokens.length - shown;
    lines.push(`(${hidden} more source token${hidden === 1 ? '' : 's'} not shown: terminal is ${width} columns wide)`);
  }
  return lines.join('\n');
}
