/**
 * SVG heatmap of an attention matrix.
 *
 * `weights` has one row per target token (T rows) and one column per source token (S columns);
 * each row is the attention distribution alpha_t of one decoder step, so it sums to 1. Source
 * tokens run along the top (rotated labels), target tokens down the left side, each cell is
 * shaded by its weight and carries the weight in a `<title>` (shown on hover) and in `data-*`
 * attributes, so the web page can highlight rows and columns:
 *
 *   <rect class="attn-cell" data-row="t" data-col="s" data-weight="0.8123" ...>
 *   <text class="attn-src" data-col="s">  <text class="attn-tgt" data-row="t">
 *
 * Cell size and font size adapt to the number of tokens so 40+ tokens on each side stay readable.
 * Browser-safe (no Node imports): the web page renders with this same function.
 */
import {
  FONT_FAMILY,
  num,
  textColorOn,
  textWidth,
  truncateLabel,
  weightColor,
  xmlEscape,
} from './svg-util.js';

export interface HeatmapOptions {
  /** Caption drawn above the matrix. */
  title?: string;
  /** Side of a cell in px (default: adapts to the number of tokens, 14..40). */
  cellSize?: number;
  /** Label font size in px (default: adapts to the cell size, 9..14). */
  fontSize?: number;
  /** Longer labels are cut with an ellipsis (the full token stays in the label's title). Default 24. */
  maxLabelChars?: number;
  /** Print the weight inside each cell (default: when cells are at least 34 px). */
  showValues?: boolean;
  /** Draw the 0..1 colour legend on the right (default true). */
  legend?: boolean;
  /** Value of the root element's `id` attribute. */
  id?: string;
}

/** Rows of weights: number[][] from JSON or Float32Array[] from the decoder. */
export type WeightRows = readonly ArrayLike<number>[];

/** Check that the matrix is T x S for the given tokens; throws naming the first mismatch. */
export function checkAttentionShape(weights: WeightRows, sourceTokens: readonly string[], targetTokens: readonly string[]): void {
  if (weights.length !== targetTokens.length) {
    throw new Error(
      `attention heatmap: ${weights.length} weight rows but ${targetTokens.length} target tokens (need one row per target token)`,
    );
  }
  weights.forEach((row, t) => {
    if (row.length !== sourceTokens.length) {
      throw new Error(
        `attention heatmap: weight row ${t} has ${row.length} columns but there are ${sourceTokens.length} source tokens`,
      );
    }
  });
}

interface Layout {
  cell: number;
  font: number;
  left: number;
  top: number;
  gridW: number;
  gridH: number;
  width: number;
  height: number;
  titleY: number;
}

const SIN45 = Math.SQRT1_2;

function layout(
  rows: number,
  cols: number,
  srcLabels: string[],
  tgtLabels: string[],
  opts: HeatmapOptions,
): Layout {
  const n = Math.max(rows, cols, 1);
  const cell = opts.cellSize ?? Math.max(14, Math.min(40, Math.floor(640 / n)));
  const font = opts.fontSize ?? Math.max(9, Math.min(14, Math.round(cell * 0.6)));
  const maxSrcW = Math.max(0, ...srcLabels.map((s) => textWidth(s, font)));
  const maxTgtW = Math.max(0, ...tgtLabels.map((s) => textWidth(s, font)));
  const pad = 10;
  const titleH = opts.title ? font + 3 + 12 : 0;
  const left = pad + maxTgtW + 8;
  const top = pad + titleH + maxSrcW * SIN45 + font + 6;
  const gridW = cols * cell;
  const gridH = rows * cell;
  const legendW = opts.legend === false ? 0 : 16 + 12 + textWidth('1.0', font) + 6;
  const labelOverhang = maxSrcW * SIN45 + font - cell / 2;
  const right = Math.max(legendW, labelOverhang, 0) + pad;
  return {
    cell,
    font,
    left,
    top,
    gridW,
    gridH,
    // Wide enough for the title too (it starts at x = 10 and is drawn in bold, font + 3).
    width: Math.ceil(Math.max(left + gridW + right, opts.title ? 10 + textWidth(opts.title, font + 3) * 1.08 + pad : 0)),
    height: Math.ceil(top + gridH + pad),
    titleY: pad + font + 3,
  };
}

function formatWeight(w: number): string {
  return Number.isFinite(w) ? w.toFixed(4) : String(w);
}

