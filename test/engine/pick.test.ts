import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { greedyPick, linear, logSoftmax, pickFromLogProbs, type PickResult } from '../../src/engine/ops.js';
import { Rng } from '../../src/engine/random.js';
import { Tensor } from '../../src/engine/tensor.js';

const SKIP: [number, number] = [0, 2]; // PAD and BOS

/** The general path the fused op must reproduce: the log-probabilities written out, then the first-largest scan. */
function general(x: Tensor, w: Tensor, b: Tensor): PickResult {
  return pickFromLogProbs(logSoftmax(linear(x, w, b)), SKIP);
}

/** The first largest allowed entry of each row of a plain log-probability table, scanned independently. */
function scan(lp: Float32Array, rows: number, v: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = -1;
    for (let j = 0; j < v; j++) if (j !== 0 && j !== 2 && (best < 0 || (lp[r * v + j] as number) > (lp[r * v + best] as number))) best = j;
    out.push(best);
  }
  return out;
}

function random(rng: Rng, shape: number[], scale = 1): Tensor {
  const t = new Tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape, { requiresGrad: true });
  t.data.set(rng.uniformArray(t.size, -scale, scale));
  return t;
}

function assertSame(actual: PickResult, expected: PickResult, what: string): void {
  assert.deepEqual(Array.from(actual.words), Array.from(expected.words), `${what}: words`);
  for (let r = 0; r < expected.logProbs.length; r++) {
    assert.ok(Object.is(actual.logProbs[r], expected.logProbs[r]), `${what}: row ${r} log-prob ${actual.logProbs[r]} vs ${expected.logProbs[r]}`);
  }
}

/** Rows of logits set exactly: x = 0 so the logits are the bias (one row per bias, one call each). */
function pickOfLogits(logits: Float32Array, k = 4): { fused: PickResult; reference: PickResult } {
  const v = logits.length;
  const x = new Tensor(new Float32Array(k), [1, k]);
  const w = new Tensor(new Float32Array(k * v).fill(0.5), [k, v], { requiresGrad: true });
  const b = new Tensor(logits, [v]);
  return { fused: greedyPick(x, w, b, SKIP), reference: general(x, w, b) };
}

for (const threads of [1, 2]) {
  test(`greedyPick (${threads} thread(s)): the words and log-probabilities of logSoftmax + first-largest scan, bit for bit`, async () => {
    await initEngine({ threads });
    try {
      const rng = new Rng(7);
      for (const [m, k, v] of [[1, 16, 300], [3, 32, 5000], [9, 24, 1000], [64, 40, 2003]] as const) {
        const x = random(rng, [m, k]);
        const w = random(rng, [k, v], 0.5);
        const b = random(rng, [v]);
        const fused = greedyPick(x, w, b, SKIP);
        const ref = general(x, w, b);
        assertSame(fused, ref, `${m}x${k}x${v}`);
        // and the scan itself against an independent one
        assert.deepEqual(Array.from(ref.words), scan(logSoftmax(linear(x, w, b)).data, m, v));
        // Tied embeddings: w stored (V, In) and used transposed.
        const table = random(rng, [v, k], 0.5);
        const tied = greedyPick(x, table, b, SKIP, true);
        assertSame(tied, pickFromLogProbs(logSoftmax(linear(x, table, b, { transposed: true })), SKIP), `${m}x${k}x${v} transposed`);
        assert.deepEqual(Array.from(tied.words), scan(logSoftmax(linear(x, table, b, { transposed: true })).data, m, v));
      }
    } finally {
      await shutdownEngine();
    }
  });
}

test('greedyPick: exact ties go to the first id, PAD and BOS are never taken even when largest', async () => {
  await initEngine({ threads: 1 });
  try {
    const v = 600;
    const logits = new Float32Array(v).fill(-1);
    logits[0] = 50; // PAD: the row's maximum, in the log-sum-exp, never the pick
    logits[2] = 40; // BOS
    logits[517] = 3;
    logits[123] = 3; // same value earlier: the first wins
    logits[599] = 3;
    const { fused, reference } = pickOfLogits(logits);
    assertSame(fused, reference, 'ties');
    assert.equal(fused.words[0], 123);
  } finally {
    await shutdownEngine();
  }
});

