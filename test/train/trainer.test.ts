import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCheckpoint } from '../../src/model/checkpoint-file.js';
import { configWithDefaults, type Config } from '../../src/train/config.js';
import { makeBatch, type Batch } from '../../src/data/batch.js';
import { Rng } from '../../src/engine/random.js';
import { Tape } from '../../src/engine/tensor.js';
import { parseTransformerConfig } from '../../src/model/config.js';
import { Transformer } from '../../src/model/transformer/model.js';
import { accumulateGradients, train } from '../../src/train/trainer.js';
import { tempDir } from '../helpers/tmp.js';

const PAIRS = [
  ['the cat', 'le chat'],
  ['the dog', 'le chien'],
  ['the black cat', 'le chat noir'],
  ['the black dog', 'le chien noir'],
  ['the white cat', 'le chat blanc'],
  ['the mouse', 'la souris'],
  ['the white mouse', 'la souris blanche'],
  ['the cat ate the mouse', 'le chat a mangé la souris'],
  ['the dog ate', 'le chien a mangé'],
  ['a cat', 'un chat'],
];

function corpus(dir: string): { train: string; dev: string } {
  const train = path.join(dir, 'train.tsv');
  const dev = path.join(dir, 'dev.tsv');
  fs.writeFileSync(train, PAIRS.map(([e, f]) => `${e}\t${f}\n`).join(''));
  fs.writeFileSync(dev, `${PAIRS.slice(0, 4).map(([e, f]) => `${e}\t${f}\n`).join('')}the cat\tun chat\n`);
  return { train, dev };
}

function tinyConfig(dir: string, training: Record<string, unknown>): Config {
  const { train: t, dev } = corpus(dir);
  return configWithDefaults({
    data: { train: t, dev },
    model: { embedding: 8, hidden: 8, attentionHidden: 8 },
    training: { batchSize: 3, lr: 0.01, dropout: 0.3, maxEpochs: 0, validEvery: 4, logEvery: 1000, threads: 1, outDir: path.join(dir, 'out'), ...training },
  });
}

const quiet = { log: () => {}, progress: false };

function tmpDir(): string {
  return tempDir('trainer');
}

test('resuming from the last checkpoint gives bitwise the same weights as training straight through', async () => {
  const straight = tmpDir();
  const full = await train({ config: tinyConfig(straight, { maxSteps: 10, validEvery: 3 }), ...quiet });
  assert.equal(full.steps, 10);

  const split = tmpDir();
  const first = await train({ config: tinyConfig(split, { maxSteps: 6, validEvery: 3 }), ...quiet });
  assert.equal(first.steps, 6);
  const resumedConfig = tinyConfig(split, { maxSteps: 10, validEvery: 3 });
  const second = await train({ config: resumedConfig, resume: path.join(split, 'out', 'last.safetensors'), ...quiet });
  assert.equal(second.steps, 10);

  const a = loadCheckpoint(path.join(straight, 'out', 'last.safetensors'));
  const b = loadCheckpoint(path.join(split, 'out', 'last.safetensors'));
  assert.equal(a.params.size, b.params.size);
  for (const [name, t] of a.params) {
    const u = b.params.get(name);
    assert.ok(u !== undefined, name);
    assert.deepEqual(Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength), Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength), `parameter ${name} differs`);
  }
  // Adam's moments are part of the checkpoint too.
  for (const [name, t] of a.extraTensors ?? new Map()) {
    assert.deepEqual(Array.from(b.extraTensors?.get(name)?.data ?? []), Array.from(t.data), `optimizer tensor ${name} differs`);
  }
  const training = b.metadata?.['training'] as { step: number };
  assert.equal(training.step, 10);
});

