/**
 * "Step through": the computation of every decoder step, for the sentence on the page, from the
 * explain API (POST /explain, or the in-page worker): previous / next buttons and a slider over the
 * steps; for the chosen step the decoder state s_t, the raw score of every source word, the softmax
 * weights (bars, and one stacked bar that visibly fills to 1), the context c_t built from the weighted
 * encoder-state strips α_i·h_i, the concatenation [c_t; s_t] through the tanh layer, and the top next
 * words; the produced word is appended to the output. The fixed-context baseline is shown beside it,
 * with its one context that never changes. A box forces a translation: every word then shows the
 * probability the model gave it (low = surprised).
 */
import './step-through.css';
import type { ModelKind } from '../../src/server/translator.js';
import type { ExplainResult, ExplainStep } from '../../src/translate/explain.js';
import type { Backend } from './backend.js';
import { el } from './dom.js';

const TITLES: Record<ModelKind, string> = { attention: 'Attention model', baseline: 'Fixed-context baseline' };
/** Next-word candidates asked for. */
const TOP = 5;
/** Colours of the source words in the stacked weight bar (and their rows). */
const PALETTE = ['#2563eb', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6', '#06b6d4', '#ec4899', '#84cc16', '#f97316', '#64748b'];

const colourOf = (i: number): string => PALETTE[i % PALETTE.length] as string;
const fmt = (x: number, d = 3): string => x.toFixed(d);
const pct = (p: number): string => `${(p * 100).toFixed(p < 0.1 ? 1 : 0)}%`;

/** Diverging colour of x in [-scale, scale]: blue negative, white 0, orange-red positive. */
function diverging(x: number, scale: number): string {
  const v = Math.max(-1, Math.min(1, scale > 0 ? x / scale : 0));
  const a = Math.abs(v);
  const [r, g, b] = v >= 0 ? [220, 80, 30] : [37, 99, 235];
  const mix = (c: number): number => Math.round(255 + (c - 255) * a);
  return `rgb(${mix(r)}, ${mix(g)}, ${mix(b)})`;
}

/** A vector as a strip of coloured cells (one per value), with its norm. */
function strip(values: readonly number[], scale: number, cls = ''): HTMLCanvasElement {
  const cell = values.length > 160 ? 2 : values.length > 64 ? 3 : 6;
  const c = el('canvas', `st-strip ${cls}`);
  c.width = Math.max(1, values.length * cell);
  c.height = 14;
  c.dataset['norm'] = String(Math.hypot(...values));
  const ctx = c.getContext('2d');
  if (ctx !== null) {
    values.forEach((x, j) => {
      ctx.fillStyle = diverging(x, scale);
      ctx.fillRect(j * cell, 0, cell, c.height);
    });
  }
  return c;
}

const maxAbs = (vs: readonly (readonly number[])[]): number => Math.max(1e-9, ...vs.map((v) => Math.max(...v.map(Math.abs))));

function block(title: string, formula: string, ...content: (HTMLElement | string)[]): HTMLElement {
  const b = el('div', 'st-block');
  const h = el('div', 'st-block-title', title);
  if (formula) h.append(el('span', 'st-formula', formula));
  b.append(h, ...content);
  return b;
}

function vectorRow(label: string, values: readonly number[], scale: number, note = '', cls = ''): HTMLElement {
  const row = el('div', `st-vec ${cls}`);
  row.append(el('span', 'st-vec-label', label), strip(values, scale), el('span', 'st-vec-note', note || `‖·‖ ${fmt(Math.hypot(...values), 2)}`));
  return row;
}

/** The words of the translation so far, each with the probability the model gave it; the current one highlighted. */
function wordsLine(r: ExplainResult, t: number, go: (t: number) => void): HTMLElement {
  const line = el('div', 'st-words');
  line.append(el('span', 'st-words-label', r.mode === 'forced' ? 'forced' : 'output'));
  r.steps.forEach((s) => {
    const w = el('button', `st-word${s.t === t ? ' current' : ''}${s.t > t ? ' later' : ''}`);
    w.type = 'button';
    w.dataset['step'] = String(s.t);
    w.title = `step ${s.t}: p(${s.token}) = ${fmt(s.p, 4)}${r.mode === 'greedy' ? '' : `, rank ${s.rank}`}`;
    w.append(el('span', 'tok', s.token));
    const bar = el('span', 'p');
    bar.style.setProperty('--p', String(s.p));
    bar.classList.toggle('low', s.p < 0.1);
    w.append(bar, el('span', `pv${s.p < 0.1 ? ' low' : ''}`, pct(s.p)));
    w.addEventListener('click', () => go(s.t));
    line.append(w);
  });
  return line;
}

/** Scores as bars around 0 (before the softmax), one row per source word. */
function scoresBlock(r: ExplainResult, s: ExplainStep): HTMLElement {
  const scores = s.scores ?? [];
  const scale = Math.max(1e-9, ...scores.map(Math.abs));
  const rows = el('div', 'st-bars scores');
  r.source_tokens.forEach((tok, i) => {
    const e = scores[i] ?? 0;
    const row = el('div', 'st-bar-row');
    row.dataset['col'] = String(i);
    const track = el('div', 'st-track diverging');
    const bar = el('div', `st-bar ${e >= 0 ? 'pos' : 'neg'}`);
    bar.style.width = `${(50 * Math.abs(e)) / scale}%`;
    track.append(bar);
    const value = el('span', 'st-val st-score', fmt(e, 2));
    value.dataset['score'] = String(e);
    row.append(el('span', 'st-tok', tok), track, value);
    rows.append(row);
  });
  return block('2 · scores', 'e_ti = score(s_t, h_i), before the softmax', rows);
}

/** The softmax weights: one bar per source word, and all of them stacked into one bar that fills to 1. */
function weightsBlock(r: ExplainResult, s: ExplainStep): HTMLElement {
  const weights = s.weights ?? [];
  const rows = el('div', 'st-bars weights');
  const stack = el('div', 'st-stack');
  r.source_tokens.forEach((tok, i) => {
    const w = weights[i] ?? 0;
    const row = el('div', 'st-bar-row');
    row.dataset['col'] = String(i);
    const track = el('div', 'st-track');
    const bar = el('div', 'st-bar');
    bar.style.width = `${100 * w}%`;
    bar.style.background = colourOf(i);
    track.append(bar);
    const value = el('span', 'st-val st-weight', fmt(w));
    value.dataset['weight'] = String(w);
    row.append(el('span', 'st-tok', tok), track, value);
    rows.append(row);
    const seg = el('div', 'st-seg');
    seg.style.width = `${100 * w}%`;
    seg.style.background = colourOf(i);
    seg.title = `${tok}: ${fmt(w)}`;
    if (w > 0.08) seg.textContent = tok;
    stack.append(seg);
  });
  const sum = el('div', 'st-sum');
  sum.append(stack, el('span', 'st-val st-weight-sum', `Σ ${fmt(s.weight_sum ?? 0, 4)}`));
  return block('3 · softmax', 'α_ti = exp(e_ti) / Σ_k exp(e_tk)', rows, sum);
}

/** The context as the sum of the weighted encoder-state strips. */
function contextBlock(r: ExplainResult, s: ExplainStep): HTMLElement {
  const h = r.encoder_states ?? [];
  const weights = s.weights ?? [];
  const weighted = h.map((v, i) => v.map((x) => x * (weights[i] ?? 0)));
  const scale = maxAbs([...h, s.context]);
  const rows = el('div', 'st-vecs');
  h.forEach((v, i) => {
    const row = vectorRow(`${fmt(weights[i] ?? 0, 2)} × h${i + 1}`, weighted[i] ?? v, scale, r.source_tokens[i] ?? '');
    row.style.setProperty('--c', colourOf(i));
    row.classList.add('weighted');
    rows.append(row);
  });
  rows.append(vectorRow(`c_${s.t}`, s.context, scale, `‖c‖ ${fmt(s.context_norm, 2)}, check ${s.context_check.toExponential(0)}`, 'sum'));
  return block('4 · context', `c_t = Σ_i α_ti h_i (the strips above, added up)`, rows);
}

function fixedContextBlock(s: ExplainStep): HTMLElement {
  const scale = maxAbs([s.context]);
  const note = el('p', 'st-note', 'No attention, no scores, no weights: the decoder gets the encoder\'s final state as its one context, the same vector at every step.');
  return block('2 · context', 'c_t = h_S (fixed)', note, vectorRow('c (fixed)', s.context, scale, `‖c‖ ${fmt(s.context_norm, 2)}, never changes`, 'sum fixed'));
}

/** A Transformer step: the layer's head-mean weights and each head's weights. */
function headsBlock(r: ExplainResult, s: ExplainStep): HTMLElement {
  const heads = (s.heads ?? []).filter((h) => h.layer === r.layer);
  const rows = el('div', 'st-bars weights');
  r.source_tokens.forEach((tok, i) => {
    const w = s.weights?.[i] ?? 0;
    const row = el('div', 'st-bar-row');
    const track = el('div', 'st-track');
    const bar = el('div', 'st-bar');
    bar.style.width = `${100 * w}%`;
    bar.style.background = colourOf(i);
    track.append(bar);
    const cells = el('span', 'st-heads');
    for (const hd of heads) {
      const c = el('span', 'st-head-cell');
      c.style.background = `rgba(37, 99, 235, ${hd.weights[i] ?? 0})`;
      c.title = `head ${hd.head}: α ${fmt(hd.weights[i] ?? 0)}, score ${fmt(hd.scores[i] ?? 0, 2)}`;
      cells.append(c);
    }
    const value = el('span', 'st-val st-weight', fmt(w));
    value.dataset['weight'] = String(w);
    row.append(el('span', 'st-tok', tok), cells, track, value);
    rows.append(row);
  });
  return block(`2 · cross-attention, layer ${r.layer}`, `${heads.length} heads (squares), their mean (bars) · Σ = ${fmt(s.weight_sum ?? 0, 4)}`, rows);
}

function topBlock(s: ExplainStep, n: number): HTMLElement {
  const list = el('div', 'st-bars top');
  for (const w of s.top) {
    const row = el('div', `st-bar-row${w.chosen ? ' chosen' : ''}`);
    const track = el('div', 'st-track');
    const bar = el('div', 'st-bar');
    bar.style.width = `${100 * w.p}%`;
    track.append(bar);
    row.append(el('span', 'st-tok', `${w.chosen ? '▶ ' : ''}${w.token}`), track, el('span', 'st-val', pct(w.p)));
    list.append(row);
  }
  return block(`${n} · next word`, 'p(y_t | y_<t, x) = softmax(W_o h~_t + b_o)', list);
}

/** One model's column at step t. */
function renderStep(kind: ModelKind, r: ExplainResult, t: number, go: (t: number) => void): HTMLElement {
  const panel = el('section', 'st-panel');
  panel.dataset['model'] = kind;
  panel.append(el('h3', '', TITLES[kind]));
  panel.append(wordsLine(r, t, go));
  const s = r.steps[Math.min(t, r.steps.length) - 1];
  if (s === undefined) return panel;
  panel.dataset['step'] = String(s.t);
  const head = el('div', 'st-step-head');
  head.innerHTML = '';
  head.append(
    el('span', 'st-reads', `step ${s.t} reads “${s.input}”`),
    el('span', 'st-arrow', '→'),
    el('span', 'st-produces', s.token),
    el('span', 'st-p', `p = ${fmt(s.p, 3)}${r.mode === 'greedy' ? '' : ` · rank ${s.rank}`}`),
  );
  if (s.t < t) head.append(el('span', 'st-ended', `(its translation ended at step ${s.t})`));
  panel.append(head);
  panel.append(block('1 · decoder state', `s_t = RNN(s_t−1, y_t−1)`, vectorRow(`s_${s.t}`, s.state, maxAbs([s.state]))));
  let n = 2;
  if (s.heads !== undefined) {
    panel.append(headsBlock(r, s));
    n = 3;
  } else if (s.fixed_context) {
    panel.append(fixedContextBlock(s));
    n = 3;
  } else {
    panel.append(scoresBlock(r, s), weightsBlock(r, s), contextBlock(r, s));
    n = 5;
  }
  if (s.attentional !== null) {
    const scale = maxAbs([s.context, s.state]);
    const concat = el('div', 'st-vec concat');
    concat.append(el('span', 'st-vec-label', `[c_${s.t}; s_${s.t}]`), strip(s.context, scale), strip(s.state, scale), el('span', 'st-vec-note', `${s.context.length + s.state.length} values`));
    panel.append(block(`${n} · feed-forward`, 'h~_t = tanh(W_c [c_t; s_t] + b_c)', concat, vectorRow(`h~_${s.t}`, s.attentional, 1)));
    n++;
  }
  panel.append(topBlock(s, n));
  return panel;
}

export interface StepThrough {
  /**
   * Explain `text` with every loaded model and show step 1 (or keep the step when only the beam changed).
   * `beam` is the page's beam menu (undefined: each model's own): the view follows the translation the
   * heatmap shows, greedy for beam 1, else the beam's best hypothesis (forced along its path).
   */
  show(backend: Backend, text: string, beam: number | undefined): Promise<void>;
}

/** The beam a model decodes with on the page: the menu's, else the model's own. */
function beamOf(backend: Backend, kind: ModelKind, beam: number | undefined): number {
  const own = backend.models[kind]?.decoding?.['beam'];
  return beam ?? (typeof own === 'number' ? own : 1);
}

/** The view, inside `root` (an empty section of the page). */
export function createStepThrough(root: HTMLElement): StepThrough {
  root.classList.add('step-through');
  const header = el('div', 'st-header');
  header.append(el('h2', '', 'Step through the computation'), el('p', 'st-lede', 'One decoder step at a time: what the decoder state scores, how the softmax turns scores into weights, how the weighted encoder states add up to the context, and which word comes out.'));
  const controls = el('div', 'st-controls');
  const prev = el('button', 'st-prev', '◀ previous');
  const next = el('button', 'st-next', 'next ▶');
  prev.type = next.type = 'button';
  const slider = el('input', 'st-slider');
  slider.type = 'range';
  slider.min = '1';
  slider.setAttribute('aria-label', 'decoder step');
  const label = el('span', 'st-label');
  controls.append(prev, slider, next, label);
  const force = el('form', 'st-force');
  const forceInput = el('input', '');
  forceInput.type = 'text';
  forceInput.placeholder = 'force a translation, e.g. le chat noir a mangé la souris';
  forceInput.setAttribute('aria-label', 'forced translation');
  forceInput.id = 'st-force-input';
  const forceButton = el('button', '', 'Force');
  const clear = el('button', 'st-clear', 'own translation');
  clear.type = 'button';
  force.append(el('span', 'st-force-label', 'Force a translation'), forceInput, forceButton, clear);
  const status = el('p', 'st-status');
  const columns = el('div', 'st-columns');
  root.append(header, controls, force, status, columns);

  let results: Partial<Record<ModelKind, ExplainResult>> = {};
  let step = 1;
  let current: { backend: Backend; text: string; beam: number | undefined; target: string | undefined } | null = null;
  let latest = 0;
  let failed = false;

  const total = (): number => Math.max(0, ...Object.values(results).map((r) => r.steps.length));
  const render = (): void => {
    const n = total();
    step = Math.min(Math.max(1, step), Math.max(1, n));
    slider.max = String(Math.max(1, n));
    slider.value = String(step);
    label.textContent = `step ${step} of ${n}`;
    prev.disabled = step <= 1;
    next.disabled = step >= n;
    root.dataset['step'] = String(step);
    columns.replaceChildren(...(['attention', 'baseline'] as const).flatMap((k) => {
      const r = results[k];
      return r === undefined ? [] : [renderStep(k, r, step, go)];
    }));
  };
  const go = (t: number): void => {
    step = t;
    render();
  };

  const load = async (): Promise<void> => {
    if (current === null) return;
    const { backend, text, beam, target } = current;
    const mine = ++latest;
    const kinds = (['attention', 'baseline'] as const).filter((k) => backend.models[k] !== undefined);
    root.dataset['busy'] = 'true';
    failed = false;
    status.textContent = target === undefined ? 'Explaining…' : `Forcing “${target}”…`;
    try {
      const answers = await Promise.all(kinds.map((k) => backend.explain(k, text, { top: TOP, ...(target === undefined ? { beam: beamOf(backend, k, beam) } : { target }) })));
      if (mine !== latest) return;
      results = {};
      kinds.forEach((k, i) => (results[k] = answers[i]));
      const r = answers[0];
      const how = r?.mode === 'beam'
        ? `the best translation of a beam search of ${r.beam} (the beam menu), explained along its path`
        : 'greedy decoding (the most probable word each time; beam 1)';
      status.textContent = r === undefined ? '' : target === undefined
        ? `${r.steps.length} steps of ${how}. Use ◀ ▶, the slider or the arrow keys.`
        : `The model reads “${target}” word by word (teacher forcing): each word shows the probability it gave it; red = surprised.`;
      root.hidden = false;
      root.dataset['mode'] = r?.mode ?? '';
      render();
    } catch (err) {
      if (mine === latest) failed = true;
      if (mine === latest) status.textContent = `Could not explain: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      if (mine === latest) delete root.dataset['busy'];
    }
  };

  prev.addEventListener('click', () => go(step - 1));
  next.addEventListener('click', () => go(step + 1));
  slider.addEventListener('input', () => go(Number(slider.value)));
  root.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLInputElement && e.target.type === 'text') return;
    if (e.key === 'ArrowLeft' && step > 1) go(step - 1);
    else if (e.key === 'ArrowRight' && step < total()) go(step + 1);
    else return;
    e.preventDefault();
  });
  force.addEventListener('submit', (e) => {
    e.preventDefault();
    if (current === null) return;
    const target = forceInput.value.trim();
    current = { ...current, target: target === '' ? undefined : target };
    step = 1;
    void load();
  });
  clear.addEventListener('click', () => {
    forceInput.value = '';
    if (current === null) return;
    current = { ...current, target: undefined };
    step = 1;
    void load();
  });

  return {
    async show(backend, text, beam) {
      const same = current?.text === text && current.backend === backend;
      // The same sentence translated again with the same beam (Enter after the typing pause did it already): the view,
      // its step and any forced translation stay, and the explanation is not made twice.
      if (same && current?.beam === beam && !failed) return;
      if (!same) {
        step = 1;
        forceInput.value = '';
      }
      current = { backend, text, beam, target: same ? current?.target : undefined };
      await load();
    },
  };
}
