import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { engineInfo, enginePoolJobs, initEngine, shutdownEngine, enableRelaxedSimd } from '../../src/engine/engine.js';
import { gemm, gemmReference } from '../../src/engine/gemm.js';
import { dequantizeMatrix, Int8Gemm, int8GreedyPick, int8Info, int8Reference, quantizeMatrix, registerInt8, selfTest, type QuantizedMatrix } from '../../src/engine/int8.js';
import { greedyPick, linear, logSoftmax, pickFromLogProbs } from '../../src/engine/ops.js';
import { Tensor } from '../../src/engine/tensor.js';
import type { PickRows } from '../../src/engine/wasm.js';
import { Rng } from '../../src/engine/random.js';

const build = (name: string): Uint8Array<ArrayBuffer> => new Uint8Array(readFileSync(new URL(`../../../build/${name}.wasm`, import.meta.url)));

function values(n: number, seed: number, scale = 1): Float32Array {
  return new Rng(seed).uniformArray(n).map((x) => x * scale);
}

/** Bit patterns of a float array (to compare results exactly, NaN and -0 included). */
function bits(x: Float32Array): Uint32Array {
  return new Uint32Array(Float32Array.from(x).buffer);
}

describe('int8 quantization', () => {
  for (const axis of [0, 1] as const) {
    it(`rounds every weight to within half a step of its unit's scale (axis ${axis})`, () => {
      const [rows, cols] = [37, 53];
      const w = values(rows * cols, 3 + axis, 0.5);
      for (let c = 0; c < cols; c++) w[5 * cols + c] = 0; // an all-zero row (axis 0)
      for (let r = 0; r < rows; r++) w[r * cols + 7] = 0; // an all-zero column (axis 1)
      const q = quantizeMatrix(w, [rows, cols], axis);
      const d = dequantizeMatrix(q);
      assert.equal(q.scales.length, axis === 0 ? rows : cols);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) {
          const u = axis === 0 ? r : c;
          const s = q.scales[u] as number;
          const v = q.values[r * cols + c] as number;
          assert.ok(v >= -127 && v <= 127);
          assert.ok(Math.abs((w[r * cols + c] as number) - (d[r * cols + c] as number)) <= s / 2 + 1e-7, `w[${r}][${c}]`);
        }
      }
      // The largest magnitude of each unit maps to ±127; all-zero units keep scale 0 and dequantize to 0.
      for (let u = 0; u < q.scales.length; u++) {
        const idx = (i: number): number => (axis === 0 ? u * cols + i : i * cols + u);
        const len = axis === 0 ? cols : rows;
        const peak = Math.max(...Array.from({ length: len }, (_, i) => Math.abs(q.values[idx(i)] as number)));
        const zero = axis === 0 ? u === 5 : u === 7;
        assert.equal(peak, zero ? 0 : 127, `unit ${u}`);
        if (zero) assert.equal(q.scales[u], 0);
      }
    });
  }
});

/** A random int8 weight for an (m, k) x op(B) product, registered on its (dequantized) buffer. */
function weight(k: number, n: number, transB: boolean, seed: number): { b: Float32Array; q: QuantizedMatrix; float: Float32Array } {
  const float = values(k * n, seed, 0.3);
  const q = quantizeMatrix(float, transB ? [n, k] : [k, n], transB ? 0 : 1);
  const b = dequantizeMatrix(q);
  registerInt8(b, q);
  return { b, q, float };
}

const SHAPES: Array<[number, number, number]> = [[1, 5000, 256], [1, 37, 300], [2, 3, 17], [3, 64, 512], [64, 768, 256], [7, 50, 33]];

