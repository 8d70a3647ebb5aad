import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCheckpoint } from '../../src/model/checkpoint-file.js';
import { tempDir } from '../helpers/tmp.js';
import { NODE_FLAGS } from '../helpers/node.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const FIXTURE = fileURLToPath(new URL('../../../test/fixtures/rnn-v1.safetensors', import.meta.url));
const TINY_CONFIG = fileURLToPath(new URL('../../../configs/tiny.yaml', import.meta.url));

function run(args: string[], input = ''): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, ...args], { input, encoding: 'utf8', timeout: 120000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test('attnmt quantize writes an int8 checkpoint that translate loads; bad uses exit 1 with one line', () => {
  const dir = tempDir('quantize');
  const input = path.join(dir, 'float.safetensors');
  fs.copyFileSync(FIXTURE, input);
  const output = path.join(dir, 'int8.safetensors');
  const r = run(['quantize', '--input', input, '--output', output]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^quantized 14 of 24 tensors to int8: .*float\.safetensors 0\.\d+ MB -> .*int8\.safetensors 0\.\d+ MB\n$/);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['float.safetensors', 'int8.safetensors'], 'no temporary file left');
  const q = loadCheckpoint(output);
  assert.equal(q.quantized?.size, 14);
  assert.ok(fs.statSync(output).size < fs.statSync(input).size / 2);

  const sentences = 'the boy saw the dog\nmy sister ate the cake\n';
  const floatOut = run(['translate', '--model', input], sentences);
  const int8Out = run(['translate', '--model', output], sentences);
  assert.equal(int8Out.code, 0, int8Out.stderr);
  assert.equal(int8Out.stdout.trim().split('\n').length, 2);
  assert.equal(int8Out.stdout, floatOut.stdout, 'these two sentences translate the same');

  const again = run(['quantize', '--input', output, '--output', path.join(dir, 'again.safetensors')]);
  assert.equal(again.code, 1);
  assert.equal(again.stderr, `error: ${output}: is already an int8 checkpoint\n`);
  const same = run(['quantize', '--input', input, '--output', input]);
  assert.equal(same.code, 1);
  assert.match(same.stderr, /^error: --output: .* is the input checkpoint/);
  const missing = run(['quantize', '--input', path.join(dir, 'none.safetensors'), '--output', path.join(dir, 'x.safetensors')]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, `error: ${path.join(dir, 'none.safetensors')}: no such model file\n`);

  // Training refuses an int8 checkpoint (its weights are rounded; optimizer state is gone).
  const train = run(['train', TINY_CONFIG, '--resume', output, '--out', path.join(dir, 'run'), '--max-steps', '1']);
  assert.equal(train.code, 1);
  assert.match(train.stderr, /error: .*int8\.safetensors: is an int8 checkpoint \(attnmt quantize\), for decoding only: resume training from the float32 checkpoint/);
  const avg = run(['average', '--output', path.join(dir, 'avg.safetensors'), output, input]);
  assert.equal(avg.code, 1);
  assert.match(avg.stderr, /is an int8 checkpoint: average the float32 checkpoints, then quantize the result/);
});
