/**
 * The head view (after bertviz): every layer and head of a Transformer's attention at once, as a grid
 * of thumbnails (rows: layers, columns: heads, then the layer's mean), for each of the three kinds:
 * cross-attention (target words over source words), encoder self-attention (source over source) and
 * decoder self-attention (each target step over the decoder's inputs, <s> and the words before it).
 * Clicking a thumbnail enlarges that head: the words of both sides joined by lines as strong as the
 * weights, and its heatmap; hovering a word (or a cell) shows what it attends to, and what attends to it.
 *
 * The data are the "attention": "all" fields of POST /translate (server mode and in-browser mode give
 * the same JSON). Hooked into the page by main.ts: `headAttentionOption` picks what to ask for,
 * `headView` renders one result.
 */
import './head-view.css';
import type { ModelInfo, TranslationResult } from '../../src/server/translator.js';
import { heatmapSvg } from '../../src/viz/heatmap-svg.js';
import { weightColor, xmlEscape } from '../../src/viz/svg-util.js';
import { el, wordsLine } from './dom.js';
import { attachHover, focusOf } from './highlight.js';

export type HeadKind = 'cross' | 'encoder_self' | 'decoder_self';

const KINDS: ReadonlyArray<{ kind: HeadKind; label: string; help: string }> = [
  { kind: 'cross', label: 'Cross-attention', help: 'each target word (row) over the source words' },
  { kind: 'encoder_self', label: 'Encoder self-attention', help: 'each source word over the source words' },
  { kind: 'decoder_self', label: 'Decoder self-attention', help: 'the step predicting each target word over the words before it (<s> first)' },
];

/** What the page asks a model for: every head of a Transformer, the alignment weights of any other model. */
export function headAttentionOption(info: ModelInfo | undefined): true | 'all' {
  return info?.config['arch'] === 'transformer' ? 'all' : true;
}

/** One kind's heads with the tokens of its rows (queries) and columns (keys). */
interface KindView {
  layers: number[][][][];
  queries: string[];
  keys: string[];
}

function viewOf(r: TranslationResult, kind: HeadKind): KindView | null {
  const layers = r[kind];
  if (layers === undefined) return null;
  if (kind === 'encoder_self') return { layers, queries: r.source_tokens, keys: r.source_tokens };
  if (kind === 'decoder_self') return { layers, queries: r.target_tokens, keys: r.decoder_tokens ?? [] };
  return { layers, queries: r.target_tokens, keys: r.source_tokens };
}

function meanOf(heads: readonly number[][][]): number[][] {
  const first = heads[0] ?? [];
  return first.map((row, q) => row.map((_, k) => heads.reduce((s, m) => s + (m[q]?.[k] ?? 0), 0) / heads.length));
}

/** A thumbnail: the matrix drawn on a canvas, one block per weight. */
function thumbnail(m: readonly number[][], px: number): HTMLCanvasElement {
  const rows = m.length;
  const cols = m[0]?.length ?? 0;
  const unit = Math.max(1, Math.floor(px / Math.max(rows, cols, 1)));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, cols * unit);
  canvas.height = Math.max(1, rows * unit);
  const ctx = canvas.getContext('2d');
  if (ctx !== null) {
    m.forEach((row, q) => row.forEach((w, k) => {
      ctx.fillStyle = weightColor(w);
      ctx.fillRect(k * unit, q * unit, unit, unit);
    }));
  }
  return canvas;
}

/**
 * bertviz's picture of one head: queries in a column on the left, keys on the right, a line from each
 * query to each key with the weight as its opacity. Lines and words carry data-row / data-col, so the
 * page's hover highlighting picks out the lines of the hovered word.
 */
function linesSvg(m: readonly number[][], queries: readonly string[], keys: readonly string[]): string {
  const rowH = 20;
  const textW = (tokens: readonly string[]): number => Math.max(40, ...tokens.map((t) => 7.5 * Array.from(t).length + 10));
  const leftW = textW(queries);
  const rightW = textW(keys);
  const gap = 150;
  const width = leftW + gap + rightW;
  const height = Math.max(queries.length, keys.length) * rowH + 8;
  const y = (i: number): number => 4 + (i + 0.5) * rowH;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" class="hv-lines" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-size="13">`];
  m.forEach((row, q) => row.forEach((w, k) => {
    if (w < 0.01) return;
    parts.push(`<line data-row="${q}" data-col="${k}" x1="${leftW}" y1="${y(q)}" x2="${leftW + gap}" y2="${y(k)}" stroke="rgb(33,113,181)" stroke-width="${(1 + 3 * w).toFixed(2)}" style="--lw:${w.toFixed(3)}"/>`);
  }));
  queries.forEach((t, q) => parts.push(`<text class="hv-q" data-row="${q}" x="${leftW - 6}" y="${y(q)}" dy="0.35em" text-anchor="end">${xmlEscape(t)}</text>`));
  keys.forEach((t, k) => parts.push(`<text class="hv-k" data-col="${k}" x="${leftW + gap + 6}" y="${y(k)}" dy="0.35em">${xmlEscape(t)}</text>`));
  parts.push('</svg>');
  return parts.join('');
}

