/**
 * The attnmt page: type a sentence (translated as you type, after a short pause), see each model's
 * translation and attention heatmap side by side (attention model, fixed-context baseline); hover to
 * see what looked at what. Decoding settings are the model's own unless the beam menu says otherwise,
 * so the page shows what `attnmt translate` and `POST /translate` give.
 */
import './style.css';
import { heatmapSvg } from '../../src/viz/heatmap-svg.js';
import { seedExamples } from '../../src/data/seed-corpus.js';
import type { ModelInfo, ModelKind, TranslationResult } from '../../src/server/translator.js';
import { connectServer, type Backend } from './backend.js';
import { el, wordsLine } from './dom.js';
import { attachHover } from './highlight.js';
import { headAttentionOption, headView } from './head-view.js';
import { fetchCheckpoint, loadLocalBackend, type LocalSource } from './local.js';
import { createStepThrough } from './step-through.js';
import { setUpTrainHere } from './train-here.js';

const $ = <T extends HTMLElement>(id: string): T => {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`page is missing #${id}`);
  return el as T;
};

const form = $<HTMLFormElement>('translate-form');
const input = $<HTMLInputElement>('source');
const beamSelect = $<HTMLSelectElement>('beam');
const button = $<HTMLButtonElement>('translate');
const statusEl = $('status');
const errorEl = $('error');
const results = $('results');
const localSection = $('local');
const fileInput = $<HTMLInputElement>('checkpoint-file');
const gallery = $('gallery');
const stepThrough = createStepThrough($('step-through'));

let backend: Backend | null = null;
/** Each translation request gets the next number; only the latest one's answer is shown. */
let latest = 0;
/** Pause after the last keystroke before translating what is typed. */
const TYPING_PAUSE_MS = 350;
let typingTimer: ReturnType<typeof setTimeout> | undefined;

const TITLES: Record<ModelKind, string> = { attention: 'Attention model', baseline: 'Fixed-context baseline' };

function showError(message: string | null): void {
  errorEl.hidden = message === null;
  errorEl.textContent = message ?? '';
}

function describe(models: Partial<Record<ModelKind, ModelInfo>>): string {
  return (['attention', 'baseline'] as const)
    .flatMap((k) => {
      const m = models[k];
      return m ? [`<b>${TITLES[k]}</b> ${escapeHtml(m.name)} (${m.parameters.toLocaleString('en-US')} parameters)`] : [];
    })
    .join(' · ');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function renderPanel(kind: ModelKind, info: ModelInfo | undefined, result: TranslationResult): HTMLElement {
  const panel = el('section', 'panel');
  panel.dataset['model'] = kind;
  panel.append(el('h2', '', TITLES[kind]));
  panel.append(el('div', 'meta', `${info?.architecture ?? ''} · log-prob ${result.score.toFixed(2)}`));
  panel.append(el('div', 'output', result.text));
  panel.append(wordsLine('source', 'source', result.source_tokens, 'data-col'));
  panel.append(wordsLine('output', 'translation', result.target_tokens, 'data-row'));
  const box = el('div', 'heatmap');
  if (result.weights !== null && result.weights.length > 0) {
    box.innerHTML = heatmapSvg(result.weights, result.source_tokens, result.target_tokens);
    const svg = box.querySelector('svg');
    if (svg !== null) panel.append(zoomControls(svg, box));
    panel.append(box);
    attachHover(panel, result.weights);
  } else {
    panel.append(
      el('p', 'noattn', 'No attention here: this model squeezes the whole sentence into one fixed vector, so there is nothing to look back at.'),
    );
  }
  return panel;
}

/**
 * The heatmap at its natural size (readable labels), scrolled inside its box; − / + zoom, "fit" shows
 * the whole matrix in the panel's width, "100%" goes back.
 */
function zoomControls(svg: SVGSVGElement, box: HTMLElement): HTMLElement {
  const width = Number(svg.getAttribute('width'));
  const bar = el('div', 'zoom');
  const level = el('span', 'level');
  let zoom = 1;
  const set = (z: number): void => {
    zoom = Math.min(4, Math.max(0.1, z));
    svg.style.width = `${Math.round(width * zoom)}px`;
    level.textContent = `${Math.round(zoom * 100)}%`;
  };
  const btn = (label: string, title: string, action: () => void): HTMLButtonElement => {
    const b = el('button', '', label);
    b.type = 'button';
    b.title = title;
    b.addEventListener('click', action);
    return b;
  };
  bar.append(
    el('span', '', 'zoom'),
    btn('−', 'smaller', () => set(zoom / 1.25)),
    level,
    btn('+', 'larger', () => set(zoom * 1.25)),
    btn('fit', 'the whole matrix in the panel', () => set(Math.max(1, box.clientWidth - 2) / width)),
    btn('100%', 'natural size', () => set(1)),
  );
  set(1);
  return bar;
}

/** The beam the menu asks for; undefined: the model's own. */
function chosenBeam(): number | undefined {
  return beamSelect.value === '' ? undefined : Number(beamSelect.value);
}

async function translate(text: string): Promise<void> {
  if (backend === null) {
    showError('Load a model first (checkpoint file or ?model=URL).');
    return;
  }
  const b = backend;
  const kinds = (['attention', 'baseline'] as const).filter((k) => b.models[k] !== undefined);
  const mine = ++latest;
  showError(null);
  document.body.dataset['busy'] = 'true';
  button.textContent = 'Translating…';
  try {
    const beam = chosenBeam();
    const answers = await Promise.all(kinds.map((k) => b.translate(k, text, beam, headAttentionOption(b.models[k]))));
    if (mine !== latest) return; // a newer request is on its way
    results.replaceChildren(...answers.map((r, i) => renderPanel(kinds[i] ?? 'attention', b.models[kinds[i] ?? 'attention'], r)));
    results.append(...answers.flatMap((r) => headView(r) ?? [])); // a Transformer's every head, below the panels
    results.dataset['source'] = text;
    void stepThrough.show(b, text, beam);
  } catch (err) {
    if (mine === latest) showError(err instanceof Error ? err.message : String(err));
  } finally {
    if (mine === latest) {
      delete document.body.dataset['busy'];
      button.textContent = 'Translate';
    }
  }
}

/** Translate what is typed once typing pauses. */
function scheduleTranslation(): void {
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => {
    const text = input.value.trim();
    if (text !== '' && backend !== null) void translate(text);
  }, TYPING_PAUSE_MS);
}

