/**
 * `attnmt align --model FILE [--input PAIRS.tsv] [--method t2s|grow-diag|intersection|union] [--gold FILE.align] [--json]`
 *
 * Word alignments from attention. Each input line is `source<TAB>target`; the model reads the source and is
 * teacher-forced on the given target (forced decoding, src/translate/forced.ts), so the attention matrix is
 * over exactly the reference pair's tokens, which is what an alignment error rate against gold links needs.
 * The end-of-sentence row and column are dropped before aligning: indices are 0-based over words, the
 * `tokenize()` tokens the seed corpus's gold alignment uses. A BPE model's subword attention is turned into
 * word attention first (a source word gets the sum of its pieces' weights, a target word the mean of its
 * pieces' rows).
 *
 * Prints one Pharaoh line (`i-j`, source-target) per pair; with `--gold` (one gold line per pair, `i-j`
 * sure, `i?j` possible) also the corpus AER on stderr (or in the JSON report).
 *
 * A Transformer aligns with the head-mean cross-attention of one decoder layer: `--layer L` (from 0),
 * `--layer mean` (every layer and head), by default its alignment layer (the model's `weights`). With
 * --gold it also reports the AER of every layer's head-mean and of the mean, and which is best.
 */
import * as fs from 'node:fs';
import { z } from 'zod';
import { ALIGN_METHODS, corpusAlignmentErrorRate, formatPharaoh, hardAlign, parseGoldText, type GoldAlignment } from '../eval/alignment.js';
import { alignmentByLayer, bestLayer, checkGoldTokens, wordAttentionOf, type LayerAlignmentScore } from '../eval/evaluate.js';
import { parsePairLines } from '../eval/references.js';
import { openTranslator } from '../translate/open.js';
import { readInputLines, withEngine, writeFileAtomic } from './common.js';
import { UserError } from './errors.js';
import { checkInputFile } from '../util/fs.js';
import { opt, parseOptions } from './options.js';

export const AlignOptionsSchema = z.object({
  model: opt.file,
  input: opt.file.optional(),
  method: z.enum(ALIGN_METHODS as ['t2s', 'grow-diag', 'intersection', 'union']).default('t2s'),
  gold: opt.file.optional(),
  output: opt.file.optional(),
  json: opt.flag,
  threads: opt.count.optional(),
  layer: z.union([z.literal('mean'), z.number().int().nonnegative()]).optional(),
});

const layerName = (l: number | 'mean'): string => (l === 'mean' ? 'mean of all layers' : `layer ${l}`);

export async function alignCommand(raw: unknown): Promise<void> {
  const o = parseOptions(AlignOptionsSchema, raw);
  const translator = openTranslator(o.model);
  const pairs = parsePairLines(readInputLines(o.input), o.input ?? 'stdin');
  let gold: GoldAlignment[] | undefined;
  if (o.gold !== undefined) {
    if (!fs.existsSync(o.gold)) throw new UserError(`${o.gold}: no such gold alignment file`);
    checkInputFile(o.gold, 'gold alignment file');
    gold = parseGoldText(fs.readFileSync(o.gold, 'utf8'), o.gold);
    if (gold.length !== pairs.length) throw new UserError(`${o.gold}: ${gold.length} alignment lines for ${pairs.length} pairs`);
  }
  const transformer = translator.model.config.arch === 'transformer';
  if (o.layer !== undefined && !transformer) throw new UserError(`align: --layer needs a Transformer; ${o.model} is a ${translator.model.summary()}`);
  const { words, byLayer } = await withEngine(o.threads ?? 0, () => ({
    words: wordAttentionOf(translator, pairs, o.layer),
    byLayer: gold !== undefined && transformer ? alignmentByLayer(translator, pairs, gold, o.method) : undefined,
  }), () => {});
  const links = words.map((w) => hardAlign(w.weights, o.method));
  const lines = links.map((l) => formatPharaoh(l));
  let aer: number | undefined;
  if (gold !== undefined) {
    checkGoldTokens(words, pairs);
    aer = corpusAlignmentErrorRate(links, gold.map((g) => g.sure), gold.map((g) => g.possible));
  }
  const layer = transformer ? (o.layer ?? (translator.model as unknown as { alignmentLayer: number }).alignmentLayer) : undefined;
  const best: LayerAlignmentScore | undefined = byLayer === undefined ? undefined : bestLayer(byLayer);
  if (o.output !== undefined) writeFileAtomic(o.output, lines.length > 0 ? `${lines.join('\n')}\n` : '');
  if (o.json === true) {
    const report = {
      method: o.method,
      pairs: pairs.length,
      ...(layer === undefined ? {} : { layer }),
      ...(aer === undefined ? {} : { aer }),
      ...(byLayer === undefined ? {} : { layers: byLayer, best_layer: best?.layer }),
      ...(o.output === undefined ? { alignments: lines } : {}),
    };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  if (o.output === undefined && lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
  if (aer !== undefined) process.stderr.write(`AER (${o.method}${layer === undefined ? '' : `, ${layerName(layer)}`}) on ${pairs.length} pairs: ${(aer * 100).toFixed(1)}%\n`);
  if (byLayer !== undefined) {
    const parts = byLayer.map((s) => `${s.layer === 'mean' ? 'mean' : `layer ${s.layer}`} ${(s.aer * 100).toFixed(1)}%`);
    process.stderr.write(`AER by layer (head-mean cross-attention): ${parts.join(', ')}; best: ${layerName(best?.layer ?? 0)}\n`);
  }
}
