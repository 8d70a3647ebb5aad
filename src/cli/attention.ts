/**
 * `attnmt attention --model FILE [--svg OUT.svg] [--png OUT.png] [--beam K] [--kind K] [--layer L [--head H]] [--grid] the sentence`
 *
 * Translates one sentence and shows where the model looked: the attention matrix in the terminal
 * (one row per target token, one column per source token), and the same heatmap as SVG and/or PNG
 * files when asked for (`--svg`, `--png`; nothing else is written).
 *
 * A Transformer has layers and heads of three kinds (`--kind`): cross (target over source, the
 * default), encoder-self (source over source) and decoder-self (each target step over the decoder's
 * inputs, `<s>` and the words before it). Without --layer the picture is the model's alignment (the
 * head-mean cross-attention of its alignment layer; for the self-attentions, the last layer's head-mean);
 * `--layer L` draws the head-mean of layer L,
 * `--layer L --head H` one head (both counted from 0); `--grid` draws every layer x head of the kind
 * as one SVG/PNG (the terminal still shows the single matrix).
 */
import * as fs from 'node:fs';
import { z } from 'zod';
import { parseSnapshotFile } from '../train/snapshot.js';
import { animatedHeatmapSvg } from '../viz/animate-svg.js';
import { meanOfHeads } from '../translate/forced.js';
import { openTranslator } from '../translate/open.js';
import type { HypothesisHeads, Translation, TranslationHypothesis } from '../translate/translate.js';
import { heatmapSvg } from '../viz/heatmap-svg.js';
import { headGridSvg } from '../viz/head-grid-svg.js';
import { heatmapTerminal, terminalOptionsFor } from '../viz/heatmap-terminal.js';
import { withEngine, writeFileAtomic } from './common.js';
import { UserError } from './errors.js';
import { opt, parseOptions } from './options.js';

export const ATTENTION_KINDS = ['cross', 'encoder-self', 'decoder-self'] as const;
export type AttentionKind = (typeof ATTENTION_KINDS)[number];

export const AttentionOptionsSchema = z.object({
  model: opt.file.optional(),
  animate: opt.file.optional(),
  svg: opt.file.optional(),
  png: opt.file.optional(),
  beam: opt.count.optional(),
  kind: z.enum(ATTENTION_KINDS).optional(),
  layer: z.number().int().nonnegative().optional(),
  head: z.number().int().nonnegative().optional(),
  grid: opt.flag,
});

/** Terminal rendering of a translation's attention, with the translation as title. */
export function attentionText(t: Translation, stream: NodeJS.WriteStream = process.stdout): string {
  const best = t.hypotheses[0];
  if (best === undefined || best.weights.length === 0) {
    return `${t.source}\n-> ${best?.text ?? ''}\n(no attention: this is the fixed-context baseline)`;
  }
  return heatmapTerminal(best.weights, t.sourceTokens, best.targetTokens, {
    ...terminalOptionsFor(stream, process.env),
    title: `${t.source}\n-> ${best.text}`,
  });
}

/** One kind of a hypothesis' heads with the tokens of its rows (queries) and columns (keys). */
export interface HeadView {
  layers: number[][][][];
  queries: string[];
  keys: string[];
}

/**
 * The heads of one kind, labelled: cross is target tokens over source tokens; encoder-self source over
 * source; decoder-self the step predicting each target token over the decoder's inputs ('<s>', ...).
 */
export function headView(t: Translation, h: TranslationHypothesis & { heads: HypothesisHeads }, kind: AttentionKind): HeadView {
  if (kind === 'encoder-self') return { layers: h.heads.encoderSelf, queries: t.sourceTokens, keys: t.sourceTokens };
  if (kind === 'decoder-self') return { layers: h.heads.decoderSelf, queries: h.targetTokens, keys: h.heads.decoderTokens };
  return { layers: h.heads.cross, queries: h.targetTokens, keys: t.sourceTokens };
}

