/**
 * Every head of a Transformer on the command line: translate --attention's "cross", "encoder_self" and
 * "decoder_self" arrays, attention --layer/--head/--grid, align --layer and the AER of every layer.
 * Random-weight tiny models: the plumbing and the invariants (shapes, distributions, masks) are tested.
 */
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';
import { makeBatch } from '../../src/data/batch.js';
import { generateSeedCorpus, type SeedPair } from '../../src/data/seed-corpus.js';
import { loadCheckpoint } from '../../src/model/checkpoint-file.js';
import { Transformer } from '../../src/model/transformer/model.js';
import type { AttentionRecord } from '../../src/cli/translate.js';
import { openTranslator } from '../../src/translate/open.js';
import { tempDir } from '../helpers/tmp.js';
import { writeTinyCheckpoint, writeTinyTransformer } from '../helpers/tiny-checkpoint.js';
import { NODE_FLAGS } from '../helpers/node.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const EN = ['the black cat ate the mouse', 'the white dog saw a small bird'];
const FR = ['le chat noir a mangé la souris', 'le chien blanc a vu un petit oiseau'];

function run(args: string[], input = ''): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...NODE_FLAGS, MAIN, ...args], { input, encoding: 'utf8', timeout: 60000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let dir = '';
let model = '';

before(() => {
  dir = tempDir('heads');
  // 2 encoder layers, 3 decoder layers, 2 heads: the layer counts of the three kinds differ.
  model = writeTinyTransformer({ dir, en: EN, fr: FR, layers: [2, 3], heads: 2, decoding: { beam: 1 } });
});

const sum = (row: readonly number[]): number => row.reduce((a, b) => a + b, 0);

test('translate --attention gives a Transformer\'s cross, encoder_self and decoder_self: [layer][head][query][key], rows summing to 1, causal zeros', () => {
  const input = path.join(dir, 'in.txt');
  fs.writeFileSync(input, 'the black cat ate the mouse\nthe dog\n');
  const json = path.join(dir, 'heads.json');
  const r = run(['translate', '--model', model, '--input', input, '--attention', json, '--beam', '2', '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  const records = JSON.parse(fs.readFileSync(json, 'utf8')) as AttentionRecord[];
  assert.equal(records.length, 2);
  for (const rec of records) {
    const S = rec.source_tokens.length;
    const T = rec.target_tokens.length;
    assert.ok(rec.cross !== undefined && rec.encoder_self !== undefined && rec.decoder_self !== undefined && rec.decoder_tokens !== undefined);
    assert.equal(rec.alignment_layer, 1, 'the penultimate of 3 decoder layers');
    assert.deepEqual(rec.decoder_tokens, ['<s>', ...rec.target_tokens.slice(0, -1)]);
    const shape = (a: number[][][][]): number[] => [a.length, a[0]?.length ?? 0, a[0]?.[0]?.length ?? 0, a[0]?.[0]?.[0]?.length ?? 0];
    assert.deepEqual(shape(rec.cross), [3, 2, T, S]);
    assert.deepEqual(shape(rec.encoder_self), [2, 2, S, S]);
    assert.deepEqual(shape(rec.decoder_self), [3, 2, T, T]);
    for (const kind of [rec.cross, rec.encoder_self, rec.decoder_self]) {
      for (const layer of kind) for (const head of layer) for (const row of head) assert.ok(Math.abs(sum(row) - 1) < 1e-4, `a row sums to ${sum(row)}`);
    }
    // The decoder's step t sees its inputs 0..t only: exactly 0 above the diagonal.
    for (const layer of rec.decoder_self) for (const head of layer) head.forEach((row, t) => row.forEach((w, k) => { if (k > t) assert.equal(w, 0); }));
    // `weights` is the head-mean of the alignment layer's cross-attention.
    const align = rec.cross[rec.alignment_layer] as number[][][];
    rec.weights.forEach((row, t) => row.forEach((w, s) => {
      const mean = sum(align.map((h) => h[t]?.[s] ?? 0)) / align.length;
      assert.ok(Math.abs(mean - w) < 1e-5, `weights[${t}][${s}] ${w} vs head-mean ${mean}`);
    }));
  }
});

test('the heads are the teacher-forced attention of the output, and padding in a batch gets exactly 0', () => {
  const t = openTranslator(model);
  const [long, short] = t.translate(['the black cat ate the mouse', 'the dog'], { heads: true, beam: 1 });
  assert.ok(long !== undefined && short !== undefined);
  const h = short.hypotheses[0]?.heads;
  assert.ok(h !== undefined);
  // Recompute in a batch where the short pair is padded to the long one's length: the same weights on its real keys, 0 on padding.
  const m = t.model as Transformer;
  const ids = (text: string): number[] => t.srcVocab.encode(t.codec.source(text));
  const tgt = (tokens: string[]): number[] => t.tgtVocab.encode(tokens.slice(0, -1));
  const batch = makeBatch([
    { src: ids('the black cat ate the mouse'), tgt: tgt(long.hypotheses[0]?.targetTokens ?? []) },
    { src: ids('the dog'), tgt: tgt(short.hypotheses[0]?.targetTokens ?? []) },
  ], [0, 1]);
  const all = m.inferenceMode(() => m.forcedAttentionAll(batch));
  const cross = all.cross[0];
  assert.ok(cross !== undefined);
  const [, H, T, S] = cross.shape as [number, number, number, number];
  const sLen = short.sourceTokens.length;
  for (let head = 0; head < H; head++) {
    for (let r = 0; r < (short.hypotheses[0]?.targetTokens.length ?? 0); r++) {
      for (let s = 0; s < S; s++) {
        const w = cross.data[((1 * H + head) * T + r) * S + s] as number;
        if (s >= sLen) assert.equal(w, 0, 'padding key');
        else assert.ok(Math.abs(w - (h.cross[0]?.[head]?.[r]?.[s] ?? NaN)) < 1e-5);
      }
    }
  }
  // An RNN model has no heads; asking gives the weights only.
  const rnn = openTranslator(writeTinyCheckpoint({ dir, en: EN, fr: FR }));
  const [plain] = rnn.translate(['the black cat'], { heads: true });
  assert.equal(plain?.hypotheses[0]?.heads, undefined);
  assert.ok((plain?.hypotheses[0]?.weights.length ?? 0) > 0);
});

test('attention --grid draws every layer x head as one SVG; --layer --head one head; refusals name the problem', () => {
  const svgFile = path.join(dir, 'grid.svg');
  const r = run(['attention', '--model', model, '--grid', '--kind', 'decoder-self', '--svg', svgFile, 'the black cat ate the mouse']);
  assert.equal(r.code, 0, r.stderr);
  const svg = fs.readFileSync(svgFile, 'utf8');
  new Resvg(svg, { font: { loadSystemFonts: false } }); // parses as XML
  const heads = [...svg.matchAll(/<g class="head" data-layer="(\d+)" data-head="(\d+)">/g)].map((m) => `${m[1]}/${m[2]}`);
  assert.deepEqual(heads, ['0/0', '0/1', '1/0', '1/1', '2/0', '2/1']);
  assert.equal((svg.match(/class="head-label"/g) ?? []).length, 6);
  assert.match(svg, /layer 2 · head 1/);
  const rows = Number(/data-rows="(\d+)"/.exec(svg)?.[1]);
  const cells = (svg.match(/class="head-cell"/g) ?? []).length;
  assert.equal(cells, 6 * rows * rows, 'decoder self-attention is T x T per head');

  const enc = run(['attention', '--model', model, '--grid', '--kind', 'encoder-self', '--svg', svgFile, 'the black cat']);
  assert.equal(enc.code, 0, enc.stderr);
  assert.equal((fs.readFileSync(svgFile, 'utf8').match(/<g class="head" /g) ?? []).length, 4, '2 encoder layers x 2 heads');

  const one = path.join(dir, 'one.svg');
  const single = run(['attention', '--model', model, '--layer', '2', '--head', '1', '--svg', one, 'the black cat ate the mouse']);
  assert.equal(single.code, 0, single.stderr);
  assert.match(single.stdout, /cross attention, layer 2, head 1/);
  const json = path.join(dir, 'one.json');
  assert.equal(run(['translate', '--model', model, '--attention', json], 'the black cat ate the mouse\n').code, 0);
  const [rec] = JSON.parse(fs.readFileSync(json, 'utf8')) as AttentionRecord[];
  const drawn = [...fs.readFileSync(one, 'utf8').matchAll(/class="attn-cell" data-row="(\d+)" data-col="(\d+)" data-weight="([^"]+)"/g)];
  assert.equal(drawn.length, (rec?.target_tokens.length ?? 0) * (rec?.source_tokens.length ?? 0));
  for (const m of drawn) assert.ok(Math.abs(Number(m[3]) - (rec?.cross?.[2]?.[1]?.[Number(m[1])]?.[Number(m[2])] ?? NaN)) < 1e-4);

  assert.match(run(['attention', '--model', model, '--grid', 'the cat']).stderr, /--grid draws a picture: give --svg/);
  assert.match(run(['attention', '--model', model, '--head', '1', 'the cat']).stderr, /--head needs --layer/);
  assert.match(run(['attention', '--model', model, '--layer', '3', 'the cat']).stderr, /--layer 3: the cross attention has layers 0\.\.2/);
  assert.match(run(['attention', '--model', model, '--kind', 'encoder-self', '--layer', '2', 'the cat']).stderr, /layers 0\.\.1/);
  const rnn = writeTinyCheckpoint({ dir, en: EN, fr: FR });
  const refused = run(['attention', '--model', rnn, '--grid', '--svg', svgFile, 'the cat']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /need a Transformer/);
});

test('align --layer L aligns with layer L\'s head-mean cross-attention; --gold reports the AER of every layer and the mean', () => {
  const pairs: SeedPair[] = generateSeedCorpus({ size: 40, seed: 5, maxWords: 7 });
  const m = writeTinyTransformer({ dir, name: 'seed-transformer.safetensors', en: pairs.map((p) => p.src.toLowerCase()), fr: pairs.map((p) => p.tgt.toLowerCase()), layers: [2, 3] });
  const input = path.join(dir, 'pairs.tsv');
  const gold = path.join(dir, 'pairs.align');
  fs.writeFileSync(input, pairs.map((p) => `${p.src}\t${p.tgt}\n`).join(''));
  fs.writeFileSync(gold, pairs.map((p) => `${p.alignment.map(([i, j]) => `${i}-${j}`).join(' ')}\n`).join(''));

  // The expected t2s links of layer 2, from the model's own forward pass: the argmax source word of each target word.
  const t = openTranslator(m);
  const model = t.model as Transformer;
  const expected = pairs.map((p) => {
    const src = t.codec.source(p.src);
    const tgt = t.codec.target(p.tgt);
    const batch = makeBatch([{ src: t.srcVocab.encode(src), tgt: t.tgtVocab.encode(tgt) }], [0]);
    const cross = model.inferenceMode(() => model.forcedAttentionAll(batch)).cross[2];
    assert.ok(cross !== undefined);
    const [, H, T, S] = cross.shape as [number, number, number, number];
    const links: string[] = [];
    for (let r = 0; r < tgt.length; r++) {
      let best = 0;
      let bestW = -1;
      for (let s = 0; s < src.length; s++) {
        let w = 0;
        for (let h = 0; h < H; h++) w += cross.data[(h * T + r) * S + s] as number;
        if (w > bestW) [best, bestW] = [s, w];
      }
      links.push(`${best}-${r}`);
    }
    return links.join(' ');
  });
  const r = run(['align', '--model', m, '--input', input, '--layer', '2', '--threads', '1']);
  assert.equal(r.code, 0, r.stderr);
  const sortLinks = (line: string): string => line.split(' ').filter((x) => x !== '').sort().join(' ');
  assert.deepEqual(r.stdout.trim().split('\n').map(sortLinks), expected.map(sortLinks));

  const j = run(['align', '--model', m, '--input', input, '--gold', gold, '--json', '--threads', '1']);
  assert.equal(j.code, 0, j.stderr);
  const report = JSON.parse(j.stdout) as { layer: number; aer: number; layers: Array<{ layer: number | 'mean'; aer: number }>; best_layer: number | 'mean' };
  assert.equal(report.layer, 1, 'default: the model\'s alignment layer (the penultimate)');
  assert.deepEqual(report.layers.map((l) => l.layer), [0, 1, 2, 'mean']);
  assert.equal(report.layers[1]?.aer, report.aer);
  const min = Math.min(...report.layers.map((l) => l.aer));
  assert.equal(report.layers.find((l) => l.layer === report.best_layer)?.aer, min);
  const mean = JSON.parse(run(['align', '--model', m, '--input', input, '--gold', gold, '--json', '--layer', 'mean', '--threads', '1']).stdout) as { aer: number; layer: string };
  assert.equal(mean.layer, 'mean');
  assert.equal(mean.aer, report.layers[3]?.aer);
  const text = run(['align', '--model', m, '--input', input, '--gold', gold, '--output', path.join(dir, 'links.txt'), '--threads', '1']);
  assert.match(text.stderr, /AER by layer \(head-mean cross-attention\): layer 0 [\d.]+%, layer 1 [\d.]+%, layer 2 [\d.]+%, mean [\d.]+%; best: /);

  const bad = run(['align', '--model', m, '--input', input, '--layer', 'last']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--layer.*expected a layer number \(0, 1, \.\.\.\) or "mean", got "last"/);
  const tooHigh = run(['align', '--model', m, '--input', input, '--layer', '3']);
  assert.equal(tooHigh.code, 1);
  assert.match(tooHigh.stderr, /layer 3 is not a decoder layer \(0\.\.2\)/);
  const rnn = run(['align', '--model', writeTinyCheckpoint({ dir, en: EN, fr: FR }), '--input', input, '--layer', '0']);
  assert.equal(rnn.code, 1);
  assert.match(rnn.stderr, /--layer needs a Transformer/);
  assert.ok(loadCheckpoint(m).config.arch === 'transformer');
});
