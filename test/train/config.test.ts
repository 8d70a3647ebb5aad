import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig, parseConfig, parseOverride } from '../../src/train/config.js';
import { tempDir } from '../helpers/tmp.js';

function tmpFile(name: string, text: string): string {
  const dir = tempDir('config');
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

test('a config with only data.train gets the documented defaults', () => {
  const c = parseConfig({ data: { train: 'train.tsv' } }, 'c.yaml');
  assert.equal(c.data.format, 'tsv');
  assert.deepEqual(c.data.columns, [0, 1]);
  assert.equal(c.data.tokenizer, 'word');
  assert.equal(c.data.vocab.minFreq, 1);
  const m = c.model;
  assert.ok(m.arch === undefined, 'arch defaults to the RNN family (absent)');
  assert.equal(m.rnn, 'gru');
  assert.equal(m.attention, 'additive');
  assert.equal(c.training.lr, 1e-3);
  assert.equal(c.training.lrDecay.factor, 0.5);
  assert.equal(c.training.earlyStopping.patience, 5);
  assert.equal(c.decoding.beam, 5);
  assert.equal(c.data.dev, undefined);
});

test('an unknown key is rejected, naming the file, the key path and the valid keys', () => {
  const file = tmpFile('bad.yaml', 'data:\n  train: t.tsv\ntraining:\n  lrr: 0.1\n');
  assert.throws(
    () => loadConfig(file),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.ok(err.message.startsWith(file), err.message);
      assert.match(err.message, /unknown key "training\.lrr"/);
      assert.match(err.message, /valid keys in training: .*\blr\b/);
      return true;
    },
  );
});

test('a bad choice lists the valid choices', () => {
  assert.throws(
    () => parseConfig({ data: { train: 't' }, model: { attention: 'luong' } }, 'cfg.json'),
    /^ConfigError: cfg\.json: model\.attention: must be one of "additive", "dot", "general", "none" \(got "luong"\)$/,
  );
  try {
    parseConfig({ data: { train: 't', tokenizer: 'chars' } }, 'x.yaml');
    assert.fail('expected an error');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.message, 'x.yaml: data.tokenizer: must be one of "word", "bpe" (got "chars")');
  }
});

test('a missing required key and a wrong type are named', () => {
  assert.throws(() => parseConfig({}, 'c.yaml'), /c\.yaml: data: missing required key/);
  assert.throws(() => parseConfig({ data: {} }, 'c.yaml'), /c\.yaml: data\.train: missing required key/);
  assert.throws(() => parseConfig({ data: { train: 't' }, training: { batchSize: 'many' } }, 'c.yaml'), /training\.batchSize: expected number, got "many"/);
  assert.throws(() => parseConfig({ data: { train: 't' }, training: { dropout: 1.5 } }, 'c.yaml'), /training\.dropout: Too big.*\(got 1\.5\)/);
});

test('YAML and JSON files load; command-line overrides win and are validated', () => {
  const yamlFile = tmpFile('c.yaml', 'data:\n  train: t.tsv\nmodel:\n  hidden: 32\ntraining:\n  lr: 0.01\n');
  const jsonFile = tmpFile('c.json', JSON.stringify({ data: { train: 't.tsv' }, model: { hidden: 32 } }));
  for (const file of [yamlFile, jsonFile]) {
    const m = loadConfig(file).model;
    assert.ok(m.arch !== 'transformer');
    assert.equal(m.hidden, 32);
  }
  const c = loadConfig(yamlFile, [parseOverride('training.lr=0.5'), parseOverride('model.rnn=lstm'), parseOverride('data.columns=[1, 0]')]);
  assert.equal(c.training.lr, 0.5);
  const m = c.model;
  assert.ok(m.arch !== 'transformer');
  assert.equal(m.rnn, 'lstm');
  assert.deepEqual(c.data.columns, [1, 0]);
  assert.throws(() => loadConfig(yamlFile, [parseOverride('model.rnn=rnn')]), /^ConfigError: command line: model\.rnn: must be one of "gru", "lstm"/);
  // An override may supply the one required key the file lacks.
  const noTrain = tmpFile('n.yaml', 'model:\n  hidden: 8\n');
  assert.equal(loadConfig(noTrain, [parseOverride('data.train=x.tsv')]).data.train, 'x.tsv');
});

test('unreadable and malformed files are named', () => {
  assert.throws(() => loadConfig('/nonexistent/c.yaml'), /^ConfigError: \/nonexistent\/c\.yaml: cannot read config file \(no such file\)$/);
  const broken = tmpFile('b.yaml', 'data: [unclosed\n');
  assert.throws(() => loadConfig(broken), (err: unknown) => err instanceof ConfigError && err.message.startsWith(`${broken}: not valid YAML`));
  const list = tmpFile('l.yaml', '- a\n- b\n');
  assert.throws(() => loadConfig(list), /must hold a mapping/);
  assert.throws(() => parseOverride('novalue'), /--set expects key\.path=value/);
});

test('every shipped config in configs/ is valid', () => {
  const dir = fileURLToPath(new URL('../../../configs/', import.meta.url));
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 3);
  for (const f of files) {
    const c = loadConfig(path.join(dir, f));
    assert.ok(c.data.train.length > 0, f);
  }
});

test('data paths in a config file are relative to the file; paths from flags to the current directory', () => {
  const dir = tempDir('cfgpaths');
  fs.mkdirSync(path.join(dir, 'configs'));
  const file = path.join(dir, 'configs', 'c.yaml');
  fs.writeFileSync(file, `data:\n  train: ../data/train.tsv\n  dev: ${path.join(dir, 'abs', 'dev.tsv')}\n`);
  const c = loadConfig(file);
  assert.equal(path.resolve(c.data.train), path.join(dir, 'data', 'train.tsv'));
  assert.equal(c.data.dev, path.join(dir, 'abs', 'dev.tsv')); // absolute paths stay as written
  const flagged = loadConfig(file, [parseOverride('data.train=here.tsv')]);
  assert.equal(flagged.data.train, 'here.tsv');
});
