/** DOM helpers the page's views share (main.ts, head-view.ts, step-through.ts, train-here.ts). */

/** A new element with a class (none when empty) and optional text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * One side's words as a line of spans carrying their index (data-row for queries and target words, data-col for
 * keys and source words), after a label: what the page's hover highlighting reads.
 */
export function wordsLine(side: string, cls: string, tokens: readonly string[], attr: 'data-row' | 'data-col'): HTMLElement {
  const line = el('div', `sentence ${cls}`);
  line.append(el('span', 'side', side));
  tokens.forEach((tok, i) => {
    const w = el('span', 'word', tok);
    w.setAttribute(attr, String(i));
    line.append(w);
  });
  return line;
}
