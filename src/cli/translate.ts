/**
 * `attnmt translate --model FILE [FILE...] [--input F] [--output F] [--beam K] [--nbest N] [--attention OUT.json]`
 *
 * One sentence per line in, one translation per line out (with --nbest N: N lines per sentence,
 * "i ||| translation ||| score", i counted from 0 as in Moses). --attention writes a JSON array
 * with, per sentence, {"source_tokens", "target_tokens", "weights"}: one row per target token, one
 * column per source token (both end with "</s>"), each row summing to 1; empty weights for the
 * fixed-context baseline, which has no attention.
 */
import { DecodingConfigSchema, type DecodingConfig } from '../train/config.js';
import { translateTexts, type Translation } from '../train/translator.js';
import type { CheckpointContents } from '../model/checkpoint.js';
import { loadTranslators, modelFiles, numberOption, readInputLines, startEngine, stopEngine, stringOption, writeFileAtomic } from './common.js';

/** Decoding settings: flags, else what training stored in the checkpoint, else the defaults. */
export function decodingFor(loaded: { checkpoint: CheckpointContents }, opts: Record<string, unknown>): DecodingConfig {
  const stored = loaded.checkpoint.metadata?.['decoding'];
  const parsed = DecodingConfigSchema.safeParse(stored ?? {});
  const base = parsed.success ? parsed.data : DecodingConfigSchema.parse({});
  return {
    ...base,
    beam: numberOption(opts, 'beam') ?? base.beam,
    alpha: numberOption(opts, 'alpha') ?? base.alpha,
    batchSize: numberOption(opts, 'batchSize') ?? base.batchSize,
  };
}

/** The JSON record of one sentence's attention (best hypothesis). */
export function attentionRecord(t: Translation): { source_tokens: string[]; target_tokens: string[]; weights: number[][] } {
  const best = t.hypotheses[0];
  return {
    source_tokens: t.sourceTokens,
    target_tokens: best?.targetTokens ?? [],
    weights: (best?.weights ?? []).map((row) => row.map((w) => Math.round(w * 1e6) / 1e6)),
  };
}

export async function translateCommand(opts: Record<string, unknown>): Promise<void> {
  const models = modelFiles(opts);
  const loaded = loadTranslators(models);
  const input = readInputLines(stringOption(opts, 'input'));
  const dec = decodingFor(loaded, opts);
  const nbest = numberOption(opts, 'nbest') ?? 1;
  const beam = Math.max(dec.beam, nbest);
  await startEngine(numberOption(opts, 'threads') ?? 0);
  let results: Translation[];
  try {
    results = translateTexts(loaded, input, {
      beam,
      nbest,
      alpha: dec.alpha,
      maxLenRatio: dec.maxLenRatio,
      batchSize: dec.batchSize,
      replaceUnknowns: dec.replaceUnknowns,
    });
  } finally {
    await stopEngine();
  }
  const lines: string[] = [];
  results.forEach((r, i) => {
    if (nbest > 1) {
      for (const h of r.hypotheses) lines.push(`${i} ||| ${h.text} ||| ${h.score.toFixed(4)}`);
    } else {
      lines.push(r.hypotheses[0]?.text ?? '');
    }
  });
  const text = lines.length > 0 ? `${lines.join('\n')}\n` : '';
  const output = stringOption(opts, 'output');
  if (output === undefined) process.stdout.write(text);
  else writeFileAtomic(output, text);
  const attention = stringOption(opts, 'attention');
  if (attention !== undefined) writeFileAtomic(attention, `${JSON.stringify(results.map(attentionRecord))}\n`);
}
