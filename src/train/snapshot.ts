/**
 * Attention snapshots: the greedy translation of one sentence and its attention matrix, taken during
 * training (`attnmt train --snapshot-sentence S --snapshot-every N` writes them to OUT/snapshots.json;
 * the page's "Train here" draws them live). `attnmt attention --animate` turns the file into an
 * animated SVG. Browser-safe.
 *
 * File format (JSON):
 *   {"sentence": "...", "every": N, "snapshots": [{"step", "seconds", "loss", "text", "source_tokens",
 *     "target_tokens", "weights"}]}
 * `weights` has one row per target token (the final "</s>" included) and one column per source token
 * (the final "</s>" included), as in `attnmt translate --attention`; empty for a fixed-context baseline.
 */
import { z } from 'zod';
import { translateTexts, type TranslatorParts } from '../translate/translate.js';
import { InputError } from '../util/errors.js';

export interface AttentionSnapshot {
  /** Optimizer steps done when the snapshot was taken (0: the untrained model). */
  step: number;
  /** Training seconds so far. */
  seconds: number;
  /** Mean training loss per target token over the steps since the last log line (null at step 0). */
  loss: number | null;
  /** The greedy translation. */
  text: string;
  source_tokens: string[];
  target_tokens: string[];
  weights: number[][];
}

export interface SnapshotFile {
  sentence: string;
  every: number;
  snapshots: AttentionSnapshot[];
}

/** The greedy translation of `sentence` and its attention, now (weights rounded to 5 decimals). */
export function takeSnapshot(
  parts: TranslatorParts,
  sentence: string,
  at: { step: number; seconds: number; loss: number | null },
  maxLenRatio: number,
): AttentionSnapshot {
  const [t] = translateTexts(parts, [sentence], { beam: 1, nbest: 1, alpha: 0, maxLenRatio, batchSize: 1, replaceUnknowns: false });
  const best = t?.hypotheses[0];
  if (t === undefined || best === undefined) throw new Error(`snapshot: no translation of "${sentence}"`);
  return {
    step: at.step,
    seconds: Math.round(at.seconds * 10) / 10,
    loss: at.loss === null ? null : Math.round(at.loss * 1e4) / 1e4,
    text: best.text,
    source_tokens: t.sourceTokens,
    target_tokens: best.targetTokens,
    weights: best.weights.map((row) => row.map((w) => Math.round(w * 1e5) / 1e5)),
  };
}

const SnapshotSchema = z.object({
  step: z.number().int().nonnegative(),
  seconds: z.number().nonnegative(),
  loss: z.number().nullable(),
  text: z.string(),
  source_tokens: z.array(z.string()),
  target_tokens: z.array(z.string()),
  weights: z.array(z.array(z.number())),
});

const SnapshotFileSchema = z.object({
  sentence: z.string(),
  every: z.number().int().positive(),
  snapshots: z.array(SnapshotSchema),
});

/** A snapshots file that cannot be read: the message names the file and the key. */
export class SnapshotFileError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotFileError';
  }
}

/** Parse and check a snapshots file's text (`file` names it in errors). */
export function parseSnapshotFile(text: string, file: string): SnapshotFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SnapshotFileError(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const r = SnapshotFileSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue === undefined ? '' : issue.path.map(String).join('.');
    throw new SnapshotFileError(`${file}: ${where === '' ? '' : `${where}: `}${issue?.message ?? 'invalid snapshots file'} (expected {"sentence", "every", "snapshots": [...]}, as written by attnmt train --snapshot-sentence)`);
  }
  r.data.snapshots.forEach((s, i) => {
    if (s.weights.length > 0 && (s.weights.length !== s.target_tokens.length || s.weights.some((row) => row.length !== s.source_tokens.length))) {
      throw new SnapshotFileError(`${file}: snapshots.${i}.weights: expected ${s.target_tokens.length} rows of ${s.source_tokens.length} weights (one row per target token, one column per source token)`);
    }
  });
  return r.data;
}