test('greedyPick: an earlier logit a few ulps below the best that rounds to the same log-probability is taken, as the scan takes it', async () => {
  await initEngine({ threads: 1 });
  try {
    const v = 512;
    let settled = 0;
    // The best logit at 400, an earlier one 1..8 ulps below it, the rest spread so that the log-probabilities
    // (about -3.6) have coarser ulps than logits below 1: some of those pairs round to one log-probability.
    for (let gap = 1; gap <= 8; gap++) {
      for (const top of [0.3, 0.75, 3.25]) {
        const logits = new Float32Array(v);
        for (let j = 0; j < v; j++) logits[j] = top - 2 - (j % 7) * 0.25;
        const u32 = new Uint32Array(new Float32Array([top]).buffer);
        logits[400] = top;
        logits[37] = new Float32Array(new Uint32Array([(u32[0] as number) - gap]).buffer)[0] as number;
        const { fused, reference } = pickOfLogits(logits);
        assertSame(fused, reference, `gap ${gap} ulp at ${top}`);
        if (reference.words[0] === 37) settled++;
      }
    }
    assert.ok(settled > 0, 'some near-ties round to the same log-probability (the case this test is about)');
  } finally {
    await shutdownEngine();
  }
});

test('greedyPick: rows the kernel leaves (NaN, +Infinity, every allowed id at -Infinity) give the general path results', async () => {
  await initEngine({ threads: 1 });
  try {
    const v = 300;
    const cases: Array<[string, (l: Float32Array) => void]> = [
      ['NaN', (l) => (l[11] = NaN)],
      ['+Infinity', (l) => (l[12] = Infinity)],
      ['only PAD finite', (l) => { l.fill(-Infinity); l[0] = 1; }],
    ];
    for (const [what, set] of cases) {
      const logits = new Float32Array(v).fill(0.25);
      set(logits);
      const { fused, reference } = pickOfLogits(logits);
      assertSame(fused, reference, what);
    }
  } finally {
    await shutdownEngine();
  }
});

test('greedyPick: a zero maximum, a maximum shared with PAD or only at BOS, -Infinity and underflowing entries, odd widths give the general path results', async () => {
  await initEngine({ threads: 1 });
  try {
    const cases: Array<[string, (l: Float32Array) => void]> = [
      ['zero maximum', (l) => { l.fill(-1); l[5] = 0; l[9] = 0; }],
      ['maximum shared by PAD and a later id', (l) => { l[0] = 2; l[77] = 2; l[78] = 2; }],
      ['maximum only at BOS', (l) => { l[2] = 5; l[30] = 1; l[31] = 1; }],
      ['-Infinity and underflow', (l) => { for (let j = 0; j < l.length; j++) l[j] = j % 3 === 0 ? -Infinity : -200 + (j % 11); l[150] = 1; }],
      ['best in the last, odd, entries', (l) => { l[l.length - 1] = 3; l[l.length - 2] = 3; }],
    ];
    for (const v of [300, 301, 5003]) {
      for (const [what, set] of cases) {
        const logits = new Float32Array(v).fill(0.25);
        set(logits);
        const { fused, reference } = pickOfLogits(logits);
        assertSame(fused, reference, `${what}, width ${v}`);
      }
    }
  } finally {
    await shutdownEngine();
  }
});

test('greedyPick without the engine (TypeScript) is the general path', async () => {
  await shutdownEngine();
  const rng = new Rng(3);
  const x = random(rng, [5, 8]);
  const w = random(rng, [8, 400]);
  const b = random(rng, [400]);
  assertSame(greedyPick(x, w, b, SKIP), general(x, w, b), 'ts');
});