export async function attentionCommand(sentence: string, raw: unknown): Promise<void> {
  const o = parseOptions(AttentionOptionsSchema, raw);
  if (o.animate !== undefined) {
    animateCommand(o.animate, o.svg, sentence, o);
    return;
  }
  if (o.model === undefined) throw new UserError('attention: give the checkpoint with --model (or --animate SNAPSHOTS --svg OUT.svg)');
  if (sentence.trim() === '') throw new UserError('attention: give a sentence to translate');
  if (o.head !== undefined && o.layer === undefined) throw new UserError('attention: --head needs --layer (which layer the head is in)');
  if (o.grid === true && o.svg === undefined && o.png === undefined) throw new UserError('attention: --grid draws a picture: give --svg FILE and/or --png FILE');
  const translator = openTranslator(o.model);
  const wantsHeads = o.grid === true || o.layer !== undefined || o.kind !== undefined;
  if (wantsHeads) {
    const c = translator.model.config;
    if (c.arch !== 'transformer') {
      throw new UserError(`attention: --kind, --layer, --head and --grid need a Transformer; ${o.model} is a ${translator.model.summary()}`);
    }
    const count = (o.kind ?? 'cross') === 'encoder-self' ? c.encoderLayers : c.decoderLayers;
    if (o.layer !== undefined && o.layer >= count) throw new UserError(`attention: --layer ${o.layer}: the ${o.kind ?? 'cross'} attention has layers 0..${count - 1}`);
    if (o.head !== undefined && o.head >= c.heads) throw new UserError(`attention: --head ${o.head}: the model has heads 0..${c.heads - 1}`);
  }
  const [t] = (await withEngine(0, () => translator.translate([sentence], { beam: o.beam, heads: wantsHeads }))) as [Translation];
  const best = t.hypotheses[0];
  if (best === undefined || best.weights.length === 0) {
    process.stdout.write(`${attentionText(t)}\n`);
    return;
  }
  let svg: string;
  if (best.heads !== undefined && wantsHeads) {
    const kind = o.kind ?? 'cross';
    const view = headView(t, { ...best, heads: best.heads }, kind);
    const layer = o.layer ?? (kind === 'cross' ? best.heads.alignmentLayer : view.layers.length - 1);
    const l = view.layers[layer] as number[][][];
    const matrix = o.head === undefined ? meanOfHeads(l) : (l[o.head] as number[][]);
    const which = `${kind} attention, layer ${layer}, ${o.head === undefined ? 'mean of the heads' : `head ${o.head}`}`;
    process.stdout.write(`${heatmapTerminal(matrix, view.keys, view.queries, { ...terminalOptionsFor(process.stdout, process.env), title: `${t.source}\n-> ${best.text}\n(${which})` })}\n`);
    svg = o.grid === true
      ? headGridSvg(view.layers, view.queries, view.keys, { title: `${t.source} → ${best.text} (${kind} attention, every layer and head)` })
      : heatmapSvg(matrix, view.keys, view.queries, { title: `${t.source} → ${best.text} (${which})` });
  } else {
    process.stdout.write(`${attentionText(t)}\n`);
    svg = heatmapSvg(best.weights, t.sourceTokens, best.targetTokens, { title: `${t.source} → ${best.text}` });
  }
  if (o.svg !== undefined) {
    writeFileAtomic(o.svg, svg);
    process.stdout.write(`wrote ${o.svg}\n`);
  }
  if (o.png !== undefined) {
    const { writePng } = await import('../viz/png.js');
    writePng(o.png, svg);
    process.stdout.write(`wrote ${o.png}\n`);
  }
}

/** `attnmt attention --animate SNAPSHOTS --svg OUT.svg`: the snapshots of a training as one animated SVG. */
function animateCommand(file: string, svgFile: string | undefined, sentence: string, o: { model?: string | undefined; png?: string | undefined; beam?: number | undefined }): void {
  if (svgFile === undefined) throw new UserError('attention --animate: give the output file with --svg OUT.svg');
  if (o.model !== undefined || o.png !== undefined || o.beam !== undefined || sentence.trim() !== '') {
    throw new UserError('attention --animate: draws the snapshots file alone (no --model, --png, --beam or sentence)');
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`${file}: cannot read the snapshots file (${err instanceof Error && 'code' in err ? String(err.code) : String(err)})`);
  }
  const snaps = parseSnapshotFile(text, file);
  if (snaps.snapshots.length === 0) throw new UserError(`${file}: no snapshots in the file`);
  if (snaps.snapshots.some((s) => s.weights.length === 0)) throw new UserError(`${file}: the snapshots have no attention (a fixed-context baseline's)`);
  writeFileAtomic(svgFile, animatedHeatmapSvg(snaps.snapshots, { title: `attention forming during training: ${snaps.sentence}` }));
  const first = snaps.snapshots[0];
  const last = snaps.snapshots[snaps.snapshots.length - 1];
  process.stdout.write(`wrote ${svgFile}: ${snaps.snapshots.length} frames, steps ${first?.step ?? 0} to ${last?.step ?? 0}\n`);
}
