import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initEngine, shutdownEngine } from '../../src/engine/engine.js';
import { Adam, ADAM_KERNEL_MIN, clipGradNorm, currentAdamKernel, setAdamKernel, SGD } from '../../src/engine/optim.js';
import { Rng } from '../../src/engine/random.js';
import { Tensor } from '../../src/engine/tensor.js';

function withGrad(values: number[], grad: number[]): Tensor {
  const t = Tensor.fromArray(values, [values.length], { requiresGrad: true });
  t.ensureGrad().set(grad);
  return t;
}

test('Adam matches a hand-computed two-step example (bias correction)', () => {
  // Step 1, g = 0.5: m = 0.05, v = 0.00025, m̂ = 0.5, v̂ = 0.25, p = 1 - 0.1·0.5/0.5 = 0.9.
  // Step 2, g = -1: m = -0.055, v = 0.00124975, m̂ = -0.055/0.19, v̂ = 0.00124975/0.001999,
  // p = 0.9 + 0.1·0.2894737/0.7906882 = 0.93661035.
  const p = withGrad([1], [0.5]);
  const adam = new Adam(new Map([['p', p]]), { lr: 0.1 });
  adam.step();
  assert.ok(Math.abs((p.data[0] as number) - 0.9) < 1e-6, `${p.data[0]}`);
  p.ensureGrad()[0] = -1;
  adam.step();
  assert.ok(Math.abs((p.data[0] as number) - 0.93661035) < 1e-6, `${p.data[0]}`);
  assert.equal(adam.state().step, 2);
});

test('Adam weight decay adds wd·p to the gradient; lr is settable; parameters without gradients are skipped', () => {
  const p = withGrad([2], [0]);
  const idle = Tensor.fromArray([5], [1], { requiresGrad: true });
  const adam = new Adam(new Map([['p', p], ['idle', idle]]), { lr: 0.01, weightDecay: 0.5 });
  adam.lr = 0.2;
  adam.step();
  // g = 0 + 0.5·2 = 1: first Adam step moves by lr·sign(g).
  assert.ok(Math.abs((p.data[0] as number) - 1.8) < 1e-6);
  assert.equal(idle.data[0], 5);
});

test('zeroGrad clears every parameter gradient', () => {
  const p = withGrad([1, 2], [3, 4]);
  const adam = new Adam(new Map([['p', p]]), { lr: 0.1 });
  adam.zeroGrad();
  assert.deepEqual(Array.from(p.grad as Float32Array), [0, 0]);
});

/** Runs `steps` optimizer steps with seeded pseudo-gradients and returns the parameters' values. */
function run(make: (params: Map<string, Tensor>) => Adam | SGD, steps: number, resumeAt: number | null, load = true): number[] {
  const rng = new Rng(7);
  const grads = Array.from({ length: steps }, () => [rng.uniform(-1, 1), rng.uniform(-1, 1), rng.uniform(-1, 1)]);
  let params = new Map([['a', withGrad([0.5, -0.5], [0, 0])], ['b', withGrad([1], [0])]]);
  let opt = make(params);
  for (let s = 0; s < steps; s++) {
    if (s === resumeAt) {
      // Save, then rebuild everything from the saved copies, as a checkpoint round trip does.
      const saved = opt.state();
      const copies = new Map([...params].map(([n, t]) => [n, withGrad(Array.from(t.data), new Array(t.size).fill(0))]));
      params = copies;
      opt = make(params);
      if (load) opt.loadState(saved);
    }
    const g = grads[s] as number[];
    (params.get('a') as Tensor).ensureGrad().set([g[0] as number, g[1] as number]);
    (params.get('b') as Tensor).ensureGrad().set([g[2] as number]);
    opt.step();
  }
  return [...params.values()].flatMap((t) => Array.from(t.data));
}

