/**
 * A small deterministic Translator for the API tests: the "translation" of w1 .. wn is
 * WN .. W1 (upper-cased, reversed), target word i attending only to source word n-1-i.
 * Sentences containing "SLOW" wait for `release()`; "HANG" waits until the request is aborted;
 * "BADWORD" is refused as bad input; "CRASH" throws an internal error. A baseline has no attention weights.
 */
import { TranslationInputError, type ModelInfo, type ModelKind, type TranslateOptions, type TranslationResult, type Translator } from '../../src/server/translator.js';

export class FakeTranslator implements Translator {
  calls = 0;
  aborted = 0;
  private gate: Promise<void>;
  private openGate: () => void = () => undefined;
  private started: (() => void)[] = [];

  constructor(readonly kind: ModelKind = 'attention', readonly suffix = '') {
    this.gate = new Promise((resolve) => {
      this.openGate = resolve;
    });
  }

  /** Resolves when a SLOW sentence has reached the translator. */
  slowStarted(): Promise<void> {
    return new Promise((resolve) => this.started.push(resolve));
  }

  release(): void {
    this.openGate();
  }

  describe(): ModelInfo {
    return {
      name: `fake-${this.kind}`,
      kind: this.kind,
      architecture: 'reverse and upper-case',
      parameters: 42,
      source_vocab_size: 10,
      target_vocab_size: 11,
      config: { attention: this.kind === 'attention' ? 'additive' : 'none' },
    };
  }

  async translate(texts: string[], opts: TranslateOptions): Promise<TranslationResult[]> {
    this.calls++;
    if (texts.some((t) => t.includes('SLOW'))) {
      for (const s of this.started.splice(0)) s();
      await this.gate;
    }
    if (texts.some((t) => t.includes('HANG'))) {
      await new Promise<void>((resolve) => opts.signal?.addEventListener('abort', () => resolve()));
      this.aborted++;
      throw new Error('aborted');
    }
    if (texts.some((t) => t.includes('BADWORD'))) throw new TranslationInputError('the word BADWORD is not allowed');
    if (texts.some((t) => t.includes('CRASH'))) throw new Error('kaboom');
    return texts.map((text) => expected(text, { ...opts, attention: opts.attention && this.kind === 'attention' }, this.suffix));
  }
}

/** What FakeTranslator answers for `text` (the tests' expected values are built independently below). */
function expected(text: string, opts: TranslateOptions, suffix: string): TranslationResult {
  const words = text.trim().split(/\s+/);
  const n = words.length;
  const source = [...words, '</s>'];
  const hyp = (k: number): TranslationResult => {
    const target = [...words].reverse().map((w) => w.toUpperCase() + suffix + (k > 0 ? `#${k}` : ''));
    const weights = [...target, '</s>'].map((_, i) => source.map((_, j) => (i < n ? (j === n - 1 - i ? 1 : 0) : j === n ? 1 : 0)));
    return {
      text: target.join(' '),
      source_tokens: source,
      target_tokens: [...target, '</s>'],
      weights: opts.attention ? weights : null,
      score: -n - k,
    };
  };
  const best = hyp(0);
  if (opts.nbest > 1) {
    best.nbest = Array.from({ length: opts.nbest }, (_, k) => {
      const { source_tokens: _s, ...h } = hyp(k);
      return h;
    });
  }
  return best;
}
