/**
 * An animated SVG of attention forming during training: one heatmap (heatmap-svg.ts) per snapshot,
 * shown one after the other by SMIL `<animate>` on each frame's visibility (no script; browsers and
 * GitHub's image view play it). Renderers without animation (resvg, PNG) show the last frame, the
 * trained model. Browser-safe.
 *
 *   <svg class="attn-animation" data-frames="N">
 *     <g class="anim-frame" data-step="S" visibility="hidden"><animate attributeName="visibility" .../>
 *       <svg class="attn-heatmap">...</svg>
 *     </g> ...
 */
import type { AttentionSnapshot } from '../train/snapshot.js';
import { heatmapSvg } from './heatmap-svg.js';
import { FONT_FAMILY, num, xmlEscape } from './svg-util.js';

export interface AnimationOptions {
  /** Seconds each frame is shown (default 0.5). */
  frameSeconds?: number;
  /** Seconds the last frame is held before the animation starts over (default 3). */
  holdSeconds?: number;
  /** Caption above every frame (default: the sentence). */
  title?: string;
}

/** The frames' heatmaps in one SVG, played in order, looping. Needs at least one snapshot with attention. */
export function animatedHeatmapSvg(snapshots: readonly AttentionSnapshot[], opts: AnimationOptions = {}): string {
  if (snapshots.length === 0) throw new Error('animated heatmap: no snapshots');
  const noAttention = snapshots.findIndex((s) => s.weights.length === 0);
  if (noAttention >= 0) {
    throw new Error(`animated heatmap: snapshot ${noAttention} (step ${snapshots[noAttention]?.step}) has no attention weights (a fixed-context baseline has none)`);
  }
  const frameSeconds = opts.frameSeconds ?? 0.5;
  const holdSeconds = opts.holdSeconds ?? 3;
  const last = snapshots[snapshots.length - 1] as AttentionSnapshot;
  const lastStep = Math.max(1, last.step);
  const frames = snapshots.map((s) => {
    const caption = `step ${s.step}${s.loss === null ? '' : ` · loss ${s.loss.toFixed(2)}`} · ${s.seconds.toFixed(0)} s → ${s.text}`;
    const svg = heatmapSvg(s.weights, s.source_tokens, s.target_tokens, { title: caption, cellSize: 34, legend: true });
    const size = /width="(\d+)" height="(\d+)"/.exec(svg);
    return { s, svg, width: Number(size?.[1] ?? 0), height: Number(size?.[2] ?? 0) };
  });
  const barH = 18;
  const width = Math.max(...frames.map((f) => f.width));
  const height = Math.max(...frames.map((f) => f.height)) + barH + 8;
  const total = frames.length * frameSeconds + holdSeconds;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="attn-animation" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
      `font-family="${FONT_FAMILY}" data-frames="${frames.length}">`,
  );
  out.push(`<title>${xmlEscape(opts.title ?? `attention forming during training: ${last.source_tokens.slice(0, -1).join(' ')}`)}</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  frames.forEach((f, i) => {
    const start = i * frameSeconds;
    const end = i === frames.length - 1 ? total : start + frameSeconds;
    // Discrete visibility over one loop: hidden, visible during [start, end), hidden after.
    const times: number[] = [];
    const values: string[] = [];
    if (start > 0) {
      times.push(0);
      values.push('hidden');
    }
    times.push(start / total);
    values.push('visible');
    if (end < total) {
      times.push(end / total);
      values.push('hidden');
    }
    const isLast = i === frames.length - 1;
    // Progress bar: how far training is at this frame.
    const barW = Math.round(((width - 20) * f.s.step) / lastStep);
    out.push(
      `<g class="anim-frame" data-step="${f.s.step}" visibility="${isLast ? 'visible' : 'hidden'}">` +
        `<animate attributeName="visibility" calcMode="discrete" dur="${num(total)}s" repeatCount="indefinite" ` +
        `keyTimes="${times.map((t) => num4(t)).join(';')}" values="${values.join(';')}"/>` +
        `<rect x="10" y="${height - barH - 4}" width="${width - 20}" height="${barH}" fill="#f3f4f6" stroke="#d1d5db"/>` +
        `<rect x="10" y="${height - barH - 4}" width="${barW}" height="${barH}" fill="#93c5fd"/>` +
        `<text x="16" y="${height - 4 - barH / 2}" dy="0.35em" font-size="11" fill="#111827">training step ${f.s.step} of ${last.step}</text>` +
        f.svg +
        '</g>',
    );
  });
  out.push('</svg>');
  return out.join('\n');
}

function num4(x: number): string {
  return String(Math.round(x * 1e4) / 1e4);
}
