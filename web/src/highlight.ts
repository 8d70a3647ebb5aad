/**
 * Hover highlighting inside one result panel. The panel holds the source words
 * (`.word[data-col]`), the translated words (`.word[data-row]`) and the heatmap SVG whose cells
 * carry `data-row`/`data-col`. Hovering a target word (or a cell, or a row label) highlights the
 * source words it attends to; hovering a source word (or a column label) highlights the target
 * words that attended to it. Words are tinted by the weight (`--w`), strong links outlined.
 */

/** Weights at or above this are outlined as "attended". */
const STRONG = 0.2;

export type Focus = { kind: 'row'; index: number } | { kind: 'col'; index: number } | null;

export function clearHighlight(panel: HTMLElement): void {
  panel.querySelectorAll('.attn-hl').forEach((el) => el.classList.remove('attn-hl'));
  panel.querySelectorAll<HTMLElement>('.word').forEach((el) => el.style.removeProperty('--w'));
  panel.querySelector('svg.attn-heatmap')?.classList.remove('hovering');
}

/** Highlight the row (target word) or column (source word) `focus` of `weights` (T x S). */
export function applyHighlight(panel: HTMLElement, weights: readonly (readonly number[])[], focus: Focus): void {
  clearHighlight(panel);
  if (focus === null) return;
  panel.querySelector('svg.attn-heatmap')?.classList.add('hovering');
  const strong = (w: number, max: number): boolean => w >= STRONG || w === max;
  if (focus.kind === 'row') {
    const row = weights[focus.index];
    if (row === undefined) return;
    const max = Math.max(...row);
    panel.querySelectorAll(`[data-row="${focus.index}"]`).forEach((el) => el.classList.add('attn-hl'));
    panel.querySelectorAll<HTMLElement>('.source .word[data-col]').forEach((el) => {
      const w = row[Number(el.dataset['col'])] ?? 0;
      el.style.setProperty('--w', String(w));
      if (strong(w, max)) el.classList.add('attn-hl');
    });
    panel.querySelectorAll<SVGElement>('text.attn-src[data-col]').forEach((el) => {
      if (strong(row[Number(el.dataset['col'])] ?? 0, max)) el.classList.add('attn-hl');
    });
  } else {
    const col = weights.map((r) => r[focus.index] ?? 0);
    const max = Math.max(...col);
    panel.querySelectorAll(`[data-col="${focus.index}"]`).forEach((el) => el.classList.add('attn-hl'));
    panel.querySelectorAll<HTMLElement>('.translation .word[data-row]').forEach((el) => {
      const w = col[Number(el.dataset['row'])] ?? 0;
      el.style.setProperty('--w', String(w));
      if (strong(w, max)) el.classList.add('attn-hl');
    });
    panel.querySelectorAll<SVGElement>('text.attn-tgt[data-row]').forEach((el) => {
      if (strong(col[Number(el.dataset['row'])] ?? 0, max)) el.classList.add('attn-hl');
    });
  }
}

/** What the element under the pointer focuses: a cell or target label/word is a row, a source one a column. */
export function focusOf(target: EventTarget | null): Focus {
  if (!(target instanceof Element)) return null;
  const el = target.closest('[data-row], [data-col]');
  if (el === null) return null;
  const row = el.getAttribute('data-row');
  if (row !== null) return { kind: 'row', index: Number(row) };
  const col = el.getAttribute('data-col');
  return col === null ? null : { kind: 'col', index: Number(col) };
}

/** Wire pointer events of `panel` to the highlighting. */
export function attachHover(panel: HTMLElement, weights: readonly (readonly number[])[]): void {
  panel.addEventListener('mouseover', (e) => applyHighlight(panel, weights, focusOf(e.target)));
  panel.addEventListener('mouseleave', () => clearHighlight(panel));
}
