/**
 * Forced decoding of text pairs: the model reads the source and is fed the given target (teacher
 * forcing), so its attention is over exactly that pair's tokens. Alignment (`attnmt align`, AER
 * against gold links) and explaining a reference translation start here.
 */
import { makeBatch } from '../data/batch.js';
import { mergeSubwords, pieceWords } from '../data/bpe.js';
import { wordAttention } from '../eval/alignment.js';
import { hasHeadAttention } from '../model/model.js';
import type { TextCodec } from './codec.js';
import { EOS_TOKEN, type TranslatorParts } from './translate.js';

export interface TextPair {
  src: string;
  tgt: string;
}

/** The teacher-forced attention of one pair over the model's tokens. */
export interface ForcedPair {
  source: string;
  target: string;
  /** Source tokens as the model saw them, then '</s>' (the columns of `weights`). */
  sourceTokens: string[];
  /** Target tokens as fed to the decoder, then '</s>' (the rows of `weights`). */
  targetTokens: string[];
  /** (T+1, S+1): row t is the attention while predicting target token t; empty without attention. */
  weights: number[][];
  /** When asked for and the model has layers of heads (a Transformer): each decoder layer's head-mean cross-attention, (T+1, S+1) each. */
  layers?: number[][][];
}

export interface ForceOptions {
  /** Also every decoder layer's head-mean cross-attention (`layers`), for a Transformer. */
  layers?: boolean;
}

/** Forced attention of every pair, in input order, `batchSize` pairs at a time. */
export function forceTexts(parts: TranslatorParts, pairs: readonly TextPair[], batchSize: number, opts: ForceOptions = {}): ForcedPair[] {
  const { model, srcVocab, tgtVocab, codec } = parts;
  const srcTokens = pairs.map((p) => codec.source(p.src));
  const tgtTokens = pairs.map((p) => codec.target(p.tgt));
  const ids = pairs.map((_, i) => ({ src: srcVocab.encode(srcTokens[i] as string[]), tgt: tgtVocab.encode(tgtTokens[i] as string[]) }));
  const out = new Array<ForcedPair>(pairs.length);
  model.inferenceMode(() => {
    for (let start = 0; start < pairs.length; start += batchSize) {
      const rows = Array.from({ length: Math.min(batchSize, pairs.length - start) }, (_, r) => start + r);
      const batch = makeBatch(rows.map((i) => ids[i] as { src: number[]; tgt: number[] }), rows);
      const attention = model.forcedAttention(batch);
      const heads = opts.layers === true && hasHeadAttention(model) ? model.headAttention(batch) : null;
      rows.forEach((i, r) => {
        const p = pairs[i] as TextPair;
        out[i] = {
          source: p.src,
          target: p.tgt,
          sourceTokens: [...(srcTokens[i] as string[]), EOS_TOKEN],
          targetTokens: [...(tgtTokens[i] as string[]), EOS_TOKEN],
          weights: (attention[r] ?? []).map((row) => Array.from(row)),
        };
        const h = heads?.[r];
        if (h !== undefined) (out[i] as ForcedPair).layers = h.cross.map(meanOfHeads);
      });
    }
  });
  return out;
}

/** The mean over heads of one layer's weights [head][query][key]. */
export function meanOfHeads(layer: readonly (readonly (readonly number[])[])[]): number[][] {
  const first = layer[0] ?? [];
  return first.map((row, r) => row.map((_, c) => layer.reduce((sum, m) => sum + (m[r]?.[c] ?? 0), 0) / layer.length));
}

/** A pair's attention over words: end-of-sentence row and column dropped, a BPE model's pieces merged. */
export interface WordAttention {
  sourceWords: string[];
  targetWords: string[];
  /** (T, S) over the words: a source word gets the sum of its pieces' weights, a target word the mean of its pieces' rows. */
  weights: number[][];
}

export function overWords(codec: TextCodec, f: ForcedPair): WordAttention {
  const src = f.sourceTokens.slice(0, -1);
  const tgt = f.targetTokens.slice(0, -1);
  const weights = f.weights.slice(0, tgt.length).map((row) => row.slice(0, src.length));
  const { src: sp, tgt: tp } = codec.pipelines;
  if (sp.kind !== 'bpe' && tp.kind !== 'bpe') return { sourceWords: src, targetWords: tgt, weights };
  return {
    sourceWords: sp.kind === 'bpe' ? mergeSubwords(src) : src,
    targetWords: tp.kind === 'bpe' ? mergeSubwords(tgt) : tgt,
    weights: weights.length === 0 ? [] : wordAttention(weights, tp.kind === 'bpe' ? pieceWords(tgt) : tgt.map((_, i) => i), sp.kind === 'bpe' ? pieceWords(src) : src.map((_, i) => i)),
  };
}
