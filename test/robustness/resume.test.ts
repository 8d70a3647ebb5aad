/**
 * Resume never trains or overwrites the wrong model: a checkpoint whose model differs from the config is refused
 * (naming the keys) unless --checkpoint-config; changed training settings are logged; a SIGKILL during a save
 * leaves a loadable last checkpoint, and the resumed run removes the stale temporary file and logs each
 * validation step once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadCheckpoint } from '../../src/model/checkpoint-file.js';
import { tempDir } from '../helpers/tmp.js';
import { assertUnchanged, assertUserError, MAIN, PAIRS, runCli, snapshot, TIME_LIMIT_MS, trainedRun } from './helpers.js';
import { NODE_FLAGS } from '../helpers/node.js';

test('resume with a different model config is refused naming the keys, and writes nothing; --checkpoint-config trains the checkpoint\'s model', () => {
  const dir = tempDir('robust-resume');
  const flags = trainedRun(dir);
  const before = snapshot(dir);
  const r = runCli(['train', ...flags, '--max-steps', '6', '--resume', '--set', 'model.hidden=32', '--set', 'model.rnn=lstm'], { cwd: dir });
  assertUserError(r, /^error: run\/last\.safetensors: cannot resume: the checkpoint's model differs from the config: model\.rnn "gru" in the checkpoint, "lstm" in the config; model\.hidden 16 in the checkpoint, 32 in the config; pass --checkpoint-config/, 'resume --set model.hidden');
  assertUnchanged(before, snapshot(dir), 'refused resume');

  const ok = runCli(['train', ...flags, '--max-steps', '6', '--resume', '--set', 'model.hidden=32', '--checkpoint-config', '--set', 'training.lr=0.002'], { cwd: dir });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /training the checkpoint's model \(--checkpoint-config\); the config's model section differs: model\.hidden 16 in the checkpoint, 32 in the config/);
  assert.match(ok.stderr, /settings changed since the checkpoint: .*training\.lr 0\.001 -> 0\.002/);
  const c = loadCheckpoint(path.join(dir, 'run', 'last.safetensors'));
  assert.equal(c.config.arch !== 'transformer' && c.config.hidden, 16);
  assert.equal((c.metadata?.['training'] as { step: number }).step, 6);
  // The new rate replaced the checkpoint's: step 6 validated at lr 0.002.
  const lines = fs.readFileSync(path.join(dir, 'run', 'valid.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { step: number; lr: number });
  assert.deepEqual(lines.map((l) => [l.step, l.lr]), [[2, 0.001], [4, 0.001], [6, 0.002]]);
});

test('resuming a finished run says so and changes nothing', () => {
  const dir = tempDir('robust-resume');
  const flags = trainedRun(dir);
  const before = snapshot(dir);
  const r = runCli(['train', ...flags, '--max-steps', '4', '--resume'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /resume: the run already finished at step 4 \(training\.maxSteps 4 reached; raise it to train further\); nothing to do, nothing written/);
  assertUnchanged(before, snapshot(dir), 'finished run');
});

test('--overwrite starts over in a used outDir, deleting the old run\'s checkpoints and log', () => {
  const dir = tempDir('robust-resume');
  const flags = trainedRun(dir);
  const r = runCli(['train', ...flags, '--max-steps', '2', '--overwrite'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const lines = fs.readFileSync(path.join(dir, 'run', 'valid.jsonl'), 'utf8').trim().split('\n');
  assert.equal(lines.length, 1, 'the old run\'s validations are gone');
  assert.equal((loadCheckpoint(path.join(dir, 'run', 'last.safetensors')).metadata?.['training'] as { step: number }).step, 2);
});

test('SIGKILL during a save: last.safetensors still loads; the resume removes the stale temporary file and logs every step once', async () => {
  const dir = tempDir('robust-kill');
  fs.writeFileSync(path.join(dir, 'train.tsv'), `${PAIRS.join('\n')}\n`);
  // A model big enough (~5 MB checkpoint with Adam's moments) that a save takes a while, validated and saved every step.
  const flags = ['--train', 'train.tsv', '--dev', 'train.tsv', '--out', 'run', '--threads', '1', '--set', 'model.hidden=256', '--set', 'model.embedding=128',
    '--set', 'training.batchSize=8', '--set', 'training.validEvery=1', '--set', 'training.maxEpochs=0', '--set', 'data.devLimit=1'];
  const child = spawn(process.execPath, [...NODE_FLAGS, MAIN, 'train', ...flags, '--max-steps', '1000'], { cwd: dir, stdio: 'ignore' });
  const runDir = path.join(dir, 'run');
  const temps = (): string[] => (fs.existsSync(runDir) ? fs.readdirSync(runDir).filter((f) => f.includes('.tmp-')) : []);
  // Kill the moment a temporary checkpoint exists (mid-save) once a first last.safetensors is there.
  const t0 = Date.now();
  let caughtMidSave = false;
  while (Date.now() - t0 < TIME_LIMIT_MS) {
    if (fs.existsSync(path.join(runDir, 'last.safetensors')) && temps().some((f) => f.endsWith('safetensors.tmp-' + child.pid))) {
      caughtMidSave = true;
      break;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.ok(fs.existsSync(path.join(runDir, 'last.safetensors')), 'no checkpoint within the time limit');
  if (!caughtMidSave || temps().length === 0) {
    // The kill landed between saves: leave what a kill inside writeFileSync leaves (half a file, the dead pid).
    const half = fs.readFileSync(path.join(runDir, 'last.safetensors')).subarray(0, 1000);
    fs.writeFileSync(path.join(runDir, `last.safetensors.tmp-${child.pid}`), half);
  }
  assert.ok(temps().length > 0);
  const killedAt = (loadCheckpoint(path.join(runDir, 'last.safetensors')).metadata?.['training'] as { step: number }).step;
  assert.ok(killedAt >= 1);

  const r = runCli(['train', ...flags, '--max-steps', String(killedAt + 2), '--resume'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /removed 1 temporary file an interrupted save left: .*\.tmp-\d+/);
  assert.deepEqual(temps(), []);
  const steps = fs.readFileSync(path.join(runDir, 'valid.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
  assert.deepEqual(steps, Array.from({ length: killedAt + 2 }, (_, i) => i + 1), 'each step validated and logged once, in order');
});

test('resuming another directory\'s checkpoint into an outDir that holds a different run is refused naming what differs; --overwrite replaces that run', () => {
  const dir = tempDir('robust-resume');
  const flags = trainedRun(dir);
  // A second, different run (a bigger model, another seed) in other/.
  const other = runCli(['train', ...flags, '--out', 'other', '--seed', '4', '--set', 'model.hidden=32', '--max-steps', '2'], { cwd: dir });
  assert.equal(other.code, 0, other.stderr);
  const before = snapshot(dir);
  const r = runCli(['train', ...flags, '--set', 'model.hidden=32', '--max-steps', '6', '--resume', 'other/last.safetensors'], { cwd: dir });
  assertUserError(r, /^error: run: holds another run than other\/last\.safetensors \(best\.safetensors, last\.safetensors, valid\.jsonl, config\.json; the checkpoint was trained in other; model\.hidden 32 in the checkpoint, 16 in run\/config\.json; .*training\.seed 4 in the checkpoint, 3 in run\/config\.json.*\): resuming would overwrite it; resume into another --out, or pass --overwrite to delete its checkpoints and log and continue other\/last\.safetensors in run$/, 'resume other/ into run/');
  assertUnchanged(before, snapshot(dir), 'refused resume into another run');

  // The run's own checkpoint, even copied elsewhere, still resumes into it (it was trained there).
  fs.copyFileSync(path.join(dir, 'run', 'last.safetensors'), path.join(dir, 'backup.safetensors'));
  const own = runCli(['train', ...flags, '--max-steps', '6', '--resume', 'backup.safetensors'], { cwd: dir });
  assert.equal(own.code, 0, own.stderr);

  // --resume with --overwrite: the run in run/ is deleted and other/'s continues there.
  const ok = runCli(['train', ...flags, '--set', 'model.hidden=32', '--max-steps', '4', '--resume', 'other/last.safetensors', '--overwrite'], { cwd: dir });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /overwrite: deleted .*last\.safetensors.* of the previous run in run/);
  const c = loadCheckpoint(path.join(dir, 'run', 'last.safetensors'));
  assert.equal(c.config.arch !== 'transformer' && c.config.hidden, 32);
  assert.equal((c.metadata?.['training'] as { step: number }).step, 4);
  const steps = fs.readFileSync(path.join(dir, 'run', 'valid.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { step: number }).step);
  assert.deepEqual(steps, [4], 'only the continued run\'s validations');

  // --overwrite cannot delete the checkpoint it would resume.
  const self = runCli(['train', ...flags, '--max-steps', '8', '--resume', '--overwrite'], { cwd: dir });
  assertUserError(self, /^error: --overwrite starts a new run: it cannot be combined with --resume of a checkpoint in the outDir$/, '--resume --overwrite');
});
