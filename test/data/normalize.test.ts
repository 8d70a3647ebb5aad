import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isNormalized, normalizeText } from '../../src/data/normalize.js';

test('NFC composes accents', () => {
  assert.equal(normalizeText('e\u0301te\u0301'), '\u00e9t\u00e9');
});

test('special spaces become plain spaces, runs collapse, ends are trimmed', () => {
  assert.equal(normalizeText('Tiens bon\u00a0!'), 'Tiens bon !');
  assert.equal(normalizeText('Quoi\u202f?'), 'Quoi ?');
  assert.equal(normalizeText('Va\u2009!'), 'Va !');
  assert.equal(normalizeText('  a \t\u3000 b\u2003c  '), 'a b c');
});

test('zero-width characters are removed', () => {
  assert.equal(normalizeText('\ufeffhel\u200blo\u200c \u200dwor\u2060ld'), 'hello world');
  assert.equal(normalizeText('\u200b'), '');
});

test('isNormalized', () => {
  assert.ok(isNormalized('le chat noir'));
  assert.ok(!isNormalized('le  chat'));
  assert.ok(!isNormalized(' le chat'));
});
