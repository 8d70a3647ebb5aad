import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '../../src/model/checkpoint-file.js';
import type { RnnModelConfig } from '../../src/model/config.js';
import { tempDir } from '../helpers/tmp.js';
import { writeTinyCheckpoint } from '../helpers/tiny-checkpoint.js';
import { NODE_FLAGS } from '../helpers/node.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function run(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, ...args], { input: input ?? '', encoding: 'utf8', timeout: 60000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function tmpDir(): string {
  return tempDir('cli');
}

/** A tiny random-weight checkpoint whose vocabularies cover a few words. */
function tinyCheckpoint(dir: string, attention: RnnModelConfig['attention']): string {
  return writeTinyCheckpoint({ dir, attention, seed: 3, hidden: 8, en: ['the black cat ate the mouse'], fr: ['le chat noir a mangé la souris'] });
}

test('--help of the command and of every sub-command exits 0', () => {
  const top = run(['--help']);
  assert.equal(top.code, 0);
  for (const cmd of ['train', 'translate', 'eval', 'align', 'attention', 'average', 'quantize', 'score', 'serve', 'demo', 'data']) {
    assert.match(top.stdout, new RegExp(`\\b${cmd}\\b`), `${cmd} listed in --help`);
    const r = run([cmd, '--help']);
    assert.equal(r.code, 0, `${cmd} --help: ${r.stderr}`);
    assert.match(r.stdout, /Usage: /);
  }
});

test('usage errors exit 1', () => {
  assert.equal(run(['no-such-command']).code, 1);
  const r = run(['translate']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /--model/);
  assert.equal(run(['translate', '--model', 'm.safetensors', '--beam', 'zero']).code, 1);
});

test('a missing config file exits 1 with one line naming it', () => {
  const r = run(['train', '/nonexistent/config.yaml']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), 'error: /nonexistent/config.yaml: cannot read config file (no such file)');
});