describe('int8 GEMM kernels', () => {
  after(() => shutdownEngine());

  for (const name of ['int8-simd', 'int8-relaxed', 'int8-simd-mt', 'int8-relaxed-mt']) {
    it(`${name}: gives bit for bit the TypeScript reference's integers and float steps`, async (t) => {
      const bytes = build(name);
      const relaxed = name.startsWith('int8-relaxed');
      if (relaxed && !WebAssembly.validate(bytes) && !(await enableRelaxedSimd(bytes))) {
        t.skip('this runtime rejects relaxed SIMD');
        return;
      }
      // The -mt builds import a shared memory (here on one thread; the pool's tests are below).
      const g = await Int8Gemm.create(bytes, name.endsWith('-mt'));
      if (relaxed) {
        const diff = selfTest(await Int8Gemm.create(build('int8-simd')), g);
        if (diff !== null) {
          // A runtime whose relaxed integer dot product differs (V8 11.3 doubles i32x4.relaxed_dot_i8x16_i7x16_add_s,
          // which asm/int8.ts no longer uses): the loader then never uses this build (checked below), nothing to compare.
          t.diagnostic(`relaxed build differs from the plain one on this runtime (${diff}): the loader uses plain SIMD`);
          t.skip('relaxed integer dot product does not follow the spec on this runtime');
          return;
        }
      }
      let seed = 10;
      for (const [m, n, k] of SHAPES) {
        for (const transB of [false, true]) {
          for (const beta of [0, 1]) {
            const { b, q } = weight(k, n, transB, seed++);
            const lda = k + 3;
            const a = values(2 + m * lda, seed++, 2);
            const c0 = values(1 + m * (n + 2), seed++);
            const args = { m, n, k, a, b, transB, beta, lda, aOffset: 2, ldc: n + 2, cOffset: 1 };
            const got = Float32Array.from(c0);
            const want = Float32Array.from(c0);
            assert.ok(g.gemm({ ...args, c: got }, q));
            int8Reference({ ...args, c: want }, q);
            assert.deepEqual(bits(got), bits(want), `${m}x${n}x${k} transB ${transB} beta ${beta}`);
          }
        }
      }
    });
  }

  it('stays within the quantization error bound of the float32 product', async () => {
    await initEngine({ threads: 1 });
    let seed = 100;
    for (const [m, n, k] of SHAPES) {
      const { b, float } = weight(k, n, false, seed++);
      const a = values(m * k, seed++, 3);
      const got = new Float32Array(m * n);
      gemm({ m, n, k, a, b, c: got });
      const exact = new Float32Array(m * n);
      gemmReference({ m, n, k, a, b: float, c: exact });
      for (let i = 0; i < m; i++) {
        let maxX = 0;
        for (let p = 0; p < k; p++) maxX = Math.max(maxX, Math.abs(a[i * k + p] as number));
        for (let j = 0; j < n; j++) {
          let maxW = 0;
          for (let p = 0; p < k; p++) maxW = Math.max(maxW, Math.abs(float[p * n + j] as number));
          // |Δw| <= maxW/254 per weight, |Δx| <= range/254 <= 2·maxX/254 per activation.
          const bound = k * maxX * maxW * (3 / 254 + 1 / 254 ** 2) + 1e-5;
          const err = Math.abs((got[i * n + j] as number) - (exact[i * n + j] as number));
          assert.ok(err <= bound, `${m}x${n}x${k} [${i}][${j}]: error ${err} > bound ${bound}`);
        }
      }
    }
  });

  it('routes only registered buffers, and only along their output axis, to int8', async () => {
    await initEngine({ threads: 1 });
    const k = 40;
    const n = 24;
    const { b, q } = weight(k, n, false, 7);
    const a = values(3 * k, 8);
    const viaInt8 = new Float32Array(3 * n);
    gemm({ m: 3, n, k, a, b, c: viaInt8 });
    const want = new Float32Array(3 * n);
    int8Reference({ m: 3, n, k, a, b, c: want }, q);
    assert.deepEqual(bits(viaInt8), bits(want));
    // The same values in an unregistered buffer: the float GEMM (a different result).
    const plain = new Float32Array(3 * n);
    gemm({ m: 3, n, k, a, b: Float32Array.from(b), c: plain });
    assert.notDeepEqual(bits(plain), bits(viaInt8));
    // Used along the other axis (as Bᵀ, k' = n): the float GEMM on the dequantized values.
    const a2 = values(2 * n, 9);
    const other = new Float32Array(2 * k);
    gemm({ m: 2, n: k, k: n, a: a2, b, c: other, transB: true });
    const ref = new Float32Array(2 * k);
    gemmReference({ m: 2, n: k, k: n, a: a2, b: Float32Array.from(b), c: ref, transB: true });
    for (let i = 0; i < ref.length; i++) assert.ok(Math.abs((other[i] as number) - (ref[i] as number)) < 1e-4);
  });

  it('uses the relaxed build only when its self-test matches the plain build', async () => {
    await initEngine({ threads: 1, relaxed: 'auto' });
    const info = int8Info();
    const relaxedBytes = build('int8-relaxed');
    const usable = WebAssembly.validate(relaxedBytes) || (await enableRelaxedSimd(relaxedBytes));
    const diff = usable ? selfTest(await Int8Gemm.create(build('int8-simd')), await Int8Gemm.create(relaxedBytes)) : 'not valid';
    assert.equal(info.backend, diff === null ? 'int8-relaxed-simd' : 'int8-simd');
    await initEngine({ threads: 1, relaxed: false });
    assert.deepEqual(int8Info(), { backend: 'int8-simd' });
    await shutdownEngine();
    assert.deepEqual(int8Info(), { backend: 'js' });
  });

  it('selfTest reports a build whose products differ', async () => {
    const good = await Int8Gemm.create(build('int8-simd'));
    const other = await Int8Gemm.create(build('int8-simd'));
    assert.equal(selfTest(good, other), null);
    // A kernel that drops one product (what a wrong lowering does) is caught.
    const broken = Object.create(other) as Int8Gemm;
    broken.gemm = (args, q) => {
      const ok = other.gemm(args, q);
      args.c[args.cOffset ?? 0] += 1;
      return ok;
    };
    assert.match(selfTest(good, broken) ?? '', /element 0/);
  });
});