test('saving and loading optimizer state gives identical next steps (Adam and SGD with momentum)', () => {
  const makers = [
    (p: Map<string, Tensor>) => new Adam(p, { lr: 0.05, weightDecay: 0.01 }),
    (p: Map<string, Tensor>) => new SGD(p, { lr: 0.1, momentum: 0.9 }),
  ];
  for (const make of makers) {
    const straight = run(make, 5, null);
    const resumed = run(make, 5, 3);
    assert.deepEqual(resumed, straight);
    // Restarting without the saved state takes different steps (so the comparison above means something).
    assert.notDeepEqual(run(make, 5, 3, false), straight);
  }
});

test('loadState rejects missing or mis-sized tensors by name', () => {
  const adam = new Adam(new Map([['w', withGrad([1, 2], [0, 0])]]), { lr: 0.1 });
  assert.throws(() => adam.loadState({ step: 1, tensors: new Map([['m.w', new Float32Array(2)]]) }), /'v\.w'/);
  assert.throws(() => adam.loadState({ step: 1, tensors: new Map([['m.w', new Float32Array(3)], ['v.w', new Float32Array(2)]]) }), /'m\.w'.*3/);
  assert.deepEqual([...adam.state().tensors.keys()].sort(), ['m.w', 'v.w']);
});

test('SGD: plain and momentum steps match hand computation', () => {
  const p = withGrad([1], [1]);
  const plain = new SGD(new Map([['p', p]]), { lr: 0.1 });
  plain.step();
  assert.ok(Math.abs((p.data[0] as number) - 0.9) < 1e-7);
  const q = withGrad([1], [1]);
  const mom = new SGD(new Map([['q', q]]), { lr: 0.1, momentum: 0.9 });
  mom.step(); // buf = 1, q = 0.9
  mom.step(); // buf = 1.9, q = 0.71
  assert.ok(Math.abs((q.data[0] as number) - 0.71) < 1e-6);
  assert.deepEqual([...mom.state().tensors.keys()], ['momentum.q']);
});

test('clipGradNorm returns the norm before clipping and scales only when above maxNorm', () => {
  const a = withGrad([0, 0], [3, 0]);
  const b = withGrad([0], [4]);
  assert.equal(clipGradNorm([a, b], 10), 5);
  assert.deepEqual(Array.from(a.grad as Float32Array), [3, 0]);
  assert.equal(clipGradNorm(new Map([['a', a], ['b', b]]).values(), 1), 5);
  assert.ok(Math.abs((a.grad as Float32Array)[0] - 0.6) < 1e-5);
  assert.ok(Math.abs((b.grad as Float32Array)[0] - 0.8) < 1e-5);
  assert.ok(Math.abs(clipGradNorm([a, b], 1) - 1) < 1e-5);
});

test('the engine\'s Adam kernel gives bitwise the parameters and moments of the TypeScript loop', async () => {
  // An odd size above ADAM_KERNEL_MIN (SIMD tail), weight decay, gradients of mixed sizes and signs, 5 steps.
  const n = ADAM_KERNEL_MIN + 7;
  const run = (): Float32Array[] => {
    const rng = new Rng(31);
    const p = new Tensor(rng.uniformArray(n), [n], { requiresGrad: true, name: 'w' });
    const opt = new Adam(new Map([['w', p]]), { lr: 3e-3, weightDecay: 0.01 });
    for (let s = 0; s < 5; s++) {
      const g = p.ensureGrad();
      for (let i = 0; i < n; i++) g[i] = (rng.uniform(-1, 1) * 10 ** rng.int(6)) / 1000;
      opt.step();
    }
    const st = opt.state();
    return [p.data.slice(), st.tensors.get('m.w') as Float32Array, st.tensors.get('v.w') as Float32Array];
  };
  const ts = run();
  await initEngine({ threads: 1 });
  try {
    const kernel = currentAdamKernel();
    assert.ok(kernel !== null, 'initEngine installs the Adam kernel');
    let calls = 0;
    setAdamKernel((...a) => (calls++, kernel(...a)));
    const wasm = run();
    assert.equal(calls, 5);
    wasm.forEach((x, k) => assert.ok(x.every((e, i) => Object.is(e, ts[k]?.[i])), `buffer ${k} differs from the TypeScript loop's`));
  } finally {
    await shutdownEngine();
  }
  assert.equal(currentAdamKernel(), null, 'shutdownEngine removes the kernel');
});