/** Render the attention matrix as a standalone SVG document (string). */
export function heatmapSvg(
  weights: WeightRows,
  sourceTokens: readonly string[],
  targetTokens: readonly string[],
  opts: HeatmapOptions = {},
): string {
  checkAttentionShape(weights, sourceTokens, targetTokens);
  const maxChars = opts.maxLabelChars ?? 24;
  const srcLabels = sourceTokens.map((s) => truncateLabel(s, maxChars));
  const tgtLabels = targetTokens.map((s) => truncateLabel(s, maxChars));
  const L = layout(targetTokens.length, sourceTokens.length, srcLabels, tgtLabels, opts);
  const showValues = opts.showValues ?? L.cell >= 34;
  const out: string[] = [];
  const idAttr = opts.id ? ` id="${xmlEscape(opts.id)}"` : '';
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg"${idAttr} class="attn-heatmap" width="${L.width}" height="${L.height}" ` +
      `viewBox="0 0 ${L.width} ${L.height}" font-family="${FONT_FAMILY}" font-size="${L.font}" ` +
      `data-rows="${targetTokens.length}" data-cols="${sourceTokens.length}">`,
  );
  out.push(`<rect class="attn-bg" x="0" y="0" width="${L.width}" height="${L.height}" fill="#ffffff"/>`);
  if (opts.title) {
    out.push(
      `<text class="attn-title" x="10" y="${num(L.titleY)}" font-size="${L.font + 3}" font-weight="bold" fill="#111827">${xmlEscape(opts.title)}</text>`,
    );
  }
  out.push(`<g class="attn-src-labels" fill="#111827">`);
  srcLabels.forEach((label, s) => {
    const cx = L.left + (s + 0.5) * L.cell;
    const y = L.top - 6;
    out.push(
      `<text class="attn-src" data-col="${s}" transform="translate(${num(cx + L.font * 0.3)},${num(y)}) rotate(-45)">` +
        `<title>${xmlEscape(sourceTokens[s] ?? '')}</title>${xmlEscape(label)}</text>`,
    );
  });
  out.push('</g>');
  out.push(`<g class="attn-tgt-labels" fill="#111827" text-anchor="end">`);
  tgtLabels.forEach((label, t) => {
    const cy = L.top + (t + 0.5) * L.cell;
    out.push(
      `<text class="attn-tgt" data-row="${t}" x="${num(L.left - 6)}" y="${num(cy)}" dy="0.35em">` +
        `<title>${xmlEscape(targetTokens[t] ?? '')}</title>${xmlEscape(label)}</text>`,
    );
  });
  out.push('</g>');
  out.push(`<g class="attn-grid">`);
  const values: string[] = [];
  weights.forEach((row, t) => {
    const tgt = targetTokens[t] ?? '';
    for (let s = 0; s < row.length; s++) {
      const w = row[s] ?? 0;
      const x = L.left + s * L.cell;
      const y = L.top + t * L.cell;
      const label = `${tgt} \u2190 ${sourceTokens[s] ?? ''}: ${formatWeight(w)}`;
      out.push(
        `<rect class="attn-cell" data-row="${t}" data-col="${s}" data-weight="${formatWeight(w)}" x="${num(x)}" y="${num(y)}" ` +
          `width="${L.cell}" height="${L.cell}" fill="${weightColor(w)}"><title>${xmlEscape(label)}</title></rect>`,
      );
      if (showValues) {
        const text = w >= 0.995 ? '1' : w.toFixed(2).replace(/^0/, '');
        values.push(
          `<text x="${num(x + L.cell / 2)}" y="${num(y + L.cell / 2)}" dy="0.35em" fill="${textColorOn(w)}">${text}</text>`,
        );
      }
    }
  });
  out.push(
    `<rect class="attn-frame" x="${num(L.left)}" y="${num(L.top)}" width="${L.gridW}" height="${L.gridH}" fill="none" stroke="#9ca3af" stroke-width="1"/>`,
  );
  out.push('</g>');
  if (values.length > 0) {
    out.push(
      `<g class="attn-values" text-anchor="middle" font-size="${Math.max(8, L.font - 3)}" pointer-events="none">${values.join('')}</g>`,
    );
  }
  if (opts.legend !== false) out.push(legendSvg(L));
  out.push('</svg>');
  return out.join('\n');
}

function legendSvg(L: Layout): string {
  const x = L.left + L.gridW + 16;
  const h = Math.max(40, Math.min(L.gridH, 160));
  const y = L.top;
  const steps = 20;
  const parts: string[] = [`<g class="attn-legend" font-size="${Math.max(8, L.font - 2)}" fill="#374151">`];
  for (let i = 0; i < steps; i++) {
    const w = 1 - (i + 0.5) / steps;
    parts.push(
      `<rect x="${num(x)}" y="${num(y + (i * h) / steps)}" width="12" height="${num(h / steps + 0.5)}" fill="${weightColor(w)}"/>`,
    );
  }
  parts.push(`<rect x="${num(x)}" y="${num(y)}" width="12" height="${num(h)}" fill="none" stroke="#9ca3af"/>`);
  parts.push(`<text x="${num(x + 16)}" y="${num(y)}" dy="0.7em">1.0</text>`);
  parts.push(`<text x="${num(x + 16)}" y="${num(y + h)}">0.0</text>`);
  parts.push('</g>');
  return parts.join('');
}
