/**
 * Bad input as users give it, through the real command line: corpora, configs, checkpoints and flags. Every case
 * must exit 1 within the time limit with one `error:` line naming the right file, key or value, print no stack
 * trace, and write or overwrite nothing in the directory it runs in.
 */
import { before, describe, it } from 'node:test';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { writeTinyCheckpoint } from '../helpers/tiny-checkpoint.js';
import { assertUnchanged, assertUserError, readSafetensors, runCli, snapshot, writeSafetensors } from './helpers.js';

const PAIRS = ['the black cat\tle chat noir', 'the white dog\tle chien blanc', 'a small house\tune petite maison', 'i am hungry\tj\' ai faim'];
const SMALL_MODEL = ['--set', 'model.hidden=16', '--set', 'model.embedding=8', '--set', 'model.attentionHidden=8', '--threads', '1', '--max-steps', '2'];

interface Case {
  name: string;
  args: string[];
  /** stdin */
  input?: string | Buffer;
  message: RegExp;
}

let dir = '';

/** Checkpoint surgery on the tiny model: a copy whose header or data `edit` changes. */
function corrupt(name: string, edit: (header: Record<string, unknown>, data: Buffer) => void): void {
  const { header, data } = readSafetensors(path.join(dir, 'model.safetensors'));
  edit(header, data);
  writeSafetensors(path.join(dir, name), header, data);
}

function entry(header: Record<string, unknown>, name: string): { data_offsets: [number, number] } {
  return header[name] as { data_offsets: [number, number] };
}

before(() => {
  dir = tempDir('robust-cli');
  const w = (name: string, text: string | Buffer): void => fs.writeFileSync(path.join(dir, name), text);
  w('train.tsv', `${PAIRS.join('\n')}\n`);
  w('long-line.tsv', `${PAIRS[0]}\n${'a'.repeat(1_100_000)}\tb\n`);
  w('pairs.tsv', `${PAIRS[0]}\n`);
  w('gold.align', '0-0 1-x\n');
  w('empty.tsv', '');
  w('alias.yaml', 'data: &a\n  train: *a\n');
  w('proto.yaml', 'data:\n  train: train.tsv\n  __proto__:\n    polluted: 1\n');
  w('constructor.yaml', 'data:\n  train: train.tsv\ntraining:\n  constructor: 1\n');
  w('not-a-dir', 'a file where a directory is expected\n');
  writeTinyCheckpoint({ dir, name: 'model.safetensors', hidden: 8, en: [PAIRS[0]?.split('\t')[0] ?? ''], fr: [PAIRS[0]?.split('\t')[1] ?? ''] });
  corrupt('bad-config.safetensors', (h) => {
    const meta = h['__metadata__'] as Record<string, string>;
    meta['config'] = JSON.stringify({ ...(JSON.parse(meta['config'] as string) as object), hidden: 13, bidirectional: true });
  });
  corrupt('overlap.safetensors', (h) => {
    entry(h, 'encoder.rnn.l0.bias_hh').data_offsets = [...entry(h, 'encoder.rnn.l0.bias_ih').data_offsets];
  });
  corrupt('nan.safetensors', (h, data) => data.writeFloatLE(NaN, entry(h, 'decoder.output.bias').data_offsets[0] + 4));
  corrupt('inf.safetensors', (h, data) => data.writeFloatLE(-Infinity, entry(h, 'encoder.embedding.weight').data_offsets[0]));
  // A run directory holding a finished training (for "a new run would overwrite it").
  fs.mkdirSync(path.join(dir, 'used-run'));
  fs.copyFileSync(path.join(dir, 'model.safetensors'), path.join(dir, 'used-run', 'last.safetensors'));
});

