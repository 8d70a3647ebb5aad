import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { test } from 'node:test';
import { makeBatch } from '../../src/data/batch.js';
import { pipelinesToJSON, TextPipeline } from '../../src/data/pipeline.js';
import { forceDecode } from '../../src/decode/forced.js';
import { withTape, Tape } from '../../src/engine/tensor.js';
import { Ensemble } from '../../src/model/ensemble.js';
import { Transformer } from '../../src/model/transformer/model.js';
import type { ExplainResult } from '../../src/translate/explain.js';
import { openTranslator, type Translator } from '../../src/translate/translator.js';
import { checkpointOf } from '../model/helpers.js';
import { tinyTransformerConfig } from '../model/transformer/helpers.js';
import { writeTinyCheckpoint } from '../helpers/tiny-checkpoint.js';

const SENTENCES = ['the black cat ate the mouse', 'the white dog sees the cat', 'a small house', 'i am hungry', 'the mouse ate the cat'];

function tiny(attention: 'additive' | 'dot' | 'general' | 'none', seed = 11): Translator {
  return openTranslator(new Uint8Array(fs.readFileSync(writeTinyCheckpoint({ attention, seed }))), { replaceUnknowns: false });
}

/** softmax in float64, written here independently of the engine. */
function softmax(x: readonly number[]): number[] {
  const m = Math.max(...x);
  const e = x.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

function assertClose(actual: readonly number[], expected: readonly number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  actual.forEach((x, i) => assert.ok(Math.abs(x - (expected[i] as number)) <= tol, `${what}[${i}]: ${x} vs ${expected[i]}`));
}

for (const attention of ['additive', 'dot', 'general'] as const) {
  test(`${attention}: explain's weights are translate's, softmax(scores) = weights, and the context is exactly Σ α_i h_i`, () => {
    const t = tiny(attention);
    for (const sentence of SENTENCES) {
      const [tr] = t.translate([sentence], { beam: 1 });
      const best = tr?.hypotheses[0];
      assert.ok(best);
      const ex = t.explain(sentence);
      assert.equal(ex.mode, 'greedy');
      assert.deepEqual(ex.source_tokens, tr?.sourceTokens);
      assert.deepEqual(ex.target_tokens, best.targetTokens);
      assert.equal(ex.text, best.text);
      assert.ok(Math.abs(ex.score - best.score) < 1e-4);
      assert.equal(ex.steps.length, best.weights.length);
      const h = ex.encoder_states as number[][];
      assert.equal(h.length, ex.source_tokens.length);
      ex.steps.forEach((s, i) => {
        assert.equal(s.t, i + 1);
        assert.equal(s.token, ex.target_tokens[i]);
        assertClose(s.weights as number[], best.weights[i] as number[], 1e-6, `step ${s.t} weights`);
        assertClose(s.weights as number[], softmax(s.scores as number[]), 1e-6, `step ${s.t} softmax(scores)`);
        assert.ok(Math.abs((s.weight_sum as number) - 1) < 1e-5);
        assert.ok(s.context_check < 1e-5, `context check ${s.context_check}`);
        // The check, redone here from the JSON numbers alone.
        const recomputed = s.context.map((_, j) => (s.weights as number[]).reduce((acc, w, k) => acc + w * (h[k]?.[j] as number), 0));
        assertClose(s.context, recomputed, 1e-5, `step ${s.t} context`);
        assert.ok(Math.abs(s.context_norm - Math.hypot(...s.context)) < 1e-6);
        assert.ok(Math.abs(s.state_norm - Math.hypot(...s.state)) < 1e-6);
        assert.equal(s.fixed_context, false);
        // h~ = tanh(...) lies in (-1, 1).
        assert.ok((s.attentional as number[]).every((x) => Math.abs(x) < 1));
        assert.equal(s.top.length, 5);
        assert.equal(s.top[0]?.token, s.token, 'greedy: the chosen word is the most probable');
        assert.equal(s.top[0]?.chosen, true);
        assert.ok(s.top.every((w, k) => k === 0 || w.p <= (s.top[k - 1]?.p as number)));
        assert.ok(Math.abs(Math.log(s.p) - Math.log(s.top[0]?.p as number)) < 1e-9);
        assert.equal(s.rank, 1);
      });
    }
  });
}

test('forced: the probability of each forced word is exp of the log-probability forced decoding gives, and their log sum is minus the loss', () => {
  const t = tiny('additive', 5);
  const pairs = [
    { src: 'the black cat ate the mouse', tgt: 'le chat noir a mangé la souris' },
    { src: 'a small house', tgt: 'une petite maison' },
    { src: 'the white dog sees the cat', tgt: 'le chien blanc voit le chat' },
  ];
  for (const p of pairs) {
    const ex = t.explain(p.src, { target: p.tgt, top: 3 });
    assert.equal(ex.mode, 'forced');
    assert.deepEqual(ex.target_tokens, [...p.tgt.split(' '), '</s>']);
    const src = t.srcVocab.encode(t.codec.source(p.src));
    const tgt = t.tgtVocab.encode(t.codec.target(p.tgt));
    const batch = makeBatch([{ src, tgt }], [0]);
    const [forced] = forceDecode(t.model, batch);
    assert.ok(forced);
    assert.equal(ex.steps.length, forced.logProbs.length);
    ex.steps.forEach((s, i) => {
      assert.ok(Math.abs(s.p - Math.exp(forced.logProbs[i] as number)) < 1e-7, `step ${s.t}: ${s.p} vs exp(${forced.logProbs[i]})`);
      assertClose(s.weights as number[], Array.from(forced.attention[i] as Float32Array), 1e-6, `step ${s.t} weights`);
      assert.ok(s.top.some((w) => w.chosen && w.token === s.token), 'the forced word is listed, marked');
      assert.ok(s.rank >= 1);
      assert.equal(s.rank === 1, s.top[0]?.token === s.token);
    });
    // The training loss is a separate code path (all steps at once): its NLL is minus the sum of log p.
    const nll = withTape(new Tape({ record: false }), () => t.model.loss(batch).nll);
    assert.ok(Math.abs(nll + ex.score) < 1e-3, `nll ${nll} vs score ${ex.score}`);
    assert.ok(Math.abs(ex.score - ex.steps.reduce((a, s) => a + Math.log(s.p), 0)) < 1e-6);
  }
});

test('the fixed-context baseline: no scores or weights, the same context at every step, and it is the encoder\'s final state', () => {
  const t = tiny('none');
  const ex = t.explain('the black cat ate the mouse', { target: 'le chat noir a mangé la souris' });
  assert.equal(ex.attention, 'none');
  assert.ok(ex.fixed_context !== null);
  assert.equal(ex.steps.length, 8);
  for (const s of ex.steps) {
    assert.equal(s.scores, null);
    assert.equal(s.weights, null);
    assert.equal(s.fixed_context, true);
    assert.deepEqual(s.context, ex.fixed_context);
    assert.equal(s.context_check, 0);
  }
  // Different states, one context.
  assert.notDeepEqual(ex.steps[0]?.state, ex.steps[1]?.state);
});

test('--beam: the best hypothesis of the beam search is explained, with the weights the search recorded', () => {
  const t = tiny('additive', 21);
  let differs = 0;
  for (const sentence of SENTENCES) {
    const [tr] = t.translate([sentence], { beam: 4, nbest: 1 });
    const best = tr?.hypotheses[0];
    assert.ok(best);
    const ex = t.explain(sentence, { beam: 4 });
    assert.equal(ex.mode, 'beam');
    assert.deepEqual(ex.target_tokens, best.targetTokens);
    ex.steps.forEach((s, i) => assertClose(s.weights as number[], best.weights[i] as number[], 1e-6, `step ${s.t}`));
    if (t.explain(sentence).text !== ex.text) differs++;
  }
  assert.ok(differs >= 1, 'beam and greedy agree on every sentence: the test would not see beam ignored');
});

test('--step K keeps step K only; bad requests name the problem', () => {
  const t = tiny('additive');
  const all = t.explain('the black cat ate the mouse', { top: 2 });
  const one = t.explain('the black cat ate the mouse', { top: 2, step: 2 });
  assert.deepEqual(one.steps, [all.steps[1]]);
  assert.deepEqual(one.target_tokens, all.target_tokens);
  assert.throws(() => t.explain('the black cat', { step: 99 }), /step 99 does not exist: this translation has steps 1\.\.\d+/);
  assert.throws(() => t.explain('   '), /no words/);
  assert.throws(() => t.explain('the cat', { target: 'le chat', beam: 3 }), /either a target to force or a beam size/);
  assert.throws(() => t.explain('the cat', { layer: 1 }), /only a Transformer/);
  const unknown = t.explain('the zebra', { target: 'le zèbre' });
  assert.deepEqual(unknown.unknown, ['zebra']);
  assert.deepEqual(unknown.unknown_target, ['zèbre']);
  const two = openTranslator([t.checkpoints[0], t.checkpoints[0]].map((c) => ({ name: 'x', contents: c?.contents })));
  assert.ok(two.model instanceof Ensemble);
  assert.throws(() => two.explain('the cat'), /not an ensemble/);
});

test('Transformer: per layer and head, softmax(scores) = weights and each head\'s context is Σ α_i v_i; the chosen layer\'s head mean is translate\'s weights', () => {
  const model = new Transformer(tinyTransformerConfig({ heads: 2, decoderLayers: 2 }), 3);
  const word = (lang: string): TextPipeline => new TextPipeline({ kind: 'word', lowercase: true, lang });
  const tokenizer = pipelinesToJSON({ src: word('en'), tgt: word('fr') });
  const t = openTranslator({ name: 'tiny-transformer', contents: checkpointOf(model, { tokenizer }) }, { replaceUnknowns: false });
  const sentences = ['s0 s1 s2 s3', 's4 s5', 's6 s1 s1 s2 s0'];
  for (const sentence of sentences) {
    const [tr] = t.translate([sentence], { beam: 1 });
    const best = tr?.hypotheses[0];
    assert.ok(best);
    const ex: ExplainResult = t.explain(sentence);
    assert.equal(ex.layer, model.alignmentLayer);
    assert.deepEqual(ex.target_tokens, best.targetTokens);
    assert.equal(ex.encoder_states, null);
    ex.steps.forEach((s, i) => {
      assert.equal(s.scores, null);
      assertClose(s.weights as number[], best.weights[i] as number[], 1e-6, `step ${s.t}`);
      const heads = s.heads ?? [];
      assert.equal(heads.length, 2 * 2);
      for (const h of heads) {
        assertClose(h.weights, softmax(h.scores), 1e-6, `layer ${h.layer} head ${h.head}`);
        assert.ok(h.context_check < 1e-5, `layer ${h.layer} head ${h.head}: ${h.context_check}`);
        assert.ok(Math.abs(h.weight_sum - 1) < 1e-5);
      }
      const mine = heads.filter((h) => h.layer === ex.layer);
      assertClose(s.weights as number[], (s.weights as number[]).map((_, j) => mine.reduce((a, h) => a + (h.weights[j] as number), 0) / mine.length), 1e-9, 'head mean');
      assert.equal(s.context.length, 8);
    });
    const other = t.explain(sentence, { layer: 1 - model.alignmentLayer });
    assert.equal(other.layer, 1 - model.alignmentLayer);
    assert.notDeepEqual(other.steps[0]?.weights, ex.steps[0]?.weights);
  }
  assert.throws(() => t.explain('s0', { layer: 5 }), /layer must be 0\.\.1/);
});
