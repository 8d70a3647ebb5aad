/**
 * "Train here": the attention model and the fixed-context baseline train in this page, each in its own
 * Web Worker (train-worker.ts: the demo's corpus and config, the CLI's training loop), side by side on
 * two cores. Every couple of seconds the page redraws both loss curves and the attention matrix of
 * "the black cat ate the mouse" as it forms (flat, then the diagonal, then the reordering chat->cat,
 * noir->black). Pause/resume; download each model as a .safetensors checkpoint that
 * `attnmt translate --model` loads.
 *
 * For tests and bench/browser-train.ts the section carries its state in data attributes:
 * data-state (idle|preparing|training|paused|error), data-steps-<role>, data-losses-<role> (the loss curve's
 * [step, loss] points as JSON), data-engine-<role>, data-correct-seconds (seconds
 * from the button press to the first report where the attention model translates the demo sentence
 * right with chat->cat and noir->black).
 */
import type { EngineInfo } from '../../src/engine/engine.js';
import { checkDemoSentence, DEMO_EXPECTED, type DemoRole } from '../../src/train/demo-config.js';
import type { AttentionSnapshot } from '../../src/train/snapshot.js';
import type { Translation } from '../../src/translate/translate.js';
import { heatmapSvg } from '../../src/viz/heatmap-svg.js';
import { el } from './dom.js';
import './train-here.css';

/** Messages to a training worker. */
export type TrainRequest =
  | { type: 'start'; role: DemoRole; seed: number }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'checkpoint'; id: number };

/** Messages from a training worker. */
export type TrainReply =
  | { type: 'ready'; role: DemoRole; engine: EngineInfo; parameters: number; summary: string; trainPairs: number; prepareSeconds: number; snapshot: AttentionSnapshot }
  | { type: 'progress'; step: number; seconds: number; loss: number | null; stepsPerSecond: number; lr: number; epoch: number; snapshot: AttentionSnapshot }
  | { type: 'validation'; step: number; bleu: number; loss: number; best: boolean; lr: number }
  | { type: 'paused'; step: number; seconds: number; snapshot: AttentionSnapshot }
  | { type: 'checkpoint'; id: number; step: number; bytes: Uint8Array<ArrayBuffer> }
  | { type: 'error'; message: string };

const ROLES: readonly DemoRole[] = ['attention', 'baseline'];
const NAMES: Record<DemoRole, string> = { attention: 'attention model', baseline: 'fixed-context baseline' };
const COLORS: Record<DemoRole, string> = { attention: '#2563eb', baseline: '#dc2626' };
/** The demo's seed (attnmt demo --seed defaults to 1). */
const SEED = 1;

interface Run {
  worker: Worker;
  ready: boolean;
  step: number;
  seconds: number;
  stepsPerSecond: number;
  loss: number | null;
  bleu: number | null;
  losses: Array<[number, number]>;
  snapshot: AttentionSnapshot | null;
}

const cap = (role: DemoRole): string => (role === 'attention' ? 'Attention' : 'Baseline');

