/**
 * A training that diverges (a learning rate far too high: NaN loss or gradients, weights blown up) stops at once with
 * one line naming the step and what to try, exits 1, and leaves the checkpoints and valid.jsonl of the last good
 * step as they were: nothing NaN or blown up is ever written over them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadCheckpoint } from '../../src/model/checkpoint-file.js';
import { tempDir } from '../helpers/tmp.js';
import { assertUnchanged, assertUserError, runCli, snapshot, trainedRun } from './helpers.js';

/** Every file of the run directory but config.json (which records each invocation's settings). */
function runFiles(dir: string): Map<string, string> {
  const s = snapshot(path.join(dir, 'run'));
  s.delete('config.json');
  return s;
}

function assertGoodCheckpoints(dir: string, step: number): void {
  for (const name of ['last.safetensors', 'best.safetensors']) {
    const c = loadCheckpoint(path.join(dir, 'run', name));
    assert.equal((c.metadata?.['training'] as { step: number }).step, step, name);
    for (const [p, t] of c.params) assert.ok(t.data.every(Number.isFinite), `${name}: ${p} holds a non-finite weight`);
  }
}

test('a resumed run at lr 1e30 stops with one line naming the step, exit 1; the step-4 checkpoints and log are untouched', () => {
  const dir = tempDir('robust-diverge');
  const flags = trainedRun(dir);
  const before = runFiles(dir);
  const r = runCli(['train', ...flags, '--max-steps', '12', '--resume', '--set', 'training.lr=1e30'], { cwd: dir });
  assertUserError(r, /^error: step \d+: the (training loss|gradient norm) is (NaN|-?Infinity): the training diverged; try a lower training\.lr \(now 1e\+30\) or a lower training\.clipNorm \(now 5\) \(the checkpoints in run are those of step 4, untouched\)$/, 'lr 1e30');
  assertUnchanged(before, runFiles(dir), 'diverged run');
  assertGoodCheckpoints(dir, 4);

  // Without clipping the message proposes it.
  const noClip = runCli(['train', ...flags, '--max-steps', '12', '--resume', '--set', 'training.lr=1e30', '--set', 'training.clipNorm=0'], { cwd: dir });
  assertUserError(noClip, /: the training diverged; try a lower training\.lr \(now 1e\+30\) or gradient clipping \(training\.clipNorm, now 0: off; try 1\)/, 'lr 1e30, clipNorm 0');
  assertUnchanged(before, runFiles(dir), 'diverged run without clipping');
});

test('validating every step: the blown-up weights of the first update at lr 1e30 are not validated into the log nor saved', () => {
  const dir = tempDir('robust-diverge');
  const flags = trainedRun(dir, ['--set', 'training.validEvery=1']);
  const before = runFiles(dir);
  const r = runCli(['train', ...flags, '--max-steps', '12', '--resume', '--set', 'training.lr=1e30'], { cwd: dir });
  // Step 5's update leaves finite weights of ~1e30 whose dev loss is beyond exp's range: caught before anything is written.
  assertUserError(r, /^error: step 5: the validation loss is [\d.e+]+ nats a token \(perplexity Infinity\): the training diverged; .*\(the checkpoints in run are those of step 4, untouched\)$/, 'validEvery 1');
  assertUnchanged(before, runFiles(dir), 'diverged run validating every step');
  assertGoodCheckpoints(dir, 4);
});

test('a new run that diverges before its first checkpoint says that none was written', () => {
  const dir = tempDir('robust-diverge');
  const flags = trainedRun(dir);
  const r = runCli(['train', ...flags, '--out', 'fresh', '--max-steps', '12', '--set', 'training.lr=1e30', '--set', 'training.warmup=0'], { cwd: dir });
  assertUserError(r, /^error: step \d+: .*: the training diverged; try a lower training\.lr \(now 1e\+30\).* \(no checkpoint written\)$/, 'new run');
});