test('training keeps last and best checkpoints and logs every validation as JSONL', async () => {
  const dir = tmpDir();
  const result = await train({ config: tinyConfig(dir, { maxSteps: 8 }), ...quiet });
  const out = path.join(dir, 'out');
  assert.ok(fs.existsSync(path.join(out, 'last.safetensors')));
  assert.ok(fs.existsSync(path.join(out, 'best.safetensors')));
  assert.ok(fs.existsSync(path.join(out, 'config.json')));
  assert.deepEqual(fs.readdirSync(out).filter((f) => f.includes('.tmp-')), []);
  const lines = fs.readFileSync(path.join(out, 'valid.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number | boolean>);
  assert.deepEqual(lines.map((l) => l['step']), [4, 8]);
  for (const l of lines) {
    assert.ok(typeof l['bleu'] === 'number' && typeof l['loss'] === 'number');
    assert.ok(Math.abs((l['perplexity'] as number) - Math.exp(l['loss'] as number)) < 1e-6);
  }
  const bestStep = lines.find((l) => l['best'] === true && l['step'] === result.bestStep);
  assert.ok(bestStep !== undefined, 'the best validation is marked in the log');
  const best = loadCheckpoint(path.join(out, 'best.safetensors'));
  assert.equal((best.metadata?.['training'] as { step: number }).step, result.bestStep);
  assert.equal(result.stopReason, 'maxSteps');
});

test('keepBest false and keepLast false write no checkpoints', async () => {
  const dir = tmpDir();
  await train({ config: tinyConfig(dir, { maxSteps: 4, keepBest: false, keepLast: false }), ...quiet });
  assert.deepEqual(fs.readdirSync(path.join(dir, 'out')).filter((f) => f.endsWith('.safetensors')), []);
});

test('the training clock counts wall time once, however often it validates (maxTime is honest)', async () => {
  const dir = tmpDir();
  const t0 = performance.now();
  await train({ config: tinyConfig(dir, { maxSteps: 12, validEvery: 1 }), ...quiet });
  const wall = (performance.now() - t0) / 1000;
  const training = loadCheckpoint(path.join(dir, 'out', 'last.safetensors')).metadata?.['training'] as { seconds: number };
  assert.ok(training.seconds > 0, `recorded ${training.seconds} s`);
  assert.ok(training.seconds <= wall, `recorded ${training.seconds} s of training in ${wall.toFixed(3)} s of wall time`);
});

test('keepCheckpoints N keeps the checkpoints of the last N validations, and they average into a working model', async () => {
  const dir = tmpDir();
  await train({ config: tinyConfig(dir, { maxSteps: 12, validEvery: 3, keepCheckpoints: 2 }), ...quiet });
  const out = path.join(dir, 'out');
  const kept = fs.readdirSync(out).filter((f) => f.startsWith('step-')).sort();
  assert.deepEqual(kept, ['step-12.safetensors', 'step-9.safetensors']);
  const c9 = loadCheckpoint(path.join(out, 'step-9.safetensors'));
  assert.equal((c9.metadata?.['training'] as { step: number }).step, 9);
  // The trainer's decoding settings travel with the checkpoint (translate uses them).
  assert.deepEqual((c9.metadata?.['decoding'] as { beam: number }).beam, 5);
  const last = loadCheckpoint(path.join(out, 'last.safetensors'));
  const c12 = loadCheckpoint(path.join(out, 'step-12.safetensors'));
  for (const [n, t] of last.params) assert.deepEqual(c12.params.get(n)?.toArray(), t.toArray(), n);
});

test('lrSchedule linear lowers the rate step by step towards minLr at the end of the budget', async () => {
  const dir = tmpDir();
  await train({ config: tinyConfig(dir, { maxSteps: 10, validEvery: 5, lr: 0.01, minLr: 0.001, lrSchedule: 'linear' }), ...quiet });
  const lines = fs.readFileSync(path.join(dir, 'out', 'valid.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; lr: number });
  // The rate of step s (1-based) is minLr + (lr - minLr) * (1 - (s - 1) / maxSteps).
  assert.deepEqual(lines.map((l) => l.step), [5, 10]);
  assert.ok(Math.abs((lines[0]?.lr ?? NaN) - (0.001 + 0.009 * 0.6)) < 1e-12, String(lines[0]?.lr));
  assert.ok(Math.abs((lines[1]?.lr ?? NaN) - (0.001 + 0.009 * 0.1)) < 1e-12, String(lines[1]?.lr));
});

test('lrSchedule linear without any budget is a config error naming the key', () => {
  assert.throws(() => tinyConfig(tmpDir(), { maxEpochs: 0, maxSteps: 0, maxTime: 0, lrSchedule: 'linear' }), /training\.lrSchedule: "linear" needs a budget/);
});

function tinyTransformer(dir: string, training: Record<string, unknown>, data: Record<string, unknown> = {}, model: Record<string, unknown> = {}): Config {
  const { train: t, dev } = corpus(dir);
  return configWithDefaults({
    data: { train: t, dev, ...data },
    model: { arch: 'transformer', encoderLayers: 1, decoderLayers: 2, dModel: 8, heads: 2, ffn: 16, ...model },
    training: { batchSize: 3, lr: 0.01, dropout: 0.1, maxEpochs: 0, validEvery: 4, logEvery: 1000, threads: 1, outDir: path.join(dir, 'out'), ...training },
  });
}

test('a Transformer trains (inverse-sqrt with warmup), checkpoints and resumes bitwise like training straight through', async () => {
  const training = { lrSchedule: 'inverse-sqrt', warmup: 4, validEvery: 3 };
  const straight = tmpDir();
  const full = await train({ config: tinyTransformer(straight, { ...training, maxSteps: 8 }), ...quiet });
  assert.equal(full.steps, 8);
  const lines = fs.readFileSync(path.join(straight, 'out', 'valid.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; lr: number });
  // Step 3 is in the warmup (3/4 of lr); step 6 is past it (lr · sqrt(4 / 6)).
  assert.ok(Math.abs((lines[0]?.lr ?? NaN) - 0.01 * 0.75) < 1e-12, String(lines[0]?.lr));
  assert.ok(Math.abs((lines[1]?.lr ?? NaN) - 0.01 * Math.sqrt(4 / 6)) < 1e-12, String(lines[1]?.lr));
  const split = tmpDir();
  await train({ config: tinyTransformer(split, { ...training, maxSteps: 6 }), ...quiet });
  await train({ config: tinyTransformer(split, { ...training, maxSteps: 8 }), resume: path.join(split, 'out', 'last.safetensors'), ...quiet });
  const a = loadCheckpoint(path.join(straight, 'out', 'last.safetensors'));
  const b = loadCheckpoint(path.join(split, 'out', 'last.safetensors'));
  assert.equal(a.config.arch, 'transformer');
  for (const [name, t] of a.params) assert.deepEqual(Array.from(b.params.get(name)?.data ?? []), Array.from(t.data), `parameter ${name} differs`);
});

test('accumulate N: the gradient of N batches is the token-mean gradient of their union', () => {
  const model = new Transformer(parseTransformerConfig({ arch: 'transformer', encoderLayers: 1, decoderLayers: 1, dModel: 8, heads: 2, ffn: 8, dropout: 0, srcVocabSize: 15, tgtVocabSize: 17 }), 3);
  const rng = new Rng(4);
  const pairs = [3, 1, 4, 2, 5].map((n) => ({ src: Array.from({ length: n }, () => 4 + rng.int(11)), tgt: Array.from({ length: 6 - n }, () => 4 + rng.int(13)) }));
  const parts = [makeBatch(pairs.slice(0, 2), [0, 1]), makeBatch(pairs.slice(2), [2, 3, 4])];
  const tape = new Tape();
  const gradients = (): Map<string, number[]> => new Map([...model.parameters()].map(([n, p]) => [n, Array.from(p.grad ?? [])]));
  const acc = accumulateGradients(model, tape, 2, () => parts.shift() as Batch, 0.1);
  const accumulated = gradients();
  const one = accumulateGradients(model, tape, 1, () => makeBatch(pairs, [0, 1, 2, 3, 4]), 0.1);
  assert.equal(acc.ntokens, one.ntokens);
  assert.ok(Math.abs(acc.nll - one.nll) < 1e-4);
  for (const [name, g] of gradients()) {
    const a = accumulated.get(name) as number[];
    g.forEach((x, i) => assert.ok(Math.abs(x - (a[i] as number)) < 1e-6, `${name}[${i}]: ${a[i]} accumulated vs ${x}`));
  }
  tape.reset();
});

test('a Transformer with all embeddings tied trains on one joint vocabulary; without data.jointVocab it is a config error', async () => {
  const dir = tmpDir();
  const result = await train({ config: tinyTransformer(dir, { maxSteps: 2 }, { jointVocab: true }, { tieAllEmbeddings: true }), ...quiet });
  assert.equal(result.steps, 2);
  const c = loadCheckpoint(path.join(dir, 'out', 'last.safetensors'));
  assert.deepEqual(c.srcVocab.tokens, c.tgtVocab.tokens);
  assert.ok(c.params.has('embedding.weight') && !c.params.has('encoder.embedding.weight'));
  assert.throws(() => tinyTransformer(tmpDir(), {}, {}, { tieAllEmbeddings: true }), /model\.tieAllEmbeddings: .*set data\.jointVocab: true/);
  assert.throws(() => tinyTransformer(tmpDir(), {}, {}, { heads: 3 }), /model\.heads: heads \(3\) must divide dModel \(8\)/);
});

test('maxEpochs stops after the last epoch even when an accumulated step crosses an epoch boundary', async () => {
  // 10 pairs in batches of 3 sentences: 4 batches an epoch; accumulate 3 crosses the boundary inside steps.
  const dir = tmpDir();
  const result = await train({ config: tinyConfig(dir, { maxEpochs: 2, maxSteps: 0, accumulate: 3, validEvery: 0 }), ...quiet });
  assert.equal(result.stopReason, 'maxEpochs');
  assert.equal(result.steps, 3, 'steps 1-3 draw batches 1-9: two epochs of 4 batches are done after step 3');
});

test('plateau decay comes after lrDecay.patience + 1 flat validations, early stopping after earlyStopping.patience, the same across a resume', async () => {
  // lr 1e-12: the weights move by about 1e-12, too little to change a greedy decode, so every validation's BLEU is the same.
  const training = { lr: 1e-12, minLr: 0, validMetric: 'bleu', validEvery: 1, maxSteps: 20, lrDecay: { factor: 0.5, patience: 2 }, earlyStopping: { patience: 4 } };
  const logOf = (dir: string): Array<{ step: number; lr: number; bleu: number; best: boolean }> =>
    fs.readFileSync(path.join(dir, 'out', 'valid.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; lr: number; bleu: number; best: boolean });

  const straight = tmpDir();
  const full = await train({ config: tinyConfig(straight, training), ...quiet });
  const log = logOf(straight);
  assert.ok(log.every((v) => v.bleu === log[0]?.bleu), 'precondition: the score never improves after the first validation');
  // Validation 1 is the best; 2 and 3 are flat (plateau 1, 2: not above patience 2); the 4th flat one (plateau 3 > 2)
  // halves the rate, which step 5 uses; step 5 is the 4th validation without improvement (sinceBest 4 >= 4): stop.
  assert.deepEqual(log.map((v) => v.step), [1, 2, 3, 4, 5]);
  assert.deepEqual(log.map((v) => v.best), [true, false, false, false, false]);
  assert.deepEqual(log.map((v) => v.lr), [1e-12, 1e-12, 1e-12, 1e-12, 5e-13]);
  assert.equal(full.stopReason, 'earlyStopping');
  assert.equal(full.steps, 5);

  const split = tmpDir();
  await train({ config: tinyConfig(split, { ...training, maxSteps: 3 }), ...quiet });
  const last = path.join(split, 'out', 'last.safetensors');
  const resumed = await train({ config: tinyConfig(split, training), resume: last, ...quiet });
  assert.equal(resumed.stopReason, 'earlyStopping');
  assert.equal(resumed.steps, 5);
  assert.deepEqual(logOf(split).map(({ step, lr, best }) => ({ step, lr, best })), log.map(({ step, lr, best }) => ({ step, lr, best })));

  // Resuming the finished run trains nothing and writes nothing.
  const bytes = fs.readFileSync(last);
  const mtime = fs.statSync(last).mtimeMs;
  const lines: string[] = [];
  const again = await train({ config: tinyConfig(split, training), resume: last, log: (l) => lines.push(l), progress: false });
  assert.equal(again.stopReason, 'earlyStopping');
  assert.equal(again.steps, 5);
  assert.ok(fs.readFileSync(last).equals(bytes) && fs.statSync(last).mtimeMs === mtime, 'last.safetensors was rewritten');
  assert.ok(lines.some((l) => /already finished at step 5 .*earlyStopping\.patience 4/.test(l)), lines.join('\n'));
});
