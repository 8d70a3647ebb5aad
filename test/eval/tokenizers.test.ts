import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  getTokenizer,
  pythonRstrip,
  pythonSplit,
  removeWhitespace,
  tokenize13a,
  tokenizeChar,
  tokenizeIntl,
  tokenizeNone,
} from '../../src/eval/tokenizers.js';

test('pythonSplit uses Python whitespace: NBSP, narrow NBSP and U+001C split; ZWSP and BOM do not', () => {
  assert.deepEqual(pythonSplit('\u00a0a\u00a0b\u200bc\u202fd\u001ce \ufefff '), ['a', 'b\u200bc', 'd', 'e', '\ufefff']);
  assert.deepEqual(pythonSplit('   '), []);
  assert.deepEqual(pythonSplit(''), []);
  assert.equal(pythonRstrip('x y \u2009\r\n'), 'x y');
  assert.equal(removeWhitespace(' a b\tc\u3000d '), 'abcd');
});

test('13a splits ASCII punctuation and symbols, keeps apostrophes and in-word hyphens', () => {
  assert.equal(tokenize13a('Hello, world!'), 'Hello , world !');
  assert.equal(tokenize13a("it's a-b x/y"), "it's a-b x / y");
  assert.equal(tokenize13a('(ok) [no] {yes} a=b'), '( ok ) [ no ] { yes } a = b');
});

test('13a keeps periods and commas between digits, splits a dash after a digit', () => {
  assert.equal(tokenize13a('3.14 and 1,000'), '3.14 and 1,000');
  assert.equal(tokenize13a('The end.'), 'The end .');
  assert.equal(tokenize13a('in 1990.'), 'in 1990 .');
  assert.equal(tokenize13a('1990-2000'), '1990 - 2000');
});

test('13a unescapes the four mteval entities and drops <skipped>', () => {
  assert.equal(tokenize13a('&quot;hi&quot; &amp; &lt;b&gt;'), '" hi " & < b >');
  assert.equal(tokenize13a('<skipped>word'), 'word');
  assert.equal(tokenize13a('&apos;'), '& apos ;');
});

test('intl splits Unicode punctuation and symbols except between digits', () => {
  assert.equal(tokenizeIntl('Hello, world!'), 'Hello , world !');
  assert.equal(tokenizeIntl('1,000.5 dollars'), '1,000.5 dollars');
  assert.equal(tokenizeIntl('«Bonjour»'), '« Bonjour »');
  assert.equal(tokenizeIntl('€5'), '€ 5');
  // mteval-v14 quirk: a number followed by a final period keeps it.
  assert.equal(tokenizeIntl('in 1990.'), 'in 1990.');
});

test('char gives one token per code point; none leaves the line alone', () => {
  assert.deepEqual(pythonSplit(tokenizeChar('ab c')), ['a', 'b', 'c']);
  assert.deepEqual(pythonSplit(tokenizeChar('😀x')), ['😀', 'x']);
  assert.equal(tokenizeNone('Hello, world!'), 'Hello, world!');
  assert.equal(getTokenizer('13a'), tokenize13a);
  assert.equal(getTokenizer('intl'), tokenizeIntl);
});
