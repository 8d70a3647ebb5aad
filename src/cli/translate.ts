/**
 * `attnmt translate --model FILE [FILE...] [--input F] [--output F] [--beam K] [--nbest N] [--attention OUT.json]`
 *
 * One sentence per line in, one translation per line out (a blank line stays a blank line; with
 * --nbest N: N lines per sentence, "i ||| translation ||| score", i counted from 0 as in Moses).
 * --attention writes a JSON array with, per sentence, {"source_tokens", "target_tokens", "weights"}:
 * one row per target token, one column per source token (both end with "</s>"), each row summing to
 * 1; empty weights for the fixed-context baseline, which has no attention. For a Transformer,
 * `weights` is the mean over heads of the cross-attention of its alignment layer ("alignment_layer"),
 * and each record also has every layer's and head's attention, [layer][head][query][key]: "cross"
 * (target x source tokens), "encoder_self" (source x source) and "decoder_self" (decoder inputs x
 * decoder inputs, "decoder_tokens": "<s>" then the target tokens but the last; 0 above the diagonal).
 * Source words the model does not know are reported once on stderr.
 */
import { z } from 'zod';
import type { Translation } from '../translate/translate.js';
import { openTranslator } from '../translate/open.js';
import { readInputLines, withEngine, writeFileAtomic } from './common.js';
import { opt, parseOptions } from './options.js';

export const TranslateOptionsSchema = z.object({
  model: opt.files,
  input: opt.file.optional(),
  output: opt.file.optional(),
  beam: opt.count.optional(),
  nbest: opt.count.optional(),
  alpha: opt.number.optional(),
  batchSize: opt.count.optional(),
  attention: opt.file.optional(),
  threads: opt.count.optional(),
});

/** The JSON record of one sentence's attention (best hypothesis); see the file comment. */
export interface AttentionRecord {
  source_tokens: string[];
  target_tokens: string[];
  weights: number[][];
  alignment_layer?: number;
  decoder_tokens?: string[];
  cross?: number[][][][];
  encoder_self?: number[][][][];
  decoder_self?: number[][][][];
}

const round6 = (w: number): number => Math.round(w * 1e6) / 1e6;
const roundHeads = (layers: number[][][][]): number[][][][] => layers.map((l) => l.map((m) => m.map((row) => row.map(round6))));

export function attentionRecord(t: Translation): AttentionRecord {
  const best = t.hypotheses[0];
  const record: AttentionRecord = {
    source_tokens: t.sourceTokens,
    target_tokens: best?.targetTokens ?? [],
    weights: (best?.weights ?? []).map((row) => row.map(round6)),
  };
  const h = best?.heads;
  if (h === undefined) return record;
  return {
    ...record,
    alignment_layer: h.alignmentLayer,
    decoder_tokens: h.decoderTokens,
    cross: roundHeads(h.cross),
    encoder_self: roundHeads(h.encoderSelf),
    decoder_self: roundHeads(h.decoderSelf),
  };
}

/** One warning line about source words the model does not know, or null when there are none. */
export function unknownWordsWarning(results: readonly Translation[]): string | null {
  const tokens = results.reduce((n, r) => n + Math.max(0, r.sourceTokens.length - 1), 0);
  const unknown = results.flatMap((r) => r.unknown);
  if (unknown.length === 0) return null;
  const examples = [...new Set(unknown)].slice(0, 5);
  const share = ((100 * unknown.length) / Math.max(1, tokens)).toFixed(1);
  return `warning: ${unknown.length} of ${tokens} source tokens (${share}%) are not in the model's vocabulary and were read as <unk> (e.g. ${examples.map((w) => JSON.stringify(w)).join(', ')})`;
}

export async function translateCommand(raw: unknown): Promise<void> {
  const o = parseOptions(TranslateOptionsSchema, raw);
  const translator = openTranslator(o.model);
  const input = readInputLines(o.input);
  const nbest = o.nbest ?? 1;
  const call = { nbest, beam: o.beam, alpha: o.alpha, batchSize: o.batchSize, heads: o.attention !== undefined };
  translator.resolve(call); // a bad combination (nbest > beam) fails before the engine starts
  const results = await withEngine(o.threads ?? 0, () => translator.translate(input, call));
  const lines: string[] = [];
  results.forEach((r, i) => {
    if (nbest > 1) {
      for (const h of r.hypotheses) lines.push(`${i} ||| ${h.text} ||| ${h.score.toFixed(4)}`);
    } else {
      lines.push(r.hypotheses[0]?.text ?? '');
    }
  });
  const text = lines.length > 0 ? `${lines.join('\n')}\n` : '';
  if (o.output === undefined) process.stdout.write(text);
  else writeFileAtomic(o.output, text);
  if (o.attention !== undefined) writeFileAtomic(o.attention, `${JSON.stringify(results.map(attentionRecord))}\n`);
  const warning = unknownWordsWarning(results);
  if (warning !== null) process.stderr.write(`${warning}\n`);
}
