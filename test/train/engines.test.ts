/**
 * What users run: training, exact resume and decoding on the WebAssembly engine (plain and relaxed-SIMD
 * builds, one thread and the two-thread pool), not only on the TypeScript reference GEMM the other model
 * tests use. A failed engine load fails the test.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeSourceBatch } from '../../src/data/batch.js';
import { beamSearch } from '../../src/decode/beam.js';
import { greedy } from '../../src/decode/greedy.js';
import { enginePoolJobs, initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { loadCheckpoint } from '../../src/model/checkpoint-file.js';
import { loadModel } from '../../src/model/model.js';
import { configWithDefaults, type Config } from '../../src/train/config.js';
import { train } from '../../src/train/trainer.js';
import { tempDir } from '../helpers/tmp.js';

/** Sizes where some GEMMs (the input projections of a 10-sentence batch) are big enough for the two-thread pool. */
const PAIRS = [
  ['the cat', 'le chat'], ['the dog', 'le chien'], ['the black cat', 'le chat noir'], ['the black dog', 'le chien noir'],
  ['the white cat', 'le chat blanc'], ['the mouse', 'la souris'], ['the white mouse', 'la souris blanche'],
  ['the cat ate the mouse', 'le chat a mangé la souris'], ['the dog ate', 'le chien a mangé'], ['a cat', 'un chat'],
];

function config(dir: string, training: Record<string, unknown>, model: Record<string, unknown> = {}): Config {
  const train = path.join(dir, 'train.tsv');
  const dev = path.join(dir, 'dev.tsv');
  fs.writeFileSync(train, PAIRS.map(([e, f]) => `${e}\t${f}\n`).join(''));
  fs.writeFileSync(dev, PAIRS.slice(0, 5).map(([e, f]) => `${e}\t${f}\n`).join(''));
  return configWithDefaults({
    data: { train, dev },
    model: model['arch'] === 'transformer' ? model : { embedding: 64, hidden: 128, attentionHidden: 64, ...model },
    training: { batchSize: 10, lr: 0.01, dropout: 0.3, maxEpochs: 0, validEvery: 3, logEvery: 1000, threads: 1, outDir: path.join(dir, 'out'), ...training },
  });
}

const quiet = { log: () => {}, progress: false };

function sameBytes(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Train 8 steps straight and 6 + 2 resumed (stopping on a validation step, so both runs validate at the same steps); the two last checkpoints must hold the same bytes. */
async function resumeIsExact(model: Record<string, unknown>): Promise<void> {
  const straight = tempDir('engines');
  await train({ config: config(straight, { maxSteps: 8 }, model), ...quiet });
  const split = tempDir('engines');
  await train({ config: config(split, { maxSteps: 6 }, model), ...quiet });
  await train({ config: config(split, { maxSteps: 8 }, model), resume: path.join(split, 'out', 'last.safetensors'), ...quiet });
  const a = loadCheckpoint(path.join(straight, 'out', 'last.safetensors'));
  const b = loadCheckpoint(path.join(split, 'out', 'last.safetensors'));
  for (const [name, t] of [...a.params, ...(a.extraTensors ?? new Map())]) {
    const u = b.params.get(name) ?? b.extraTensors?.get(name);
    assert.ok(u !== undefined && sameBytes(t.data, u.data), `${name} differs between the straight and the resumed run`);
  }
  // The validation log of the resumed run is the straight run's, line for line (steps 3 and 6, no duplicates).
  const steps = (dir: string): number[] => fs.readFileSync(path.join(dir, 'out', 'valid.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
  assert.deepEqual(steps(split), steps(straight));
}

const ENGINES = [
  { threads: 1, relaxed: false, backend: 'wasm-simd' },
  { threads: 2, relaxed: false, backend: 'wasm-simd' },
  { threads: 1, relaxed: true, backend: 'wasm-relaxed-simd' },
  { threads: 2, relaxed: true, backend: 'wasm-relaxed-simd' },
] as const;

for (const e of ENGINES) {
  describe(`on the WebAssembly engine: ${e.backend}, ${e.threads} thread(s)`, () => {
    after(() => shutdownEngine());

    it('loads (no silent fallback to the TypeScript GEMM)', async () => {
      await shutdownEngine();
      const info = await initEngine({ threads: e.threads, relaxed: e.relaxed });
      assert.deepEqual(info, { backend: e.backend, threads: e.threads });
    });

    it('resumes an RNN training bit for bit', async () => {
      const jobs = enginePoolJobs();
      await resumeIsExact({});
      if (e.threads > 1) assert.ok(enginePoolJobs() > jobs, 'no GEMM went through the worker pool');
    });

    if (e.threads === 2 && e.relaxed) {
      it('resumes a Transformer training bit for bit', () => resumeIsExact({ arch: 'transformer', encoderLayers: 1, decoderLayers: 1, dModel: 16, heads: 2, ffn: 32 }));
    }

    it('decodes: beam search with beam 1 is greedy, and beams give finite scores', async () => {
      const dir = tempDir('engines');
      await train({ config: config(dir, { maxSteps: 30, validEvery: 30 }), ...quiet });
      const model = loadModel(loadCheckpoint(path.join(dir, 'out', 'last.safetensors')));
      const batch = makeSourceBatch([[4, 5, 6], [7, 4], [5, 6, 7, 8, 4]]);
      const g = greedy(model, batch, { maxLenRatio: 2 });
      const b1 = beamSearch(model, batch, { beamSize: 1, maxLenRatio: 2 });
      b1.forEach((list, i) => assert.deepEqual(list[0]?.tokens, g[i]?.tokens, `sentence ${i}`));
      const b4 = beamSearch(model, batch, { beamSize: 4, maxLenRatio: 2 });
      for (const list of b4) for (const h of list) assert.ok(Number.isFinite(h.score), 'a beam score is not finite');
    });
  });
}
