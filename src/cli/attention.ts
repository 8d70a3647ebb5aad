/**
 * `attnmt attention --model FILE [--svg OUT.svg] [--png OUT.png] [--beam K] the sentence`
 *
 * Translates one sentence and shows where the decoder looked: the attention matrix in the terminal
 * (one row per target token, one column per source token), and the same heatmap as SVG and/or PNG
 * files when asked for (`--svg`, `--png`; nothing else is written).
 */
import * as fs from 'node:fs';
import { z } from 'zod';
import { parseSnapshotFile } from '../train/snapshot.js';
import { animatedHeatmapSvg } from '../viz/animate-svg.js';
import { openTranslator } from '../translate/open.js';
import type { Translation } from '../translate/translate.js';
import { heatmapSvg } from '../viz/heatmap-svg.js';
import { heatmapTerminal, terminalOptionsFor } from '../viz/heatmap-terminal.js';
import { withEngine, writeFileAtomic } from './common.js';
import { UserError } from './errors.js';
import { opt, parseOptions } from './options.js';

export const AttentionOptionsSchema = z.object({
  model: opt.file.optional(),
  animate: opt.file.optional(),
  svg: opt.file.optional(),
  png: opt.file.optional(),
  beam: opt.count.optional(),
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

export async function attentionCommand(sentence: string, raw: unknown): Promise<void> {
  const o = parseOptions(AttentionOptionsSchema, raw);
  if (o.animate !== undefined) {
    animateCommand(o.animate, o.svg, sentence, o);
    return;
  }
  if (o.model === undefined) throw new UserError('attention: give the checkpoint with --model (or --animate SNAPSHOTS --svg OUT.svg)');
  if (sentence.trim() === '') throw new UserError('attention: give a sentence to translate');
  const translator = openTranslator(o.model);
  const [t] = (await withEngine(0, () => translator.translate([sentence], { beam: o.beam }))) as [Translation];
  process.stdout.write(`${attentionText(t)}\n`);
  const best = t.hypotheses[0];
  if (best === undefined || best.weights.length === 0 || (o.svg === undefined && o.png === undefined)) return;
  const svg = heatmapSvg(best.weights, t.sourceTokens, best.targetTokens, { title: `${t.source} → ${best.text}` });
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
