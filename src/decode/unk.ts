/**
 * Unknown-word replacement (Luong et al. 2015b, "Addressing the rare word problem", in its
 * attention-based form as in Jean et al. 2015): every `<unk>` in the output is replaced by the
 * source word that received the highest attention weight at the step that produced it. Proper names
 * and numbers are usually copied through this way.
 */
import { UNK } from '../data/vocab.js';
import type { Hypothesis } from './common.js';

/**
 * hyp: the decoded hypothesis; srcTokens: the source words as written (before mapping to ids, without
 * EOS); tgtTokens: the output words (the vocabulary's tokens for hyp.tokens). Returns a new array with
 * each `<unk>` (id UNK) replaced. Without attention rows (fixed-context baseline) nothing is replaced.
 * The EOS column of the attention is not a word and is never chosen.
 */
export function replaceUnknowns(hyp: Hypothesis, srcTokens: readonly string[], tgtTokens: string[]): string[] {
  if (tgtTokens.length !== hyp.tokens.length) {
    throw new RangeError(`replaceUnknowns: ${tgtTokens.length} target tokens for a hypothesis of ${hyp.tokens.length}`);
  }
  const out = [...tgtTokens];
  if (hyp.attention.length === 0 || srcTokens.length === 0) return out;
  for (let t = 0; t < hyp.tokens.length; t++) {
    if (hyp.tokens[t] !== UNK) continue;
    const row = hyp.attention[t];
    if (row === undefined) continue;
    const n = Math.min(row.length, srcTokens.length);
    let best = 0;
    for (let j = 1; j < n; j++) if (row[j] > row[best]) best = j;
    out[t] = srcTokens[best] as string;
  }
  return out;
}
