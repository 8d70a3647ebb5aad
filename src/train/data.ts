/**
 * From the data section of a config to what the trainer consumes: tokenized id pairs, the
 * vocabularies, the dev set grouped by unique source (several references per source, as in
 * Tatoeba), and the text codec that turns raw text into model tokens and back.
 *
 *   text -> normalize -> tokenize -> (lowercase) -> (BPE) -> ids    (both sides)
 *   target ids -> tokens -> (merge BPE) -> detokenize -> text        (decoding)
 *
 * The codec (src/translate/codec.ts) wraps the data layer's text pipelines; their JSON is stored in
 * every checkpoint (`tokenizer`), so `translate`, `eval` and the server tokenize as training did.
 */
import { readParallel, readTsv, type ReadResult, type TextPair } from '../data/readers.js';
import type { TextCodec } from '../translate/codec.js';
import type { Vocab } from '../data/vocab.js';
import type { DataConfig } from './config.js';
import { groupDev, preparePairs, type DevSet, type PreparedData } from './prepare.js';

export { groupDev, languages, learnCodec, preparePairs, type DevSet, type PreparedData } from './prepare.js';

/** Read a corpus as the config says (format, columns, direction), as text pairs. */
export function readCorpus(cfg: DataConfig, file: string, limit: number): ReadResult {
  const opts = { skipBad: cfg.skipBad, ...(limit > 0 ? { limit } : {}) };
  const [first, second] = cfg.format === 'tsv' ? cfg.columns : [0, 1];
  const swap = cfg.direction === 'reverse';
  if (cfg.format === 'tsv') {
    return readTsv(file, { ...opts, srcColumn: swap ? second : first, tgtColumn: swap ? first : second });
  }
  const [a, b] = cfg.langs;
  return readParallel(`${file}.${swap ? b : a}`, `${file}.${swap ? a : b}`, opts);
}

/**
 * Read, tokenize and index the training (and dev) data. Vocabularies are built from the training
 * data unless given (resume keeps the checkpoint's).
 */
export function prepareData(
  cfg: DataConfig,
  resumed?: { srcVocab: Vocab; tgtVocab: Vocab; tokenizer: Record<string, unknown> },
  log: (line: string) => void = () => {},
): PreparedData {
  const read = readCorpus(cfg, cfg.train, cfg.limit);
  reportSkipped(cfg.train, read, log);
  let dev: TextPair[] | undefined;
  if (cfg.dev !== undefined) {
    const devRead = readCorpus(cfg, cfg.dev, 0);
    reportSkipped(cfg.dev, devRead, log);
    dev = devRead.pairs;
  }
  return preparePairs(cfg, read.pairs, dev, resumed, log, cfg.train);
}

/** Dev pairs grouped by unique source (first-seen order). */
export function prepareDev(cfg: DataConfig, file: string, codec: TextCodec, srcVocab: Vocab, tgtVocab: Vocab, log: (line: string) => void): DevSet {
  const read = readCorpus(cfg, file, 0);
  reportSkipped(file, read, log);
  return groupDev(read.pairs, codec, srcVocab, tgtVocab, cfg.devLimit);
}

function reportSkipped(file: string, read: ReadResult, log: (line: string) => void): void {
  const parts = Object.entries(read.skipped).filter(([, n]) => n > 0).map(([reason, n]) => `${n} ${reason}`);
  if (parts.length > 0) log(`data: ${file}: skipped ${parts.join(', ')} lines`);
}
