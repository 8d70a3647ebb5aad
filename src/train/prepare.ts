/**
 * From text pairs in memory to what the trainer consumes (browser-safe): the codec (word tokens or
 * BPE learned on the training text), the vocabularies, the id pairs and the dev set grouped by unique
 * source. data.ts reads the pairs from the files a config names; the page's "Train here" passes the
 * seed corpus it generated.
 */
import type { TextPair } from '../data/readers.js';
import { TextPipeline } from '../data/pipeline.js';
import { CodecError, codecFrom, makeCodec, type TextCodec } from '../translate/codec.js';
import { Vocab } from '../data/vocab.js';
import { Bpe, countWords } from '../data/bpe.js';
import type { IdPair } from '../data/batch.js';
import type { DataConfig } from './config-schema.js';

/** Dev data: pairs for the loss, unique sources with all their references for BLEU. */
export interface DevSet {
  pairs: IdPair[];
  /** Source ids of each unique source. */
  sources: number[][];
  /** Source text of each unique source (normalized). */
  sourceTexts: string[];
  /** Every reference (normalized text) of each unique source. */
  references: string[][];
}

export interface PreparedData {
  train: IdPair[];
  dev?: DevSet;
  srcVocab: Vocab;
  tgtVocab: Vocab;
  codec: TextCodec;
  /** The codec description, stored in checkpoints. */
  tokenizer: Record<string, unknown>;
}

/** Source/target languages after `direction`. */
export function languages(cfg: DataConfig): { srcLang: string; tgtLang: string } {
  const [a, b] = cfg.langs;
  return cfg.direction === 'forward' ? { srcLang: a, tgtLang: b } : { srcLang: b, tgtLang: a };
}

/**
 * Tokenize and index training (and dev) pairs. Vocabularies are built from the training data unless
 * given (resume keeps the checkpoint's); pairs longer than maxLen (or empty) are dropped. `source`
 * names the training data in errors.
 */
export function preparePairs(
  cfg: DataConfig,
  train: ReadonlyArray<{ src: string; tgt: string }>,
  dev: ReadonlyArray<{ src: string; tgt: string }> | undefined,
  resumed?: { srcVocab: Vocab; tgtVocab: Vocab; tokenizer: Record<string, unknown> },
  log: (line: string) => void = () => {},
  source = 'training data',
): PreparedData {
  const codec = resumed === undefined ? learnCodec(cfg, train, log) : codecFrom(resumed.tokenizer);
  const tokenized = train.map((p) => ({ src: codec.source(p.src), tgt: codec.target(p.tgt) }));
  const kept = tokenized.filter((p) => p.src.length <= cfg.maxLen && p.tgt.length <= cfg.maxLen && p.src.length > 0 && p.tgt.length > 0);
  if (kept.length < tokenized.length) log(`data: dropped ${tokenized.length - kept.length} pairs longer than maxLen ${cfg.maxLen}`);
  if (kept.length === 0) throw new CodecError(`${source}: no training pairs left (${train.length} read, maxLen ${cfg.maxLen})`);
  const vocabOpts = { minFreq: cfg.vocab.minFreq, maxSize: cfg.vocab.maxSize };
  const joint = cfg.jointVocab && resumed === undefined ? Vocab.build([...kept.map((p) => p.src), ...kept.map((p) => p.tgt)], vocabOpts) : null;
  const srcVocab = resumed?.srcVocab ?? joint ?? Vocab.build(kept.map((p) => p.src), vocabOpts);
  const tgtVocab = resumed?.tgtVocab ?? joint ?? Vocab.build(kept.map((p) => p.tgt), vocabOpts);
  const ids = kept.map((p) => ({ src: srcVocab.encode(p.src), tgt: tgtVocab.encode(p.tgt) }));
  const devSet = dev === undefined ? undefined : groupDev(dev, codec, srcVocab, tgtVocab, cfg.devLimit);
  return { train: ids, ...(devSet === undefined ? {} : { dev: devSet }), srcVocab, tgtVocab, codec, tokenizer: codec.toJSON() };
}

/** The codec of a new training: word tokens, or BPE merges learned on the training text. */
export function learnCodec(cfg: DataConfig, pairs: ReadonlyArray<{ src: string; tgt: string }>, log: (line: string) => void = () => {}): TextCodec {
  const { srcLang, tgtLang } = languages(cfg);
  const src = new TextPipeline({ kind: 'word', lowercase: cfg.lowercase, lang: srcLang });
  const tgt = new TextPipeline({ kind: 'word', lowercase: cfg.lowercase, lang: tgtLang });
  if (cfg.tokenizer === 'word') return makeCodec({ src, tgt });
  const srcCounts = countWords(pairs.map((p) => src.words(p.src)));
  const tgtCounts = countWords(pairs.map((p) => tgt.words(p.tgt)));
  if (cfg.joint) {
    const all = new Map(srcCounts);
    for (const [w, n] of tgtCounts) all.set(w, (all.get(w) ?? 0) + n);
    const bpe = Bpe.learn(all, { merges: cfg.bpeMerges });
    log(`data: learned ${bpe.merges.length} joint BPE merges`);
    return makeCodec({ src: src.withBpe(bpe), tgt: tgt.withBpe(bpe) });
  }
  const srcBpe = Bpe.learn(srcCounts, { merges: cfg.bpeMerges });
  const tgtBpe = Bpe.learn(tgtCounts, { merges: cfg.bpeMerges });
  log(`data: learned ${srcBpe.merges.length} source / ${tgtBpe.merges.length} target BPE merges`);
  return makeCodec({ src: src.withBpe(srcBpe), tgt: tgt.withBpe(tgtBpe) });
}

/** Group text pairs by source into a DevSet (at most `limit` sources when > 0). */
export function groupDev(pairs: readonly TextPair[] | ReadonlyArray<{ src: string; tgt: string }>, codec: TextCodec, srcVocab: Vocab, tgtVocab: Vocab, limit = 0): DevSet {
  const index = new Map<string, number>();
  const dev: DevSet = { pairs: [], sources: [], sourceTexts: [], references: [] };
  for (const p of pairs) {
    let g = index.get(p.src);
    if (g === undefined) {
      if (limit > 0 && dev.sources.length >= limit) continue;
      g = dev.sources.length;
      index.set(p.src, g);
      dev.sources.push(srcVocab.encode(codec.source(p.src)));
      dev.sourceTexts.push(p.src);
      dev.references.push([]);
    }
    (dev.references[g] as string[]).push(p.tgt);
    dev.pairs.push({ src: dev.sources[g] as number[], tgt: tgtVocab.encode(codec.target(p.tgt)) });
  }
  return dev;
}

