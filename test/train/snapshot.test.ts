import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configWithDefaults, type Config } from '../../src/train/config.js';
import { parseSnapshotFile, SnapshotFileError } from '../../src/train/snapshot.js';
import { train } from '../../src/train/trainer.js';
import { tempDir } from '../helpers/tmp.js';

const PAIRS = [
  ['the cat', 'le chat'],
  ['the dog', 'le chien'],
  ['the black cat', 'le chat noir'],
  ['the black dog', 'le chien noir'],
  ['the white cat', 'le chat blanc'],
  ['the mouse', 'la souris'],
  ['the cat ate the mouse', 'le chat a mangé la souris'],
  ['a cat', 'un chat'],
];
const SENTENCE = 'the black cat ate the mouse';
const quiet = { log: () => {}, progress: false };

function config(dir: string, maxSteps: number): Config {
  const file = path.join(dir, 'train.tsv');
  fs.writeFileSync(file, PAIRS.map(([e, f]) => `${e}\t${f}\n`).join(''));
  return configWithDefaults({
    data: { train: file },
    model: { embedding: 8, hidden: 8, attentionHidden: 8 },
    training: { batchSize: 3, lr: 0.01, dropout: 0.3, maxEpochs: 0, maxSteps, validEvery: 4, logEvery: 1000, threads: 1, outDir: path.join(dir, 'out') },
  });
}

function snapshotsOf(dir: string): ReturnType<typeof parseSnapshotFile> {
  const file = path.join(dir, 'out', 'snapshots.json');
  return parseSnapshotFile(fs.readFileSync(file, 'utf8'), file);
}

test('--snapshot-every: snapshots at step 0, every N steps and at the last step, each a full attention matrix of the sentence', async () => {
  const dir = tempDir('snapshot');
  await train({ config: config(dir, 12), snapshot: { sentence: SENTENCE, every: 5 }, ...quiet });
  const f = snapshotsOf(dir);
  assert.equal(f.sentence, SENTENCE);
  assert.equal(f.every, 5);
  assert.deepEqual(f.snapshots.map((s) => s.step), [0, 5, 10, 12]);
  assert.equal(f.snapshots[0]?.loss, null);
  for (const s of f.snapshots) {
    assert.deepEqual(s.source_tokens, ['the', 'black', 'cat', 'ate', 'the', 'mouse', '</s>']);
    assert.equal(s.weights.length, s.target_tokens.length);
    for (const row of s.weights) {
      assert.equal(row.length, 7);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-3, `row sums to 1: ${row.join(' ')}`);
    }
  }
  assert.ok(typeof f.snapshots[1]?.loss === 'number' && f.snapshots[1].loss > 0);
  assert.notDeepEqual(f.snapshots[0]?.weights, f.snapshots[2]?.weights, 'training changes the attention');
  assert.ok(!fs.readdirSync(path.join(dir, 'out')).some((n) => n.includes('.tmp')), 'no temporary file left');
});

test('snapshots do not change training, and a resumed run continues the file with the same snapshots as a straight run', async () => {
  const plain = tempDir('snapshot-plain');
  const a = await train({ config: config(plain, 20), ...quiet });
  const straight = tempDir('snapshot-straight');
  const b = await train({ config: config(straight, 20), snapshot: { sentence: SENTENCE, every: 5 }, ...quiet });
  for (const [name, p] of a.model.parameters()) assert.deepEqual(b.model.parameters().get(name)?.data, p.data, `${name} is the same with snapshots`);

  const split = tempDir('snapshot-split');
  await train({ config: config(split, 12), snapshot: { sentence: SENTENCE, every: 5 }, ...quiet });
  await train({ config: config(split, 20), resume: path.join(split, 'out', 'last.safetensors'), snapshot: { sentence: SENTENCE, every: 5 }, ...quiet });
  const s = snapshotsOf(straight).snapshots;
  const r = snapshotsOf(split).snapshots;
  // The first run's last snapshot (step 12) stays; every other one matches the straight run's.
  assert.deepEqual(s.map((x) => x.step), [0, 5, 10, 15, 20]);
  assert.deepEqual(r.map((x) => x.step), [0, 5, 10, 12, 15, 20]);
  const resumed = r.filter((x) => x.step !== 12);
  assert.deepEqual(resumed.map((x) => [x.text, x.weights]), s.map((x) => [x.text, x.weights]));
});

test('a bad snapshots file is an error naming the file and the key', () => {
  assert.throws(() => parseSnapshotFile('{', 's.json'), (e: Error) => e instanceof SnapshotFileError && /^s\.json: not valid JSON/.test(e.message));
  assert.throws(() => parseSnapshotFile('{"sentence": "x", "every": 5}', 's.json'), /: s\.json: snapshots: /);
  const bad = { sentence: 'a b', every: 1, snapshots: [{ step: 0, seconds: 0, loss: null, text: 'x', source_tokens: ['a', 'b'], target_tokens: ['x'], weights: [[1]] }] };
  assert.throws(() => parseSnapshotFile(JSON.stringify(bad), 's.json'), /: s\.json: snapshots\.0\.weights: expected 1 rows of 2 weights/);
});
