/**
 * A loaded checkpoint that answers `Translator`-shaped requests synchronously. Used by the server's
 * worker thread and by the web page's in-browser mode (which reads the checkpoint bytes itself),
 * so both give exactly the same JSON.
 */
import { decodeCheckpoint, loadModel, type CheckpointContents } from '../model/checkpoint.js';
import { architectureSummary, hasAttention } from '../model/config.js';
import { codecFrom } from '../train/data.js';
import { translateTexts, type TranslationHypothesis, type TranslatorParts } from '../train/translator.js';
import type { Hypothesis, ModelInfo, TranslateOptions, TranslationResult } from './translator.js';

export { architectureSummary };

/** What GET /model shows for a checkpoint. */
export function describeCheckpoint(c: CheckpointContents, name: string): ModelInfo {
  let parameters = 0;
  for (const t of c.params.values()) parameters += t.size;
  const info: ModelInfo = {
    name,
    kind: hasAttention(c.config) ? 'attention' : 'baseline',
    architecture: architectureSummary(c.config),
    parameters,
    source_vocab_size: c.srcVocab.size,
    target_vocab_size: c.tgtVocab.size,
    config: { ...c.config },
  };
  if (c.metadata !== undefined) info.metadata = c.metadata;
  return info;
}

/** Attention weights rounded to 5 decimals (enough for pictures; keeps the JSON small). */
function roundWeights(w: number[][]): number[][] {
  return w.map((row) => row.map((x) => Math.round(x * 1e5) / 1e5));
}

function toHypothesis(h: TranslationHypothesis, attention: boolean): Hypothesis {
  return {
    text: h.text,
    target_tokens: h.targetTokens,
    score: h.score,
    // The fixed-context baseline has no attention: its weights are empty, reported as null.
    weights: attention && h.weights.length > 0 ? roundWeights(h.weights) : null,
  };
}

export class ModelRunner {
  readonly info: ModelInfo;
  private readonly parts: TranslatorParts;

  constructor(checkpoint: CheckpointContents, name: string) {
    this.info = describeCheckpoint(checkpoint, name);
    this.parts = {
      model: loadModel(checkpoint),
      srcVocab: checkpoint.srcVocab,
      tgtVocab: checkpoint.tgtVocab,
      codec: codecFrom(checkpoint.tokenizer),
    };
  }

  /** From the bytes of a .safetensors checkpoint (browser file picker, fetch). */
  static fromBytes(bytes: Uint8Array, name: string): ModelRunner {
    return new ModelRunner(decodeCheckpoint(bytes, name), name);
  }

  /** One result per text, in order (the work of `Translator.translate`, synchronously). */
  translate(texts: readonly string[], opts: Omit<TranslateOptions, 'signal'>): TranslationResult[] {
    const translations = translateTexts(this.parts, texts, { beam: opts.beam, nbest: opts.nbest });
    return translations.map((t) => {
      const hyps = t.hypotheses.map((h) => toHypothesis(h, opts.attention));
      const best = hyps[0];
      if (best === undefined) throw new Error(`no translation for "${t.source}"`);
      const result: TranslationResult = { ...best, source_tokens: t.sourceTokens };
      if (opts.nbest > 1) result.nbest = hyps;
      return result;
    });
  }
}
