/**
 * SVG of every head of one attention kind of a Transformer: a grid with one row per layer and one
 * column per head, each cell a small heatmap of that head's weights (queries down, keys across) under
 * its label "layer l · head h" (numbered from 0, as `attnmt attention --layer L --head H`).
 *
 *   <g class="head" data-layer="l" data-head="h">
 *     <text class="head-label">layer l · head h</text>
 *     <rect class="head-cell" data-row="q" data-col="k" data-weight="0.8123" ...><title>..</title></rect> ...
 *   </g>
 *
 * The tokens are written once: the queries down the left of each layer's row, the keys above the
 * first layer's row (when the cells are large enough to carry a label). Browser-safe (no Node imports).
 */
import { FONT_FAMILY, num, textWidth, truncateLabel, weightColor, xmlEscape } from './svg-util.js';

/** [layer][head][query][key], as in `translate --attention` ("cross", "encoder_self", "decoder_self"). */
export type HeadStack = readonly (readonly (readonly ArrayLike<number>[])[])[];

export interface HeadGridOptions {
  /** Caption drawn above the grid. */
  title?: string;
  /** Side of one weight's square in px (default: adapts so a head is about 120 px, 3..14). */
  unit?: number;
}

/** Throws naming the first head whose matrix is not queries x keys. */
export function checkHeadStack(heads: HeadStack, queries: readonly string[], keys: readonly string[]): void {
  if (heads.length === 0) throw new Error('head grid: no layers');
  heads.forEach((layer, l) => {
    if (layer.length === 0) throw new Error(`head grid: layer ${l} has no heads`);
    layer.forEach((m, h) => {
      if (m.length !== queries.length) throw new Error(`head grid: layer ${l} head ${h} has ${m.length} rows for ${queries.length} query tokens`);
      m.forEach((row, q) => {
        if (row.length !== keys.length) throw new Error(`head grid: layer ${l} head ${h} row ${q} has ${row.length} columns for ${keys.length} key tokens`);
      });
    });
  });
}

/** The grid as a standalone SVG document. */
export function headGridSvg(heads: HeadStack, queries: readonly string[], keys: readonly string[], opts: HeadGridOptions = {}): string {
  checkHeadStack(heads, queries, keys);
  const layers = heads.length;
  const perLayer = Math.max(...heads.map((l) => l.length));
  const n = Math.max(queries.length, keys.length, 1);
  const unit = opts.unit ?? Math.max(3, Math.min(14, Math.floor(120 / n)));
  const font = 12;
  const tokenFont = Math.max(7, Math.min(11, unit - 1));
  const showTokens = unit >= 8;
  const q = queries.map((t) => truncateLabel(t, 14));
  const k = keys.map((t) => truncateLabel(t, 14));
  const pad = 12;
  const titleH = opts.title === undefined ? 0 : font + 14;
  const qLabelW = showTokens ? Math.max(...q.map((t) => textWidth(t, tokenFont))) + 6 : 0;
  const kLabelH = showTokens ? Math.max(...k.map((t) => textWidth(t, tokenFont))) * Math.SQRT1_2 + tokenFont + 4 : 0;
  const rowHeadW = textWidth('layer 00', font) + 10;
  const cellW = keys.length * unit;
  const cellH = queries.length * unit;
  const gapX = 14;
  const gapY = 26;
  const left = pad + rowHeadW + qLabelW;
  const top = pad + titleH + kLabelH + font + 6;
  const width = Math.ceil(Math.max(left + perLayer * (cellW + gapX) + pad, opts.title === undefined ? 0 : pad + textWidth(opts.title, font + 2) * 1.08 + pad));
  const height = Math.ceil(top + layers * (cellH + gapY) + pad);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="head-grid" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="${FONT_FAMILY}" font-size="${font}" data-layers="${layers}" data-heads="${perLayer}" data-rows="${queries.length}" data-cols="${keys.length}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (opts.title !== undefined) out.push(`<text class="head-title" x="${pad}" y="${pad + font + 2}" font-size="${font + 2}" font-weight="bold" fill="#111827">${xmlEscape(opts.title)}</text>`);
  for (let l = 0; l < layers; l++) {
    const y0 = top + l * (cellH + gapY);
    out.push(`<text class="layer-label" x="${pad}" y="${num(y0 + cellH / 2)}" dy="0.35em" font-weight="bold" fill="#374151">layer ${l}</text>`);
    if (showTokens) {
      out.push(`<g class="query-labels" font-size="${tokenFont}" fill="#4b5563" text-anchor="end">`);
      q.forEach((t, r) => out.push(`<text x="${num(left - 4)}" y="${num(y0 + (r + 0.5) * unit)}" dy="0.35em">${xmlEscape(t)}</text>`));
      out.push('</g>');
    }
    (heads[l] ?? []).forEach((m, h) => {
      const x0 = left + h * (cellW + gapX);
      out.push(`<g class="head" data-layer="${l}" data-head="${h}">`);
      out.push(`<text class="head-label" x="${num(x0)}" y="${num(y0 - 5)}" fill="#111827">layer ${l} · head ${h}</text>`);
      if (showTokens && l === 0) {
        out.push(`<g class="key-labels" font-size="${tokenFont}" fill="#4b5563">`);
        k.forEach((t, c) => out.push(`<text transform="translate(${num(x0 + (c + 0.5) * unit + tokenFont * 0.3)},${num(y0 - font - 8)}) rotate(-45)">${xmlEscape(t)}</text>`));
        out.push('</g>');
      }
      m.forEach((row, r) => {
        for (let c = 0; c < row.length; c++) {
          const w = row[c] ?? 0;
          out.push(
            `<rect class="head-cell" data-row="${r}" data-col="${c}" data-weight="${w.toFixed(4)}" x="${num(x0 + c * unit)}" y="${num(y0 + r * unit)}" width="${unit}" height="${unit}" fill="${weightColor(w)}">` +
              `<title>${xmlEscape(`${queries[r] ?? ''} \u2190 ${keys[c] ?? ''}: ${w.toFixed(4)}`)}</title></rect>`,
          );
        }
      });
      out.push(`<rect x="${num(x0)}" y="${num(y0)}" width="${cellW}" height="${cellH}" fill="none" stroke="#9ca3af"/>`);
      out.push('</g>');
    });
  }
  out.push('</svg>');
  return out.join('\n');
}
