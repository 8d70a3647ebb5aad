/**
 * A loaded checkpoint that answers the server's `Translator` requests synchronously, through the
 * translate layer's Translator (so with the checkpoint's decoding settings). Used by the server's
 * worker thread and by the web page's in-browser mode (which reads the checkpoint bytes itself),
 * so both give exactly the same JSON. Runs in the browser: imports nothing from Node.
 */
import { openTranslator, type Translator } from '../translate/translator.js';
import type { TranslationHypothesis } from '../translate/translate.js';
import type { StopSignal } from '../decode/common.js';
import type { Hypothesis, ModelInfo, TranslateOptions, TranslationResult } from './translator.js';

/** What GET /model shows for a loaded checkpoint: its description, size, config, decoding settings and metadata. */
export function describeTranslator(t: Translator, name = t.name): ModelInfo {
  const first = t.checkpoints[0]?.contents;
  const info: ModelInfo = {
    name,
    kind: t.model.hasAttention ? 'attention' : 'baseline',
    architecture: first?.quantized === undefined ? t.model.summary() : `${t.model.summary()}, int8 weights`,
    parameters: t.model.parameterCount(),
    source_vocab_size: t.srcVocab.size,
    target_vocab_size: t.tgtVocab.size,
    config: { ...t.model.config },
    decoding: { ...t.settings },
  };
  if (first?.metadata !== undefined) info.metadata = first.metadata;
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

/** A Translator (src/translate) answering in the JSON API's shapes: the server's worker and the page's in-browser mode. */
export class ModelRunner {
  readonly info: ModelInfo;

  /** `name` is what GET /model shows (default: the checkpoint's name, which errors use). */
  constructor(readonly translator: Translator, name = translator.name) {
    this.info = describeTranslator(translator, name);
  }

  /** From the bytes of a .safetensors checkpoint (browser file picker, fetch, or a file read by the server). */
  static fromBytes(bytes: Uint8Array, name: string): ModelRunner {
    return new ModelRunner(openTranslator({ name, bytes }));
  }

  /**
   * One result per text, in order (the work of `Translator.translate`, synchronously). Options left out
   * (beam) are the checkpoint's own settings, as for `attnmt translate`.
   */
  translate(texts: readonly string[], opts: Omit<TranslateOptions, 'signal'> & { signal?: StopSignal }): TranslationResult[] {
    const translations = this.translator.translate(texts, { beam: opts.beam, nbest: opts.nbest, signal: opts.signal });
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
