/** `attnmt explain` end to end: the readable steps, --json (what the library gives), refusals. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import type { ExplainResult } from '../../src/translate/explain.js';
import { openTranslator } from '../../src/translate/open.js';
import { writeTinyCheckpoint } from '../helpers/tiny-checkpoint.js';
import { tempDir } from '../helpers/tmp.js';
import { NODE_FLAGS } from '../helpers/node.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const SENTENCE = 'the black cat ate the mouse';

// The library computes with the engine the command uses (WebAssembly GEMM, one thread), so the numbers are the same.
before(() => initEngine({ threads: 1 }));
after(() => shutdownEngine());

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [...NODE_FLAGS, MAIN, 'explain', '--threads', '1', ...args], { encoding: 'utf8', timeout: 60000 });
}

test('explain prints every step (scores, weights summing to 1, context check, top words) and --json writes what the library gives', () => {
  const dir = tempDir('explain-cli');
  const model = writeTinyCheckpoint({ dir, seed: 4 });
  const out = path.join(dir, 'steps.json');
  const r = run(['--model', model, '--top', '3', '--json', out, ...SENTENCE.split(' ')]);
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(fs.readFileSync(out, 'utf8')) as ExplainResult;
  const expected = openTranslator(model).explain(SENTENCE, { top: 3 });
  assert.deepEqual(json, JSON.parse(JSON.stringify(expected)));
  assert.deepEqual(Object.keys(json.steps[0] ?? {}).filter((k) => ['t', 'token', 'scores', 'weights', 'context_norm', 'context_check', 'state_norm', 'top'].includes(k)).length, 8);
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], SENTENCE);
  assert.equal(lines[1], `-> ${json.text}`);
  for (const s of json.steps) {
    assert.ok(lines.some((l) => l.startsWith(`step ${s.t}: reads "${s.input}", produces "${s.token}"  p = ${s.p.toFixed(4)}`)), `step ${s.t} header`);
  }
  // Step 1's table: one row per source token with its score and weight as printed.
  const first = json.steps[0] as ExplainResult['steps'][number];
  const start = lines.findIndex((l) => l.startsWith('step 1:'));
  const table = lines.slice(start + 3, start + 3 + json.source_tokens.length);
  table.forEach((row, i) => {
    const cells = row.trim().split(/\s+/);
    assert.equal(cells[0], json.source_tokens[i]);
    assert.equal(Number(cells[1]), Number((first.scores?.[i] ?? NaN).toFixed(3)));
    assert.equal(Number(cells[2]), Number((first.weights?.[i] ?? NaN).toFixed(4)));
  });
  assert.equal(r.stdout.match(/sum α = {3}1\.000000/g)?.length, json.steps.length);
  assert.equal(r.stdout.match(/check: max \|c - Σ α_i h_i\| = \d\.\de-\d+/g)?.length, json.steps.length);
  assert.match(r.stdout, new RegExp(`next word: ▶ ${first.token} `));
  assert.match(r.stdout, new RegExp(`wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
});

test('explain --target shows each forced word\'s probability and rank; a baseline says its context is fixed; --step keeps one step', () => {
  const dir = tempDir('explain-cli-forced');
  const attention = writeTinyCheckpoint({ dir, seed: 4 });
  const forced = run(['--model', attention, '--target', 'le chat noir a mangé la souris', ...SENTENCE.split(' ')]);
  assert.equal(forced.status, 0, forced.stderr);
  const ex = openTranslator(attention).explain(SENTENCE, { target: 'le chat noir a mangé la souris' });
  for (const s of ex.steps) assert.ok(forced.stdout.includes(`step ${s.t}: reads "${s.input}", forced to "${s.token}"  p = ${s.p.toFixed(4)}  (rank ${s.rank})`));
  assert.match(forced.stdout, /forced translation \(teacher forcing\)/);

  const baseline = writeTinyCheckpoint({ dir, seed: 4, attention: 'none' });
  const b = run(['--model', baseline, '--step', '2', ...SENTENCE.split(' ')]);
  assert.equal(b.status, 0, b.stderr);
  assert.match(b.stdout, /context c_2 = the encoder's final state: FIXED, the same vector at every step/);
  assert.doesNotMatch(b.stdout, /step 1:|step 3:|weight α/);
});

test('explain refuses bad requests with one line and exit code 1', () => {
  const dir = tempDir('explain-cli-bad');
  const model = writeTinyCheckpoint({ dir });
  const cases: [string[], RegExp][] = [
    [['--model', model, '--step', '99', 'the', 'cat'], /^error: step 99 does not exist: this translation has steps 1\.\.\d+\n$/],
    [['--model', model, '--target', 'le chat', '--beam', '3', 'the', 'cat'], /^error: --beam: give --target or --beam, not both/],
    [['--model', path.join(dir, 'missing.safetensors'), 'the', 'cat'], /^error: .*missing\.safetensors/],
    [['--model', model, '--top', '0', 'the', 'cat'], /expected a positive integer/],
    [['--model', model, '--layer', '1', 'the', 'cat'], /^error: layer: only a Transformer/],
  ];
  for (const [args, message] of cases) {
    const r = run(args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
});
