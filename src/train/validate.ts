/**
 * Validation: dev loss and perplexity (teacher forcing, no dropout, no label smoothing) and BLEU of
 * greedy translations, detokenized and scored against every reference of each source.
 */
import { evalBatches } from '../data/batcher.js';
import type { Vocab } from '../data/vocab.js';
import { Tape, withTape } from '../engine/tensor.js';
import { corpusBleu } from '../eval/bleu.js';
import { corpusChrf } from '../eval/chrf.js';
import { toReferenceStreams } from '../eval/reference-streams.js';
import type { TranslationModel } from '../model/model.js';
import type { TextCodec } from '../translate/codec.js';
import { translateTokens } from '../translate/translate.js';
import type { DevSet } from './data.js';

export interface ValidationResult {
  step: number;
  epoch: number;
  lr: number;
  /** Mean negative log-likelihood per target token (nats). */
  loss: number;
  perplexity: number;
  /** Corpus BLEU (sacreBLEU 13a, lowercased when the model is) of greedy translations. */
  bleu: number;
  chrf: number;
  sentences: number;
  /** Seconds the validation took. */
  validSeconds: number;
}

export interface ValidateOptions {
  step: number;
  epoch: number;
  lr: number;
  maxLenRatio: number;
  batchSize?: number;
}

/** Mean token NLL over pairs, in batches, without dropout and without recording a backward. */
export function devLoss(model: TranslationModel, dev: DevSet, batchSize = 64): { loss: number; tokens: number } {
  const tape = new Tape({ record: false });
  let nll = 0;
  let tokens = 0;
  model.inferenceMode(() => {
    for (const batch of evalBatches(dev.pairs, { batchSize, sortByLength: true })) {
      tape.reset();
      const r = withTape(tape, () => model.loss(batch));
      nll += r.nll;
      tokens += r.ntokens;
    }
  });
  tape.reset();
  return { loss: tokens > 0 ? nll / tokens : 0, tokens };
}

export function validate(model: TranslationModel, dev: DevSet, srcVocab: Vocab, tgtVocab: Vocab, codec: TextCodec, opts: ValidateOptions): ValidationResult {
  const t0 = performance.now();
  const { loss } = devLoss(model, dev, opts.batchSize);
  const sourceTokens = dev.sources.map((ids) => srcVocab.decode(ids));
  const translations = translateTokens({ model, srcVocab, tgtVocab, codec }, dev.sourceTexts, sourceTokens, {
    beam: 1,
    nbest: 1,
    alpha: 0,
    maxLenRatio: opts.maxLenRatio,
    batchSize: opts.batchSize ?? 64,
    replaceUnknowns: false,
  });
  const hyps = translations.map((t) => t.hypotheses[0]?.text ?? '');
  const refs = toReferenceStreams(dev.references);
  const lowercase = codec.lowercase;
  const bleu = corpusBleu(hyps, refs, { lowercase }).score;
  const chrf = corpusChrf(hyps, refs, { lowercase }).score;
  return {
    step: opts.step,
    epoch: opts.epoch,
    lr: opts.lr,
    loss,
    perplexity: Math.exp(loss),
    bleu,
    chrf,
    sentences: dev.sources.length,
    validSeconds: (performance.now() - t0) / 1000,
  };
}