/** The beam menu's first entry names the models' own beam. */
function describeOwnBeam(models: Backend['models']): void {
  const beams = [...new Set((['attention', 'baseline'] as const).flatMap((k) => {
    const beam = models[k]?.decoding?.['beam'];
    return typeof beam === 'number' ? [beam] : [];
  }))];
  const own = beamSelect.querySelector<HTMLOptionElement>('option[value=""]');
  if (own !== null) own.textContent = beams.length === 1 ? `model's own (${beams[0]})` : "model's own";
}

/** Start using a backend; the sentence in the box (or the first example) is translated at once. */
function useBackend(b: Backend, extra = ''): void {
  backend = b;
  statusEl.innerHTML = `${b.mode === 'server' ? 'Server' : 'In this page'}: ${describe(b.models)}${extra}`;
  describeOwnBeam(b.models);
  button.disabled = false;
  document.body.dataset['ready'] = b.mode;
  if (input.value.trim() === '') input.value = seedExamples()[0]?.src ?? '';
  void translate(input.value.trim());
}

async function loadLocal(sources: LocalSource[]): Promise<void> {
  statusEl.textContent = `Loading ${sources.map((s) => s.name).join(', ')}…`;
  try {
    const b = await loadLocalBackend(sources);
    useBackend(b, ` · engine ${b.engine.backend}`);
  } catch (err) {
    showError(err instanceof Error ? err.message : String(err));
    statusEl.textContent = `No model loaded: ${sources.map((s) => s.name).join(', ')} could not be loaded (the error is below).`;
  }
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  clearTimeout(typingTimer);
  const text = input.value.trim();
  if (text === '') {
    showError('Type a sentence to translate.');
    return;
  }
  void translate(text);
});

input.addEventListener('input', scheduleTranslation);
beamSelect.addEventListener('change', () => {
  const text = input.value.trim();
  if (text !== '' && backend !== null) void translate(text);
});

fileInput.addEventListener('change', () => {
  const files = [...(fileInput.files ?? [])];
  if (files.length === 0) return;
  void Promise.all(files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) }))).then(loadLocal);
});

for (const ex of seedExamples()) {
  const b = el('button', '', ex.src);
  b.type = 'button';
  b.title = `${ex.note}\nreference: ${ex.tgt}`;
  b.addEventListener('click', () => {
    clearTimeout(typingTimer);
    input.value = ex.src;
    void translate(ex.src);
  });
  gallery.append(b);
}

async function start(): Promise<void> {
  button.disabled = true;
  const params = new URLSearchParams(location.search);
  const urls = ['model', 'model2'].flatMap((k) => params.getAll(k));
  if (urls.length > 0) {
    localSection.hidden = false;
    try {
      await loadLocal(await Promise.all(urls.map(fetchCheckpoint)));
    } catch (err) {
      showError(err instanceof Error ? err.message : String(err));
      statusEl.textContent = `No model loaded: ${urls.join(', ')} could not be fetched (the error is below). Pick a checkpoint file instead.`;
    }
    return;
  }
  const server = await connectServer();
  if (server !== null) {
    useBackend(server);
    return;
  }
  localSection.hidden = false;
  statusEl.textContent = 'No translation server: load a checkpoint to translate in this page.';
}

setUpTrainHere();
void start();
