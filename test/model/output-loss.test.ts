// Model level: a training step's loss and every parameter gradient with the fused output layer +
// cross-entropy (engine/fused/output-ce.ts on the WebAssembly engine and its pool) against the same
// step with the kernel removed, i.e. linear then crossEntropy as both models computed their loss before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { installedOutputCeKernel, setOutputCeKernel } from '../../src/engine/fused/output-ce.js';
import { Rng } from '../../src/engine/random.js';
import { Tape, withTape } from '../../src/engine/tensor.js';
import type { TrainableModel } from '../../src/model/model.js';
import { Seq2Seq } from '../../src/model/seq2seq.js';
import { Transformer } from '../../src/model/transformer/model.js';
import { randomBatch, tinyConfig } from './helpers.js';
import { tinyTransformerConfig } from './transformer/helpers.js';

const V = 700;

const models: Array<[string, () => TrainableModel]> = [
  ['Transformer, tied target embedding', () => new Transformer(tinyTransformerConfig({ dModel: 16, ffn: 24, tgtVocabSize: V }), 5)],
  ['Transformer, separate output layer', () => new Transformer(tinyTransformerConfig({ dModel: 16, ffn: 24, tgtVocabSize: V, tieTargetEmbeddings: false }), 6)],
  ['RNN, separate output layer', () => new Seq2Seq(tinyConfig({ tgtVocabSize: V }), 7)],
  ['RNN, tied target embedding', () => new Seq2Seq(tinyConfig({ tgtVocabSize: V, embedding: 8, tieTargetEmbeddings: true }), 8)],
];

/** One step's loss (label smoothing 0.1, scaled by 1/ntokens as training does) and a copy of every parameter's gradient. */
function step(model: TrainableModel, seed: number): { loss: number; nll: number; ntokens: number; grads: Map<string, Float32Array> } {
  const batch = randomBatch(new Rng(seed), [5, 3, 7, 4, 6], [6, 2, 5, 7, 3], 11, V);
  for (const p of model.parameters().values()) p.zeroGrad();
  const tape = new Tape();
  const r = withTape(tape, () => model.loss(batch, { labelSmoothing: 0.1 }));
  tape.backward(r.loss, 1 / r.ntokens);
  const grads = new Map([...model.parameters()].map(([name, p]) => [name, Float32Array.from(p.grad ?? [])]));
  const out = { loss: r.loss.item(), nll: r.nll, ntokens: r.ntokens, grads };
  tape.reset();
  return out;
}

for (const [label, make] of models) {
  test(`${label}: a training step's loss and gradients are those of linear then crossEntropy`, async () => {
    await initEngine({ threads: 4 });
    try {
      const kernel = installedOutputCeKernel();
      assert.ok(kernel !== null);
      let calls = 0;
      setOutputCeKernel((args) => (calls++, kernel(args)));
      const model = make();
      model.setTraining(true);
      const fused = step(model, 3);
      assert.equal(calls, 1, 'the fused kernel ran');
      setOutputCeKernel(null);
      const before = step(model, 3);
      assert.equal(fused.ntokens, before.ntokens);
      assert.ok(Math.abs(fused.loss - before.loss) <= 1e-5 * before.loss, `loss ${fused.loss} vs ${before.loss}`);
      assert.ok(Math.abs(fused.nll - before.nll) <= 1e-5 * before.nll, `nll ${fused.nll} vs ${before.nll}`);
      assert.equal(fused.grads.size, before.grads.size);
      // A gradient that is zero in exact arithmetic (a key bias: softmax ignores a shift) is float noise
      // in both; such tiny gradients are held to 1e-7 of the model's largest gradient entry instead.
      let global = 0;
      for (const g of before.grads.values()) for (const x of g) global = Math.max(global, Math.abs(x));
      for (const [name, g] of before.grads) {
        const f = fused.grads.get(name) as Float32Array;
        let big = 0;
        let err = 0;
        for (let i = 0; i < g.length; i++) {
          big = Math.max(big, Math.abs(g[i] as number));
          err = Math.max(err, Math.abs((f[i] as number) - (g[i] as number)));
        }
        assert.ok(big > 0, `${name}: no gradient`);
        assert.ok(err <= Math.max(1e-5 * big, 1e-7 * global), `${name}: largest difference ${err} of largest entry ${big} (model's largest ${global})`);
      }
    } finally {
      await shutdownEngine();
    }
  });
}
