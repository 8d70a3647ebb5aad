/**
 * `attnmt explain --model FILE [--step K] [--target "..."] [--top N] [--beam K] [--layer L] [--json OUT] the sentence`
 *
 * Every decoder step of one sentence's translation, with its numbers (src/translate/explain.ts): the
 * decoder state s_t, the raw score of every source token, the softmax weights and their sum, the
 * context c_t with the check that it is exactly Σ α_i h_i, the feed-forward layer over [c_t; s_t],
 * and the top next words with their probabilities. `--json` writes the same as JSON (atomically).
 */
import { z } from 'zod';
import type { ExplainResult, ExplainStep } from '../translate/explain.js';
import { openTranslator } from '../translate/open.js';
import { withEngine, writeFileAtomic } from './common.js';
import { UserError } from './errors.js';
import { opt, parseOptions } from './options.js';

export const ExplainOptionsSchema = z.object({
  model: opt.file,
  step: opt.count.optional(),
  target: z.string().refine((s) => s.trim() !== '', 'the forced translation is empty').optional(),
  top: opt.count.default(5),
  beam: opt.count.optional(),
  layer: z.number().int().nonnegative().optional(),
  json: opt.file.optional(),
  threads: opt.count.optional(),
}).refine((o) => o.target === undefined || o.beam === undefined || o.beam === 1, { message: 'give --target or --beam, not both (--beam explains the best hypothesis by forcing it)', path: ['beam'] });

/** How many values of a vector the terminal shows. */
const FIRST = 6;
const BAR = 24;

const fmt = (x: number, digits = 3): string => (x >= 0 ? ' ' : '') + x.toFixed(digits);
const first = (v: readonly number[]): string => `[${v.slice(0, FIRST).map((x) => fmt(x)).join(' ')}${v.length > FIRST ? ' …' : ''}] (${v.length} values)`;
const bar = (w: number): string => '█'.repeat(Math.round(w * BAR)) || (w > 0 ? '▏' : '');
const pct = (p: number): string => `${(p * 100).toFixed(1)}%`;

/** One step, readable. */
export function stepText(r: ExplainResult, s: ExplainStep): string {
  const lines: string[] = [];
  const forced = r.mode !== 'greedy';
  lines.push(`step ${s.t}: reads "${s.input}", ${forced ? 'forced to' : 'produces'} "${s.token}"  p = ${s.p.toFixed(4)}${forced ? `  (rank ${s.rank})` : ''}`);
  lines.push(`  decoder state s_${s.t}    |s| = ${s.state_norm.toFixed(3)}  ${first(s.state)}`);
  const width = Math.max(6, ...r.source_tokens.map((t) => t.length));
  if (s.heads !== undefined) {
    lines.push(...headsText(r, s, width));
  } else if (s.weights !== null && s.scores !== null) {
    lines.push(`  ${'source'.padEnd(width)}   score e    weight α`);
    r.source_tokens.forEach((tok, i) => {
      const w = s.weights?.[i] ?? 0;
      lines.push(`  ${tok.padEnd(width)}  ${fmt(s.scores?.[i] ?? 0).padStart(8)}   ${w.toFixed(4)} ${bar(w)}`);
    });
    lines.push(`  ${''.padEnd(width)}  ${'sum α ='.padStart(8)}   ${(s.weight_sum ?? 0).toFixed(6)}`);
  }
  if (s.fixed_context) {
    lines.push(`  context c_${s.t} = the encoder's final state: FIXED, the same vector at every step (no attention)`);
    lines.push(`                   |c| = ${s.context_norm.toFixed(3)}  ${first(s.context)}  max |c - fixed| = ${s.context_check.toExponential(1)}`);
  } else {
    lines.push(`  context c_${s.t} = Σ α_i ${s.heads === undefined ? 'h_i' : 'v_i (per head)'}   |c| = ${s.context_norm.toFixed(3)}  ${first(s.context)}`);
    lines.push(`                   check: max |c - Σ α_i ${s.heads === undefined ? 'h_i' : 'v_i'}| = ${s.context_check.toExponential(1)}`);
  }
  if (s.attentional_norm !== null && s.attentional !== null) {
    lines.push(`  tanh(W_c [c_${s.t}; s_${s.t}] + b_c)   |h~| = ${s.attentional_norm.toFixed(3)}  ${first(s.attentional)}`);
  }
  lines.push(`  next word: ${s.top.map((w) => `${w.chosen ? '▶ ' : ''}${w.token} ${pct(w.p)}`).join('   ')}`);
  return lines.join('\n');
}

