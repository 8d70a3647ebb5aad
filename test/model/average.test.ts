import assert from 'node:assert/strict';
import { test } from 'node:test';
import { averageCheckpoints } from '../../src/model/average.js';
import { CheckpointError, type CheckpointContents } from '../../src/model/checkpoint.js';
import { Seq2Seq } from '../../src/model/seq2seq.js';
import { checkpointOf, testVocab, tinyConfig } from './helpers.js';

function contents(seed: number, step: number, overrides: Partial<CheckpointContents> = {}): CheckpointContents {
  return checkpointOf(new Seq2Seq(tinyConfig(), seed), { metadata: { training: { step }, adamStep: step, decoding: { beam: 3 } }, ...overrides });
}

const named = (c: CheckpointContents, name: string) => ({ name, load: () => c });

test('the average is the element-wise mean of every parameter; optimizer state and training state are dropped', () => {
  const cs = [contents(1, 100), contents(2, 200), contents(3, 300)];
  const avg = averageCheckpoints(cs.map((c, i) => named(c, `c${i}.safetensors`)));
  assert.equal(avg.params.size, cs[0]?.params.size);
  for (const [n, t] of avg.params) {
    const parts = cs.map((c) => c.params.get(n)?.data as Float32Array);
    assert.deepEqual(t.shape, cs[0]?.params.get(n)?.shape, n);
    for (let i = 0; i < t.size; i++) {
      const want = ((parts[0]?.[i] ?? NaN) + (parts[1]?.[i] ?? NaN) + (parts[2]?.[i] ?? NaN)) / 3;
      assert.ok(Math.abs((t.data[i] as number) - want) <= 1e-7 * Math.max(1, Math.abs(want)), `${n}[${i}]: ${t.data[i]} vs ${want}`);
    }
  }
  assert.equal(avg.extraTensors, undefined);
  assert.deepEqual(avg.metadata, {
    decoding: { beam: 3 },
    averaged: [
      { checkpoint: 'c0.safetensors', step: 100 },
      { checkpoint: 'c1.safetensors', step: 200 },
      { checkpoint: 'c2.safetensors', step: 300 },
    ],
  });
  // The inputs are not modified.
  assert.notDeepEqual(cs[0]?.params.get('decoder.embedding.weight')?.toArray(), avg.params.get('decoder.embedding.weight')?.toArray());
});

test('averaging a checkpoint with itself gives it back exactly', () => {
  const c = contents(4, 10);
  const avg = averageCheckpoints([named(c, 'a'), named(c, 'b')]);
  for (const [n, t] of c.params) assert.deepEqual(avg.params.get(n)?.toArray(), t.toArray(), n);
});

test('checkpoints of different models are refused, naming the file and the difference', () => {
  const a = contents(1, 1);
  const other = new Seq2Seq(tinyConfig({ hidden: 10 }), 1);
  const b = contents(1, 2, { config: other.config, params: other.parameters() });
  assert.throws(
    () => averageCheckpoints([named(a, 'a.safetensors'), named(b, 'b.safetensors')]),
    (e: unknown) => e instanceof CheckpointError && /^b\.safetensors: cannot be averaged with a\.safetensors: the model configs differ$/.test(e.message),
  );
  const c = contents(1, 2, { tgtVocab: testVocab(12, 'x') });
  assert.throws(() => averageCheckpoints([named(a, 'a'), named(c, 'c')]), /^CheckpointError: c: .*target vocabularies differ/);
  const d = contents(1, 2, { tokenizer: { kind: 'word', lowercase: false } });
  assert.throws(() => averageCheckpoints([named(a, 'a'), named(d, 'd')]), /d: .*tokenizers differ/);
  assert.throws(() => averageCheckpoints([]), /no checkpoints/);
});