describe('int8 GEMM on the worker pool', () => {
  after(() => shutdownEngine());

  // Above PARALLEL_MIN_FLOPS (the first calls of each shape then run on the pool, to time it): the
  // output layer at batch 1 and 64, a GRU projection, an odd row count with a short K, and few
  // output units split in many chunks.
  const POOLED: Array<[number, number, number]> = [[1, 5000, 256], [64, 5000, 256], [64, 768, 256], [65, 300, 100], [64, 40, 512], [9, 1000, 300]];
  // Below it (always on the calling thread).
  const ALONE: Array<[number, number, number]> = [[1, 768, 256], [3, 64, 512], [7, 50, 33]];

  for (const threads of [1, 2, 4]) {
    // 4: more threads than this machine may have cores (the pool must still finish every job).
    it(`${threads} thread(s): gives bit for bit the TypeScript reference (strided A, strided and packed C, beta 0 and 1, W by input and by output unit)`, async () => {
      await initEngine({ threads, relaxed: false });
      assert.equal(engineInfo().threads, threads);
      assert.deepEqual(int8Info(), threads > 1 ? { backend: 'int8-simd', threads } : { backend: 'int8-simd' });
      let seed = 1000;
      for (const [m, n, k] of [...POOLED, ...ALONE]) {
        const big = POOLED.some(([a, b, c]) => a === m && b === n && c === k);
        for (const transB of [false, true]) {
          // Three calls per shape: beta 0, then 1 with a bias row (GemmArgs.bias, as linear passes it: the reference
          // gets C filled with it), both among the first calls of the shape, which run on the pool; then beta 1 on C.
          for (const [call, mode] of (['0', 'bias', '1'] as const).entries()) {
            const beta = mode === '0' ? 0 : 1;
            const { b, q } = weight(k, n, transB, seed++);
            const lda = k + 3;
            const a = values(2 + m * lda, seed++, 2);
            // C strided, or packed (copied in and out in one piece when n is a multiple of 4).
            const ldc = transB ? n : n + 2;
            const c0 = values(1 + m * ldc, seed++);
            const bias = mode === 'bias' ? values(n, seed++) : undefined;
            const args = { m, n, k, a, b, transB, beta, lda, aOffset: 2, ldc, cOffset: 1 };
            const got = Float32Array.from(c0);
            const want = Float32Array.from(c0);
            if (bias !== undefined) for (let i = 0; i < m; i++) want.set(bias, 1 + i * ldc);
            const jobs = enginePoolJobs();
            gemm({ ...args, c: got, ...(bias === undefined ? {} : { bias }) });
            int8Reference({ ...args, c: want }, q);
            const label = `${m}x${n}x${k} transB ${transB} beta ${mode}, ${threads} thread(s)`;
            assert.deepEqual(bits(got), bits(want), label);
            if (threads > 1 && big && call < 2) assert.ok(enginePoolJobs() > jobs, `${label}: no int8 job went through the worker pool`);
            else if (!(threads > 1 && big)) assert.equal(enginePoolJobs(), jobs, `${label}: ran on the pool`);
          }
        }
      }
    });
  }

  it('keeps the weights placed in the shared memory from one call to the next (and gives the same bits each time)', async () => {
    await initEngine({ threads: 2, relaxed: false });
    const [m, n, k] = [64, 768, 256];
    const { b, q } = weight(k, n, false, 77);
    const want = new Float32Array(m * n);
    const a = values(m * k, 78);
    int8Reference({ m, n, k, a, b, c: want }, q);
    for (let call = 0; call < 6; call++) {
      const got = new Float32Array(m * n);
      gemm({ m, n, k, a, b, c: got });
      assert.deepEqual(bits(got), bits(want), `call ${call}`);
    }
    // The values behind the same buffer read by the float GEMM are untouched (a float product of the dequantized weights).
    const float = new Float32Array(m * n);
    gemm({ m, n, k, a, b: Float32Array.from(b), c: float });
    const ref = new Float32Array(m * n);
    gemmReference({ m, n, k, a, b: dequantizeMatrix(q), c: ref });
    for (let i = 0; i < ref.length; i++) assert.ok(Math.abs((float[i] as number) - (ref[i] as number)) < 1e-3, `float product [${i}]`);
  });

  for (const threads of [1, 2, 4]) {
    it(`${threads} thread(s): greedy decoding's pick over int8 weights runs on the logits where the product left them and gives the general path's words and log-probabilities, bit for bit`, async () => {
      await initEngine({ threads, relaxed: false });
      const skip: [number, number] = [0, 2];
      let seed = 500;
      // n a multiple of 4 (the logits rows unpadded): fused; 1002: the general path.
      for (const [m, n, k, fused] of [[1, 5000, 256, true], [64, 5000, 256, true], [9, 1000, 300, true], [5, 1002, 512, false]] as const) {
        for (const transB of [false, true]) {
          const { b } = weight(k, n, transB, seed++);
          const x = new Tensor(values(m * k, seed++, 2), [m, k]);
          const w = new Tensor(b, transB ? [n, k] : [k, n]);
          const bias = new Tensor(values(n, seed++), [n]);
          const label = `${m}x${n}x${k} transB ${transB}, ${threads} threads`;
          // The kernel itself: it runs (the first calls of a shape go to the pool; on one thread, on the one-thread instance) or declines.
          const out: PickRows = { max: new Float64Array(m), sum: new Float64Array(m), best: new Int32Array(m), bestLogit: new Float32Array(m), ok: new Uint8Array(m), ties: new Map() };
          const jobs = enginePoolJobs();
          const ran = int8GreedyPick({ m, n, k, a: x.data, b, c: new Float32Array(0), transB }, bias.data, skip[0], skip[1], out);
          assert.equal(ran, fused, `${label}: the fused kernel ran`);
          if (ran && threads > 1) assert.ok(enginePoolJobs() > jobs, `${label}: no job went through the pool`);
          // The logits the general path sees: the int8 product (gemm routes the registered buffer) plus the bias.
          const want = pickFromLogProbs(logSoftmax(linear(x, w, bias, { transposed: transB })), skip);
          if (ran) {
            for (let r = 0; r < m; r++) {
              assert.equal(out.ok[r], 1, `${label}: row ${r} left to the caller`);
              assert.equal(out.best[r], want.words[r], `${label}: row ${r} word`);
              const lp = Math.fround((out.bestLogit[r] as number) - ((out.max[r] as number) + Math.log(out.sum[r] as number)));
              assert.ok(Object.is(lp, want.logProbs[r]), `${label}: row ${r} log-prob ${lp} vs ${want.logProbs[r]}`);
            }
          }
          // The op models call (ops/pick.ts), fused or not, against the same general path.
          if (!transB) {
            const got = greedyPick(x, w, bias, skip);
            assert.deepEqual(Array.from(got.words), Array.from(want.words), `${label}: greedyPick words`);
            for (let r = 0; r < m; r++) assert.ok(Object.is(got.logProbs[r], want.logProbs[r]), `${label}: greedyPick row ${r}`);
          }
        }
      }
    });
  }

  it('chooses the relaxed int8 build by its own self-test, whatever the float build', async () => {
    const info = await initEngine({ threads: 2 });
    const relaxed = build('int8-relaxed');
    const relaxedMt = build('int8-relaxed-mt');
    const usable = (WebAssembly.validate(relaxed) || (await enableRelaxedSimd(relaxed))) && WebAssembly.validate(relaxedMt);
    const plain = await Int8Gemm.create(build('int8-simd'));
    const passes = usable && selfTest(plain, await Int8Gemm.create(relaxed)) === null && selfTest(plain, await Int8Gemm.create(relaxedMt, true)) === null;
    assert.equal(int8Info().backend, passes ? 'int8-relaxed-simd' : 'int8-simd');
    assert.equal(int8Info().threads, 2);
    // The float engine's choice is its own (relaxed madd validates on Node 20 once the flag is set).
    assert.equal(info.backend, 'wasm-relaxed-simd');
    // Whichever flavour: the pool's products are the reference's, bit for bit.
    const { b, q } = weight(256, 5000, true, 90);
    const a = values(64 * 256, 91);
    const got = new Float32Array(64 * 5000);
    const want = new Float32Array(64 * 5000);
    gemm({ m: 64, n: 5000, k: 256, a, b, c: got, transB: true });
    int8Reference({ m: 64, n: 5000, k: 256, a, b, c: want, transB: true }, q);
    assert.deepEqual(bits(got), bits(want));
  });
});
