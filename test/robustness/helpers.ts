/**
 * Shared by the robustness tests: running the CLI as users do (a child process with a time limit), snapshots of
 * a directory (to assert that nothing was written or overwritten) and checkpoint surgery (headers rewritten the
 * way a corrupt or hostile file would have them).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_FLAGS } from '../helpers/node.js';

export const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Every command of the table must answer within this (a hang fails the test instead of blocking CI). */
export const TIME_LIMIT_MS = 60_000;

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export function runCli(args: readonly string[], opts: { input?: string | Buffer; cwd?: string } = {}): RunResult {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, ...args], { input: opts.input ?? '', encoding: 'utf8', timeout: TIME_LIMIT_MS, cwd: opts.cwd, maxBuffer: 1 << 26 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}

/** Exit 1 within the time limit, one `error: ...` line matching `message`, no stack trace. */
export function assertUserError(r: RunResult, message: RegExp, label: string): void {
  assert.equal(r.signal, null, `${label}: killed after ${TIME_LIMIT_MS} ms (a hang)`);
  const errLines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('engine: '));
  assert.equal(r.code, 1, `${label}: exit ${r.code}\n${r.stderr}`);
  assert.equal(errLines.filter((l) => l.startsWith('error: ')).length, 1, `${label}: expected one error line\n${r.stderr}`);
  const line = errLines[errLines.length - 1] as string;
  assert.match(line, /^error: /, `${label}: the error is not the last line\n${r.stderr}`);
  assert.match(line, message, `${label}: ${line}`);
  assert.doesNotMatch(r.stderr, /^\s+at |internal error/m, `${label}: stack trace\n${r.stderr}`);
}

/** A small parallel corpus the training tests write to train.tsv. */
export const PAIRS = [
  'the cat\tle chat', 'the dog\tle chien', 'the black cat\tle chat noir', 'the black dog\tle chien noir',
  'the white cat\tle chat blanc', 'the mouse\tla souris', 'the cat ate the mouse\tle chat a mangé la souris', 'a cat\tun chat',
];

/** A run directory with a corpus and a 4-step training (validations at steps 2 and 4); returns the train flags. */
export function trainedRun(dir: string, extra: string[] = []): string[] {
  fs.writeFileSync(path.join(dir, 'train.tsv'), `${PAIRS.join('\n')}\n`);
  const flags = ['--train', 'train.tsv', '--dev', 'train.tsv', '--out', 'run', '--threads', '1', '--seed', '3',
    '--set', 'model.hidden=16', '--set', 'model.embedding=8', '--set', 'model.attentionHidden=8', '--set', 'training.batchSize=4',
    '--set', 'training.validEvery=2', '--set', 'training.maxEpochs=0', ...extra];
  const r = runCli(['train', ...flags, '--max-steps', '4'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  return flags;
}

/** Name -> size and mtime of every file under `dir` (recursive). */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) {
        out.set(`${path.relative(dir, p)}/`, 'dir');
        walk(p);
      } else {
        const s = fs.statSync(p);
        out.set(path.relative(dir, p), `${s.size} ${s.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out;
}

export function assertUnchanged(before: Map<string, string>, after: Map<string, string>, label: string): void {
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k));
  assert.deepEqual(changed, [], `${label}: files written or changed: ${changed.join(', ')}`);
}

/** Header JSON and data of a safetensors file. */
export function readSafetensors(file: string): { header: Record<string, unknown>; data: Buffer } {
  const bytes = fs.readFileSync(file);
  const n = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>, data: bytes.subarray(8 + n) };
}

/** Write a safetensors file with this header (padded to 8 bytes) and data. */
export function writeSafetensors(file: string, header: Record<string, unknown>, data: Buffer): void {
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  fs.writeFileSync(file, Buffer.concat([len, Buffer.from(json, 'utf8'), data]));
}
