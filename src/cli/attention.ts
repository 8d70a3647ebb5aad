/**
 * `attnmt attention --model FILE [--svg OUT.svg] [--png OUT.png] the sentence`
 *
 * Translates one sentence and shows where the decoder looked: the attention matrix in the terminal
 * (one row per target token, one column per source token) and the same heatmap as an SVG file.
 */
import { heatmapSvg } from '../viz/heatmap-svg.js';
import { heatmapTerminal, terminalOptionsFor } from '../viz/heatmap-terminal.js';
import { translateTexts, type Translation } from '../train/translator.js';
import { loadTranslator, startEngine, stopEngine, stringOption, writeFileAtomic } from './common.js';
import { UserError } from './errors.js';
import { decodingFor } from './translate.js';

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

export async function attentionCommand(sentence: string, opts: Record<string, unknown>): Promise<void> {
  if (sentence.trim() === '') throw new UserError('attention: give a sentence to translate');
  const loaded = loadTranslator(String(opts['model']));
  const dec = decodingFor(loaded, opts);
  await startEngine(0);
  let t: Translation;
  try {
    [t] = translateTexts(loaded, [sentence], { beam: dec.beam, alpha: dec.alpha, maxLenRatio: dec.maxLenRatio, replaceUnknowns: dec.replaceUnknowns }) as [Translation];
  } finally {
    await stopEngine();
  }
  process.stdout.write(`${attentionText(t)}\n`);
  const best = t.hypotheses[0];
  if (best === undefined || best.weights.length === 0) return;
  const svg = heatmapSvg(best.weights, t.sourceTokens, best.targetTokens, { title: `${t.source} → ${best.text}` });
  const svgFile = stringOption(opts, 'svg') ?? 'attention.svg';
  writeFileAtomic(svgFile, svg);
  process.stdout.write(`wrote ${svgFile}\n`);
  const png = stringOption(opts, 'png');
  if (png !== undefined) {
    const { writePng } = await import('../viz/png.js');
    writePng(png, svg);
    process.stdout.write(`wrote ${png}\n`);
  }
}
