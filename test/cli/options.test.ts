import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { UserError } from '../../src/cli/errors.js';
import { collect, nonNegativeInt, nonNegativeNumber, opt, parseOptions, positiveInt } from '../../src/cli/options.js';

test('value parsers accept what they say and refuse the rest naming the value', () => {
  assert.equal(positiveInt('3'), 3);
  assert.equal(nonNegativeInt('0'), 0);
  assert.equal(nonNegativeNumber('0.5'), 0.5);
  for (const [parse, bad] of [[positiveInt, '0'], [positiveInt, '2.5'], [nonNegativeInt, '-1'], [nonNegativeNumber, ''], [nonNegativeNumber, 'x'], [nonNegativeNumber, 'Infinity']] as const) {
    assert.throws(() => parse(bad), (e: unknown) => e instanceof InvalidArgumentError && e.message.includes(`"${bad}"`), `${parse.name}(${bad})`);
  }
  assert.deepEqual(collect('b', collect('a', [])), ['a', 'b']);
});

test('parseOptions types the options and names the flag of a problem', () => {
  const schema = z.object({ batchSize: opt.count.optional(), model: opt.files, json: opt.flag });
  assert.deepEqual(parseOptions(schema, { model: ['m'], batchSize: 4 }), { model: ['m'], batchSize: 4 });
  assert.throws(() => parseOptions(schema, { model: ['m'], batchSize: 0 }), (e: unknown) => e instanceof UserError && /^--batch-size: /.test(e.message));
  assert.throws(() => parseOptions(schema, {}), (e: unknown) => e instanceof UserError && /^--model: /.test(e.message));
});