function asTranslation(s: AttentionSnapshot): Translation {
  return { source: '', sourceTokens: s.source_tokens, unknown: [], hypotheses: [{ text: s.text, targetTokens: s.target_tokens, score: 0, weights: s.weights }] };
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** Both training curves (mean token loss per report) on one SVG chart; x = step. */
export function lossChartSvg(series: Record<DemoRole, ReadonlyArray<[number, number]>>, width = 420, height = 200): string {
  const all = ROLES.flatMap((r) => series[r]);
  const maxX = Math.max(10, ...all.map(([x]) => x));
  const maxY = Math.max(1, ...all.map(([, y]) => y));
  const L = 40;
  const R = 10;
  const T = 10;
  const B = 28;
  const w = width - L - R;
  const h = height - T - B;
  const sx = (x: number): number => L + (x / maxX) * w;
  const sy = (y: number): number => T + h - (y / maxY) * h;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" class="loss-chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-size="11" font-family="sans-serif">`];
  parts.push(`<rect x="${L}" y="${T}" width="${w}" height="${h}" fill="#fff" stroke="#d1d5db"/>`);
  for (let i = 0; i <= 4; i++) {
    const y = (maxY * i) / 4;
    parts.push(`<text x="${L - 4}" y="${sy(y).toFixed(1)}" dy="0.35em" text-anchor="end" fill="#4b5563">${y.toFixed(1)}</text>`);
  }
  parts.push(`<text x="${L}" y="${height - 8}" fill="#4b5563">0</text><text x="${L + w}" y="${height - 8}" text-anchor="end" fill="#4b5563">step ${maxX}</text>`);
  parts.push(`<text x="${L + w / 2}" y="${height - 8}" text-anchor="middle" fill="#4b5563">training loss (nats/token)</text>`);
  ROLES.forEach((role, i) => {
    const x = L + w - 150;
    const y = T + 14 + i * 15;
    parts.push(`<line x1="${x}" y1="${y}" x2="${x + 18}" y2="${y}" stroke="${COLORS[role]}" stroke-width="2"/><text x="${x + 22}" y="${y}" dy="0.35em" fill="#111827">${NAMES[role]}</text>`);
  });
  for (const role of ROLES) {
    const pts = series[role];
    if (pts.length === 0) continue;
    parts.push(`<polyline class="loss-${role}" fill="none" stroke="${COLORS[role]}" stroke-width="2" points="${pts.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ')}"/>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

/** Wire the "Train here" section (#train) of the page. */
export function setUpTrainHere(): void {
  const found = document.getElementById('train');
  if (found === null) return;
  const section: HTMLElement = found;
  const $ = <T extends HTMLElement>(id: string): T => {
    const e = document.getElementById(id);
    if (e === null) throw new Error(`page is missing #${id}`);
    return e as T;
  };
  const startBtn = $<HTMLButtonElement>('train-start');
  const pauseBtn = $<HTMLButtonElement>('train-pause');
  const progress = $('train-progress');
  const chart = $('train-loss');
  const heatmap = $('train-heatmap');
  const outputs = $('train-outputs');
  const check = $('train-check');
  const downloads: Record<DemoRole, HTMLButtonElement> = { attention: $('train-download-attention'), baseline: $('train-download-baseline') };

  const runs = new Map<DemoRole, Run>();
  let pressed = 0;
  let paused = false;
  let nextId = 1;
  const pendingDownloads = new Map<number, DemoRole>();

  const setState = (state: string): void => {
    section.dataset['state'] = state;
  };
  setState('idle');

  const isolation = (): string => (globalThis.crossOriginIsolated ? 'cross-origin isolated' : 'not cross-origin isolated');

  function redraw(): void {
    const parts = ROLES.flatMap((role) => {
      const r = runs.get(role);
      if (r === undefined) return [];
      if (!r.ready) return [`${NAMES[role]}: preparing the corpus…`];
      return [`${NAMES[role]}: step ${r.step} · ${r.stepsPerSecond.toFixed(1)} steps/s${r.loss === null ? '' : ` · loss ${r.loss.toFixed(3)}`}${r.bleu === null ? '' : ` · dev BLEU ${r.bleu.toFixed(1)}`}`];
    });
    const elapsed = pressed > 0 ? (performance.now() - pressed) / 1000 : 0;
    progress.textContent = `${parts.join(' | ')} · ${clock(elapsed)} since the start${paused ? ' (paused)' : ''}`;
    chart.innerHTML = lossChartSvg({ attention: runs.get('attention')?.losses ?? [], baseline: runs.get('baseline')?.losses ?? [] });
    const a = runs.get('attention')?.snapshot;
    if (a != null && a.weights.length > 0) {
      heatmap.innerHTML = heatmapSvg(a.weights, a.source_tokens, a.target_tokens, { title: `step ${a.step}: ${a.text}` });
    }
    outputs.replaceChildren(
      ...ROLES.flatMap((role) => {
        const s = runs.get(role)?.snapshot;
        if (s == null) return [];
        const line = el('div', `train-output train-output-${role}`);
        line.append(el('span', 'side', NAMES[role]), el('span', 'text', s.text === '' ? '(nothing yet)' : s.text));
        return [line];
      }),
    );
  }

  function onReply(role: DemoRole, run: Run, m: TrainReply): void {
    switch (m.type) {
      case 'ready':
        run.ready = true;
        run.snapshot = m.snapshot;
        section.dataset[`engine${cap(role)}`] = m.engine.backend;
        if ([...runs.values()].every((r) => r.ready)) setState(paused ? 'paused' : 'training');
        downloads[role].disabled = false;
        break;
      case 'progress':
        run.step = m.step;
        run.seconds = m.seconds;
        run.stepsPerSecond = m.stepsPerSecond;
        run.loss = m.loss;
        run.snapshot = m.snapshot;
        if (m.loss !== null) run.losses.push([m.step, m.loss]);
        section.dataset[`steps${cap(role)}`] = String(m.step);
        section.dataset[`losses${cap(role)}`] = JSON.stringify(run.losses);
        if (role === 'attention') noteCheck(m.snapshot);
        break;
      case 'validation':
        run.bleu = m.bleu;
        break;
      case 'paused':
        run.step = m.step;
        run.snapshot = m.snapshot;
        section.dataset[`paused${cap(role)}`] = String(m.step);
        if (role === 'attention') noteCheck(m.snapshot);
        break;
      case 'checkpoint': {
        pendingDownloads.delete(m.id);
        const blob = new Blob([m.bytes], { type: 'application/octet-stream' });
        const a = document.createElement('a');
        a.href = URL.createObjectURL(blob);
        a.download = `${role}-step${m.step}.safetensors`;
        document.body.append(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(a.href), 10000);
        break;
      }
      case 'error':
        setState('error');
        progress.textContent = `${NAMES[role]}: training failed: ${m.message}`;
        return;
    }
    redraw();
  }

  /** The attention model's check on the demo sentence: noted (with the time) the first time it holds. */
  function noteCheck(s: AttentionSnapshot): void {
    const c = checkDemoSentence(asTranslation(s));
    if (c.holds) {
      if (section.dataset['correctSeconds'] === undefined) {
        section.dataset['correctSeconds'] = ((performance.now() - pressed) / 1000).toFixed(1);
        section.dataset['correctStep'] = String(s.step);
      }
      check.textContent = `✓ "${DEMO_EXPECTED}", chat→cat and noir→black (first at step ${section.dataset['correctStep']}, ${clock(Number(section.dataset['correctSeconds']))} after pressing the button)`;
      check.className = 'train-check ok';
    } else {
      check.textContent = `not yet: ${c.problems.join('; ')}`;
      check.className = 'train-check';
    }
  }

  startBtn.addEventListener('click', () => {
    if (runs.size > 0) return;
    pressed = performance.now();
    startBtn.disabled = true;
    pauseBtn.disabled = false;
    setState('preparing');
    for (const role of ROLES) {
      const worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' });
      const run: Run = { worker, ready: false, step: 0, seconds: 0, stepsPerSecond: 0, loss: null, bleu: null, losses: [], snapshot: null };
      runs.set(role, run);
      worker.addEventListener('message', (e: MessageEvent<TrainReply>) => onReply(role, run, e.data));
      worker.addEventListener('error', (e) => onReply(role, run, { type: 'error', message: e.message || 'the training worker failed' }));
      worker.postMessage({ type: 'start', role, seed: SEED } satisfies TrainRequest);
    }
    section.dataset['workers'] = String(runs.size);
    section.dataset['isolated'] = String(globalThis.crossOriginIsolated === true);
    progress.textContent = `Generating the seed corpus in two workers (one per model; ${navigator.hardwareConcurrency} cores, ${isolation()})…`;
  });

  pauseBtn.addEventListener('click', () => {
    paused = !paused;
    for (const r of runs.values()) r.worker.postMessage({ type: paused ? 'pause' : 'resume' } satisfies TrainRequest);
    pauseBtn.textContent = paused ? 'Resume' : 'Pause';
    if (!paused) for (const role of ROLES) delete section.dataset[`paused${cap(role)}`];
    setState(paused ? 'paused' : 'training');
    redraw();
  });

  for (const role of ROLES) {
    downloads[role].addEventListener('click', () => {
      const r = runs.get(role);
      if (r === undefined) return;
      const id = nextId++;
      pendingDownloads.set(id, role);
      r.worker.postMessage({ type: 'checkpoint', id } satisfies TrainRequest);
    });
  }
}