const CASES: Case[] = [
  // Model sizes are checked before anything is allocated (100000 failed with a RangeError, 20000 hung).
  { name: 'hidden 100000', args: ['train', '--train', 'train.tsv', '--out', 'run', '--set', 'model.hidden=100000'], message: /^error: model: [\d.]+G parameters \(hidden 100000.*would need [\d.]+ GiB for the weights/ },
  { name: 'hidden 20000', args: ['train', '--train', 'train.tsv', '--out', 'run', '--set', 'model.hidden=20000'], message: /^error: model: [\d.]+G parameters \(hidden 20000.*GiB/ },
  { name: 'odd hidden, bidirectional', args: ['train', '--train', 'train.tsv', '--out', 'run', '--set', 'model.hidden=33'], message: /command line: model\.hidden: hidden \(33\) must be even when bidirectional/ },
  { name: 'tieTargetEmbeddings with embedding != hidden', args: ['train', '--train', 'train.tsv', '--out', 'run', '--set', 'model.embedding=8', '--set', 'model.hidden=16', '--set', 'model.tieTargetEmbeddings=true'], message: /model\.tieTargetEmbeddings: tieTargetEmbeddings needs embedding == hidden \(got embedding 8, hidden 16\)/ },
  // Configs and flags.
  { name: 'YAML alias inside its own anchor', args: ['train', 'alias.yaml'], message: /^error: alias\.yaml: key data\.train refers to itself/ },
  { name: '__proto__ key in YAML', args: ['train', 'proto.yaml'], message: /^error: proto\.yaml: key data\.__proto__ is not allowed/ },
  { name: 'constructor key in YAML', args: ['train', 'constructor.yaml'], message: /^error: constructor\.yaml: key training\.constructor is not allowed/ },
  { name: '--set __proto__.x', args: ['train', '--train', 'train.tsv', '--set', '__proto__.x=1'], message: /--set __proto__\.x: key "__proto__" is not allowed/ },
  { name: '--set model.prototype', args: ['train', '--train', 'train.tsv', '--set', 'model.prototype=1'], message: /key "prototype" is not allowed/ },
  { name: 'config file is /dev/zero', args: ['train', '/dev/zero'], message: /^error: \/dev\/zero: cannot read config file: it is a character device/ },
  { name: '--checkpoint-config without --resume', args: ['train', '--train', 'train.tsv', '--checkpoint-config'], message: /--checkpoint-config only applies with --resume/ },
  // Corpora and inputs: no hang, no unbounded read.
  { name: 'training corpus /dev/zero', args: ['train', '--train', '/dev/zero', '--out', 'run', ...SMALL_MODEL], message: /^error: \/dev\/zero: cannot read input file: it is a character device/ },
  { name: 'training corpus with a 1.1 MB line', args: ['train', '--train', 'long-line.tsv', '--out', 'run', ...SMALL_MODEL], message: /^error: long-line\.tsv:2: line longer than 1048576 bytes/ },
  { name: 'translate --input /dev/zero', args: ['translate', '--model', 'model.safetensors', '--input', '/dev/zero'], message: /^error: \/dev\/zero: cannot read input file: it is a character device/ },
  { name: 'translate: a 2 MB line on stdin', args: ['translate', '--model', 'model.safetensors'], input: Buffer.alloc(2_000_000, 0x61), message: /^error: stdin:1: line longer than 1048576 bytes/ },
  { name: 'align --gold with a malformed link', args: ['align', '--model', 'model.safetensors', '--input', 'pairs.tsv', '--gold', 'gold.align', '--threads', '1'], message: /^error: gold\.align:1: bad alignment link "1-x"/ },
  { name: 'eval on an empty test set', args: ['eval', '--model', 'model.safetensors', '--test', 'empty.tsv', '--threads', '1'], message: /^error: empty\.tsv: the test set is empty/ },
  // Checkpoints.
  { name: 'resume from a model without training state', args: ['train', '--train', 'train.tsv', '--out', 'run', '--resume', 'model.safetensors', ...SMALL_MODEL], message: /^error: model\.safetensors: cannot resume: the checkpoint has no training state/ },
  { name: 'invalid model config in the metadata', args: ['translate', '--model', 'bad-config.safetensors'], input: 'the cat\n', message: /^error: bad-config\.safetensors: __metadata__\.config: hidden \(13\) must be even when bidirectional/ },
  { name: 'overlapping tensor offsets', args: ['translate', '--model', 'overlap.safetensors'], input: 'the cat\n', message: /^error: overlap\.safetensors: tensors 'encoder\.rnn\.l0\.bias_i?h?h?' .* overlap/ },
  { name: 'NaN weights', args: ['translate', '--model', 'nan.safetensors'], input: 'the cat\n', message: /^error: nan\.safetensors: tensor 'decoder\.output\.bias' holds NaN at element 1/ },
  { name: '-Inf weights', args: ['eval', '--model', 'inf.safetensors', '--test', 'pairs.tsv'], message: /^error: inf\.safetensors: tensor 'encoder\.embedding\.weight' holds -Infinity at element 0/ },
  { name: 'model file /dev/zero', args: ['translate', '--model', '/dev/zero'], input: 'the cat\n', message: /^error: \/dev\/zero: cannot read model file: it is a character device/ },
  // Outputs: errors name the path the user gave, never the temporary file.
  { name: 'train --out /proc/nope', args: ['train', '--train', 'train.tsv', '--out', '/proc/nope', ...SMALL_MODEL], message: /^error: \/proc\/nope: cannot create the directory/ },
  { name: 'a new run into a used outDir', args: ['train', '--train', 'train.tsv', '--out', 'used-run', ...SMALL_MODEL], message: /^error: used-run: already holds a training run \(last\.safetensors\): continue it with --resume, or start over with --overwrite/ },
  { name: 'translate --output on a full disk (/dev/full)', args: ['translate', '--model', 'model.safetensors', '--output', '/dev/full'], input: 'the cat\n', message: /^error: \/dev\/full: cannot write: no space left on the device \(ENOSPC\)$/ },
  { name: 'translate --output in a missing directory', args: ['translate', '--model', 'model.safetensors', '--output', 'missing/out.txt'], input: 'the cat\n', message: /^error: missing\/out\.txt: cannot write: no such directory \(ENOENT\)$/ },
  { name: 'translate --attention in a missing directory', args: ['translate', '--model', 'model.safetensors', '--attention', 'missing/att.json'], input: 'the cat\n', message: /^error: missing\/att\.json: cannot write: no such directory \(ENOENT\)$/ },
  { name: 'attention --png under a file', args: ['attention', '--model', 'model.safetensors', '--png', 'not-a-dir/heat.png', 'the', 'cat'], message: /^error: .*not-a-dir: cannot create the directory: .*not-a-dir exists and is not a directory$/ },
];

describe('bad input through the command line: exit 1, one line naming the culprit, nothing written', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const beforeFiles = snapshot(dir);
      const r = runCli(c.args, { cwd: dir, ...(c.input === undefined ? {} : { input: c.input }) });
      assertUserError(r, c.message, c.name);
      assertUnchanged(beforeFiles, snapshot(dir), c.name);
    });
  }
});