test('a bad config exits 1 naming the file and the key, without a stack trace', () => {
  const dir = tmpDir();
  const file = path.join(dir, 'bad.yaml');
  fs.writeFileSync(file, 'data:\n  train: t.tsv\nmodel:\n  rnn: rnn\n  hiden: 3\n');
  const r = run(['train', file]);
  assert.equal(r.code, 1);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0] as string, new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
  assert.match(r.stderr, /model\.rnn: must be one of "gru", "lstm"/);
  assert.match(r.stderr, /unknown key "model\.hiden"/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('malformed training data exits 1 naming the file and line', () => {
  const dir = tmpDir();
  const data = path.join(dir, 'train.tsv');
  fs.writeFileSync(data, 'the cat\tle chat\nthe dog\tle chien\nno tab on this line\nthe bird\tl\'oiseau\n');
  const r = run(['train', '--train', data, '--out', path.join(dir, 'out'), '--threads', '1']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`error: ${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: expected at least 2 tab-separated columns`));
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('missing or corrupt model files exit 1', () => {
  const dir = tmpDir();
  const r1 = run(['translate', '--model', path.join(dir, 'none.safetensors')], 'the cat\n');
  assert.equal(r1.code, 1);
  assert.match(r1.stderr, /none\.safetensors: no such model file/);
  const junk = path.join(dir, 'junk.safetensors');
  fs.writeFileSync(junk, 'this is not a checkpoint');
  const r2 = run(['translate', '--model', junk], 'the cat\n');
  assert.equal(r2.code, 1, r2.stderr);
  assert.match(r2.stderr, /junk\.safetensors/);
  assert.doesNotMatch(r2.stderr, /\n\s+at /);
  const r3 = run(['translate', '--model', tinyCheckpoint(dir, 'additive'), '--input', path.join(dir, 'missing.txt')]);
  assert.equal(r3.code, 1);
  assert.match(r3.stderr, /missing\.txt: no such input file/);
});

test('translate writes one line per input and --attention JSON with T x S rows summing to 1', () => {
  const dir = tmpDir();
  const model = tinyCheckpoint(dir, 'additive');
  const input = path.join(dir, 'in.txt');
  fs.writeFileSync(input, 'the black cat ate the mouse\nthe cat\nthe zebra ate\n');
  const out = path.join(dir, 'out.txt');
  const json = path.join(dir, 'attn.json');
  const r = run(['translate', '--model', model, '--input', input, '--output', out, '--attention', json, '--beam', '2', '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fs.readFileSync(out, 'utf8').split('\n').length, 4); // 3 lines and the final newline
  const records = JSON.parse(fs.readFileSync(json, 'utf8')) as Array<{ source_tokens: string[]; target_tokens: string[]; weights: number[][] }>;
  assert.equal(records.length, 3);
  assert.deepEqual(records[0]?.source_tokens, ['the', 'black', 'cat', 'ate', 'the', 'mouse', '</s>']);
  assert.deepEqual(records[2]?.source_tokens, ['the', 'zebra', 'ate', '</s>']);
  for (const rec of records) {
    assert.equal(rec.weights.length, rec.target_tokens.length);
    for (const row of rec.weights) {
      assert.equal(row.length, rec.source_tokens.length);
      assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-4, `row sums to ${row.reduce((a, b) => a + b, 0)}`);
    }
  }
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
});

test('translate --nbest prints N "i ||| text ||| score" lines per sentence; the baseline has no weights', () => {
  const dir = tmpDir();
  const r = run(['translate', '--model', tinyCheckpoint(dir, 'additive'), '--beam', '3', '--nbest', '2', '--threads', '1'], 'the cat\nthe mouse\n');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 4);
  assert.match(lines[0] as string, /^0 \|\|\| .* \|\|\| -?\d+\.\d{4}$/);
  assert.match(lines[3] as string, /^1 \|\|\| /);
  const json = path.join(dir, 'base.json');
  const b = run(['translate', '--model', tinyCheckpoint(dir, 'none'), '--attention', json, '--threads', '1'], 'the cat\n');
  assert.equal(b.code, 0, b.stderr);
  const recs = JSON.parse(fs.readFileSync(json, 'utf8')) as Array<{ weights: number[][] }>;
  assert.deepEqual(recs[0]?.weights, []);
});

test('average writes the mean of the checkpoints and refuses a missing file or a different model', () => {
  const dir = tmpDir();
  const a = writeTinyCheckpoint({ dir: path.join(dir), attention: 'additive', seed: 1 });
  const bDir = path.join(dir, 'b');
  fs.mkdirSync(bDir);
  const b = writeTinyCheckpoint({ dir: bDir, attention: 'additive', seed: 2 });
  const out = path.join(dir, 'avg.safetensors');
  const r = run(['average', '--output', out, a, b]);
  assert.equal(r.code, 0, r.stderr);
  const [ca, cb, avg] = [a, b, out].map((f) => loadCheckpoint(f).params.get('decoder.embedding.weight')?.data as Float32Array);
  for (let i = 0; i < (avg?.length ?? 0); i++) assert.ok(Math.abs((avg?.[i] ?? NaN) - ((ca?.[i] ?? NaN) + (cb?.[i] ?? NaN)) / 2) < 1e-7);
  assert.ok((avg?.length ?? 0) > 0);
  const translated = run(['translate', '--model', out, '--beam', '1'], 'the black cat\n');
  assert.equal(translated.code, 0, translated.stderr);
  assert.equal(translated.stdout.split('\n').length, 2);

  const missing = run(['average', '--output', out, a, path.join(dir, 'nope.safetensors')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope\.safetensors: no such file or directory/);
  const cDir = path.join(dir, 'c');
  fs.mkdirSync(cDir);
  const c = writeTinyCheckpoint({ dir: cDir, attention: 'additive', seed: 1, hidden: 10 });
  const different = run(['average', '--output', out, a, c]);
  assert.equal(different.code, 1);
  assert.equal(different.stderr.trim(), `error: ${c}: cannot be averaged with ${a}: the model configs differ`);
  assert.equal(run(['average', '--output', out, a]).code, 1);
});

test('translate --model A B decodes with the ensemble; models with other vocabularies are refused by name', () => {
  const dir = tmpDir();
  const a = writeTinyCheckpoint({ dir, attention: 'additive', seed: 1 });
  const b = writeTinyCheckpoint({ dir, attention: 'general', seed: 2 });
  const input = 'the black cat\nthe white dog sees the cat\n';
  const single = run(['translate', '--model', a, '--beam', '2', '--nbest', '2'], input);
  const pair = run(['translate', '--model', a, b, '--beam', '2', '--nbest', '2', '--attention', path.join(dir, 'att.json')], input);
  assert.equal(pair.code, 0, pair.stderr);
  assert.equal(pair.stdout.trim().split('\n').length, 4);
  assert.notEqual(pair.stdout, single.stdout, 'the second model changes the scores');
  const att = JSON.parse(fs.readFileSync(path.join(dir, 'att.json'), 'utf8')) as Array<{ weights: number[][] }>;
  for (const s of att) for (const row of s.weights) assert.ok(Math.abs(row.reduce((x, y) => x + y, 0) - 1) < 1e-4);

  const otherDir = path.join(dir, 'other');
  fs.mkdirSync(otherDir);
  const c = writeTinyCheckpoint({ dir: otherDir, attention: 'additive', seed: 1, fr: ['un autre vocabulaire'] });
  const refused = run(['translate', '--model', a, c], input);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr.trim(), `error: ${c}: cannot decode in an ensemble with ${a}: the target vocabularies differ`);
});

test('translate: a blank input line gives a blank output line; unknown source words are reported once on stderr', () => {
  const dir = tmpDir();
  const model = tinyCheckpoint(dir, 'additive');
  const r = run(['translate', '--model', model, '--threads', '1'], 'the black cat\n\nthe zebra and the okapi ate\n   \nthe cat\n');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines.length, 6); // 5 lines and the final newline
  assert.equal(lines[1], '');
  assert.equal(lines[3], '');
  const warnings = r.stderr.trim().split('\n');
  assert.equal(warnings.length, 1, r.stderr);
  assert.equal(warnings[0], 'warning: 3 of 11 source tokens (27.3%) are not in the model\'s vocabulary and were read as <unk> (e.g. "zebra", "and", "okapi")');
  const clean = run(['translate', '--model', model, '--threads', '1'], 'the black cat\n');
  assert.equal(clean.stderr, '');
  assert.equal(clean.stdout, `${lines[0]}\n`, 'blank lines around a sentence do not change its translation');
});

test('attention --png writes only the PNG; without --svg or --png nothing is written', () => {
  const dir = tmpDir();
  const model = tinyCheckpoint(dir, 'additive');
  const png = path.join(dir, 'cat.png');
  const r = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, 'attention', '--model', model, '--png', png, 'the', 'black', 'cat'], { cwd: dir, encoding: 'utf8', timeout: 60000 });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(fs.statSync(png).size > 0);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.svg')), []);
  const t = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, 'attention', '--model', model, 'the', 'cat'], { cwd: dir, encoding: 'utf8', timeout: 60000 });
  assert.equal(t.status, 0, t.stderr);
  assert.match(t.stdout, /^the cat\n-> /);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['cat.png', path.basename(model)].sort());
});

test('train without a config or --train prints its usage and exits 1', () => {
  const r = run(['train']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^Usage: attnmt train \[options\] \[config\]/);
  assert.match(r.stderr, /--train <file>/);
});

test('every command reports errors with the same "error: " prefix (score too)', () => {
  const dir = tmpDir();
  const ref = path.join(dir, 'ref.txt');
  fs.writeFileSync(ref, 'a b c\n');
  const r = run(['score', ref], 'x\ny\n');
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `error: hypotheses (stdin) have 2 lines but ${ref} has 1 lines\n`);
  const t = run(['translate', '--model', path.join(dir, 'no.safetensors')], 'x\n');
  assert.match(t.stderr, /^error: /);
});

test('translate --nbest larger than --beam is refused, naming both', () => {
  const dir = tmpDir();
  const r = run(['translate', '--model', tinyCheckpoint(dir, 'additive'), '--beam', '2', '--nbest', '3'], 'the cat\n');
  assert.equal(r.code, 1);
  assert.equal(r.stderr, 'error: nbest (3) cannot be larger than beam (2)\n');
});