/** The head view of one result, or null when the result has no heads (an RNN model, or no "attention": "all"). */
export function headView(result: TranslationResult): HTMLElement | null {
  if (result.cross === undefined) return null;
  const section = el('section', 'head-view');
  const heading = el('div', 'hv-heading');
  heading.append(el('h2', '', 'Every head'));
  const tabs = el('div', 'hv-tabs');
  tabs.setAttribute('role', 'tablist');
  heading.append(tabs);
  section.append(heading);
  const help = el('p', 'hv-help');
  const body = el('div', 'hv-body');
  const grid = el('div', 'hv-grid');
  const detail = el('div', 'hv-detail');
  body.append(grid, detail);
  section.append(help, body);

  let kind: HeadKind = 'cross';
  let selected: { layer: number; head: number | 'mean' } = { layer: result.alignment_layer ?? 0, head: 'mean' };

  const showDetail = (): void => {
    const v = viewOf(result, kind);
    if (v === null) return;
    const heads = v.layers[selected.layer] ?? [];
    const m = selected.head === 'mean' ? meanOf(heads) : (heads[selected.head] ?? []);
    const kindLabel = KINDS.find((k) => k.kind === kind)?.label ?? kind;
    grid.querySelectorAll('.hv-thumb').forEach((t) => {
      const on = t.getAttribute('data-layer') === String(selected.layer) && t.getAttribute('data-head') === String(selected.head);
      t.classList.toggle('selected', on);
      t.setAttribute('aria-pressed', String(on));
    });
    const inner = el('div', 'hv-detail-inner');
    inner.append(el('h3', 'hv-caption', `${kindLabel} · layer ${selected.layer} · ${selected.head === 'mean' ? 'mean of the heads' : `head ${selected.head}`}`));
    inner.append(wordsLine(kind === 'encoder_self' ? 'source' : 'target', 'translation', v.queries, 'data-row'));
    inner.append(wordsLine(kind === 'cross' || kind === 'encoder_self' ? 'source' : 'decoder in', 'source', v.keys, 'data-col'));
    const pictures = el('div', 'hv-pictures');
    const lines = el('div', 'hv-lines-box');
    lines.innerHTML = linesSvg(m, v.queries, v.keys);
    const map = el('div', 'heatmap hv-map');
    map.innerHTML = heatmapSvg(m, v.keys, v.queries, { legend: false });
    pictures.append(lines, map);
    inner.append(pictures);
    detail.replaceChildren(inner);
    attachHover(inner, m);
    const lineSvg = lines.querySelector('svg');
    inner.addEventListener('mouseover', (e) => lineSvg?.classList.toggle('hovering', focusOf(e.target) !== null));
    inner.addEventListener('mouseleave', () => lineSvg?.classList.remove('hovering'));
  };

  const showKind = (k: HeadKind): void => {
    kind = k;
    const v = viewOf(result, k);
    if (v === null) return;
    section.dataset['kind'] = k;
    tabs.querySelectorAll('.hv-tab').forEach((t) => t.setAttribute('aria-selected', String(t.getAttribute('data-kind') === k)));
    help.textContent = `${KINDS.find((x) => x.kind === k)?.help ?? ''}. Rows: layers; columns: heads, then their mean. Click a head to enlarge it; hover a word to see what it attends to.`;
    const perLayer = Math.max(...v.layers.map((l) => l.length));
    grid.style.gridTemplateColumns = `auto repeat(${perLayer + 1}, max-content)`;
    const cells: HTMLElement[] = [el('span', ''), ...Array.from({ length: perLayer }, (_, h) => el('span', 'hv-colhead', `head ${h}`)), el('span', 'hv-colhead', 'mean')];
    v.layers.forEach((heads, l) => {
      const label = el('span', 'hv-rowhead', `layer ${l}`);
      if (k === 'cross' && l === result.alignment_layer) {
        label.append(el('span', 'hv-badge', 'alignment'));
        label.title = 'the mean of this layer\'s heads is the attention the model aligns with ("weights")';
      }
      cells.push(label);
      const thumbs: Array<{ head: number | 'mean'; m: number[][] }> = [...heads.map((m, h) => ({ head: h as number | 'mean', m })), { head: 'mean', m: meanOf(heads) }];
      for (const t of thumbs) {
        const b = el('button', 'hv-thumb');
        b.type = 'button';
        b.dataset['layer'] = String(l);
        b.dataset['head'] = String(t.head);
        b.title = `layer ${l} · ${t.head === 'mean' ? 'mean of the heads' : `head ${t.head}`}: click to enlarge`;
        b.append(thumbnail(t.m, 72));
        b.addEventListener('click', () => {
          selected = { layer: l, head: t.head };
          showDetail();
        });
        cells.push(b);
      }
    });
    grid.replaceChildren(...cells);
    if (selected.layer >= v.layers.length) selected = { layer: v.layers.length - 1, head: 'mean' };
    showDetail();
  };

  for (const k of KINDS) {
    if (viewOf(result, k.kind) === null) continue;
    const t = el('button', 'hv-tab', k.label);
    t.type = 'button';
    t.dataset['kind'] = k.kind;
    t.setAttribute('role', 'tab');
    t.addEventListener('click', () => showKind(k.kind));
    tabs.append(t);
  }
  showKind('cross');
  return section;
}
