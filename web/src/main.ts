/**
 * The attnmt page: type a sentence, see each model's translation and attention heatmap side by
 * side (attention model, fixed-context baseline); hover to see what looked at what.
 */
import './style.css';
import { heatmapSvg } from '../../src/viz/heatmap-svg.js';
import { seedExamples } from '../../src/data/seed-corpus.js';
import type { ModelInfo, ModelKind, TranslationResult } from '../../src/server/translator.js';
import { connectServer, type Backend } from './backend.js';
import { attachHover } from './highlight.js';
import { fetchCheckpoint, loadLocalBackend, type LocalSource } from './local.js';

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

let backend: Backend | null = null;

const TITLES: Record<ModelKind, string> = { attention: 'Attention model', baseline: 'Fixed-context baseline' };

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

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

function wordsLine(side: string, cls: string, tokens: readonly string[], attr: 'data-row' | 'data-col'): HTMLElement {
  const line = el('div', `sentence ${cls}`);
  line.append(el('span', 'side', side));
  tokens.forEach((tok, i) => {
    const w = el('span', 'word', tok);
    w.setAttribute(attr, String(i));
    line.append(w);
  });
  return line;
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
    panel.append(box);
    attachHover(panel, result.weights);
  } else {
    panel.append(
      el('p', 'noattn', 'No attention here: this model squeezes the whole sentence into one fixed vector, so there is nothing to look back at.'),
    );
  }
  return panel;
}

async function translate(text: string): Promise<void> {
  if (backend === null) {
    showError('Load a model first (checkpoint file or ?model=URL).');
    return;
  }
  const b = backend;
  const kinds = (['attention', 'baseline'] as const).filter((k) => b.models[k] !== undefined);
  showError(null);
  button.disabled = true;
  const previous = button.textContent;
  button.textContent = 'Translating…';
  try {
    const beam = Number(beamSelect.value);
    const answers = await Promise.all(kinds.map((k) => b.translate(k, text, beam)));
    results.replaceChildren(...answers.map((r, i) => renderPanel(kinds[i] ?? 'attention', b.models[kinds[i] ?? 'attention'], r)));
  } catch (err) {
    showError(err instanceof Error ? err.message : String(err));
  } finally {
    button.disabled = false;
    button.textContent = previous;
  }
}

function useBackend(b: Backend, extra = ''): void {
  backend = b;
  statusEl.innerHTML = `${b.mode === 'server' ? 'Server' : 'In this page'}: ${describe(b.models)}${extra}`;
  button.disabled = false;
  document.body.dataset['ready'] = b.mode;
}

async function loadLocal(sources: LocalSource[]): Promise<void> {
  statusEl.textContent = `Loading ${sources.map((s) => s.name).join(', ')}…`;
  try {
    const b = await loadLocalBackend(sources);
    useBackend(b, ` · engine ${b.engine.backend}`);
    if (input.value.trim() !== '') await translate(input.value);
  } catch (err) {
    showError(err instanceof Error ? err.message : String(err));
    statusEl.textContent = 'No model loaded.';
  }
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = input.value.trim();
  if (text === '') {
    showError('Type a sentence to translate.');
    return;
  }
  void translate(text);
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

void start();
