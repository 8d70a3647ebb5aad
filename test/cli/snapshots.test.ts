import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/tmp.js';
import { NODE_FLAGS } from '../helpers/node.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, ...args], { encoding: 'utf8', timeout: 120000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const PAIRS = 'the cat\tle chat\nthe black cat\tle chat noir\nthe mouse\tla souris\nthe cat ate the mouse\tle chat a mangé la souris\n';

test('train --snapshot-sentence/--snapshot-every, then attention --animate draws one frame per snapshot', () => {
  const dir = tempDir('cli-snap');
  const data = path.join(dir, 'train.tsv');
  fs.writeFileSync(data, PAIRS);
  const out = path.join(dir, 'run');
  const t = run(['train', '--train', data, '--out', out, '--max-steps', '7', '--threads', '1', '--set', 'model.hidden=8', '--set', 'model.embedding=8', '--set', 'model.attentionHidden=8', '--set', 'training.batchSize=2',
    '--snapshot-sentence', 'the black cat ate the mouse', '--snapshot-every', '3']);
  assert.equal(t.code, 0, t.stderr);
  const snaps = JSON.parse(fs.readFileSync(path.join(out, 'snapshots.json'), 'utf8')) as { snapshots: Array<{ step: number }> };
  assert.deepEqual(snaps.snapshots.map((s) => s.step), [0, 3, 6, 7]);

  const svg = path.join(dir, 'forming.svg');
  const a = run(['attention', '--animate', path.join(out, 'snapshots.json'), '--svg', svg]);
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, /wrote .*forming\.svg: 4 frames, steps 0 to 7/);
  assert.equal((fs.readFileSync(svg, 'utf8').match(/<g class="anim-frame"/g) ?? []).length, 4);
});

test('snapshot and --animate mistakes are one-line errors (exit 1)', () => {
  const dir = tempDir('cli-snap-err');
  const data = path.join(dir, 'train.tsv');
  fs.writeFileSync(data, PAIRS);
  const checks: Array<[string[], RegExp]> = [
    [['train', '--train', data, '--out', dir, '--snapshot-every', '3'], /--snapshot-every: give the sentence with --snapshot-sentence/],
    [['attention', '--animate', path.join(dir, 'missing.json'), '--svg', path.join(dir, 'x.svg')], /missing\.json: cannot read the snapshots file \(ENOENT\)/],
    [['attention', '--animate', data, '--svg', path.join(dir, 'x.svg')], /train\.tsv: not valid JSON/],
    [['attention', '--animate', data], /--animate: give the output file with --svg/],
    [['attention', 'the cat'], /give the checkpoint with --model/],
  ];
  for (const [args, message] of checks) {
    const r = run(args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
});