/** A Transformer step: the chosen layer's heads side by side, the other layers summarized. */
function headsText(r: ExplainResult, s: ExplainStep, width: number): string[] {
  const heads = s.heads ?? [];
  const mine = heads.filter((h) => h.layer === r.layer);
  const lines = [`  cross-attention of layer ${r.layer} (${mine.length} heads): score e (= q·k / sqrt(d)) and weight α per head, then their mean`];
  lines.push(`  ${'source'.padEnd(width)}  ${mine.map((h) => `h${h.head}: e      α   `).join(' ')}  mean α`);
  r.source_tokens.forEach((tok, i) => {
    const cells = mine.map((h) => `${fmt(h.scores[i] ?? 0, 2).padStart(7)} ${(h.weights[i] ?? 0).toFixed(3)}`);
    const w = s.weights?.[i] ?? 0;
    lines.push(`  ${tok.padEnd(width)}  ${cells.join(' ')}  ${w.toFixed(3)} ${bar(w)}`);
  });
  lines.push(`  ${''.padEnd(width)}  ${mine.map((h) => `sum ${h.weight_sum.toFixed(4)}`.padStart(13)).join(' ')}`);
  const layers = [...new Set(heads.map((h) => h.layer))].filter((l) => l !== r.layer);
  for (const l of layers) {
    const hs = heads.filter((h) => h.layer === l);
    const argmax = hs.map((h) => r.source_tokens[h.weights.indexOf(Math.max(...h.weights))] ?? '?');
    lines.push(`  layer ${l}: heads look most at ${argmax.map((t, k) => `h${k} "${t}"`).join(', ')}; max context check ${Math.max(...hs.map((h) => h.context_check)).toExponential(1)}`);
  }
  return lines;
}

/** The whole explanation, readable. */
export function explainText(r: ExplainResult): string {
  const how = r.mode === 'greedy' ? 'greedy decoding' : r.mode === 'forced' ? 'forced translation (teacher forcing)' : `best hypothesis of beam ${r.beam}, forced`;
  const out = [`${r.source}`, `-> ${r.text}`, `   (${how}; ${r.model}; log-prob ${r.score.toFixed(3)})`];
  if (r.unknown.length > 0) out.push(`   source words read as <unk>: ${r.unknown.join(', ')}`);
  if (r.unknown_target.length > 0) out.push(`   forced words read as <unk>: ${r.unknown_target.join(', ')}`);
  if (r.fixed_context !== null) out.push('   fixed-context baseline: no attention, the decoder gets the encoder\'s final state as its one context at every step');
  for (const s of r.steps) out.push('', stepText(r, s));
  return out.join('\n');
}

export async function explainCommand(sentence: string, raw: unknown): Promise<void> {
  const o = parseOptions(ExplainOptionsSchema, raw);
  if (sentence.trim() === '') throw new UserError('explain: give a sentence to translate');
  const translator = openTranslator(o.model);
  const result = await withEngine(o.threads ?? 0, () =>
    translator.explain(sentence, { target: o.target, top: o.top, step: o.step, beam: o.beam, layer: o.layer }),
  );
  process.stdout.write(`${explainText(result)}\n`);
  if (o.json !== undefined) {
    writeFileAtomic(o.json, `${JSON.stringify(result)}\n`);
    process.stdout.write(`wrote ${o.json}\n`);
  }
}
