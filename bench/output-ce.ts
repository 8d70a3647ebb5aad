/**
 * The output layer + cross-entropy of a training step, at the Multi30k Transformer's shape (N = 3000
 * target tokens, dModel 256, V = 8060, tied embeddings: the weight (V, D) used transposed, a bias,
 * label smoothing 0.1, every tenth row padding): forward + backward of
 *   unfused  crossEntropy(linear(h, w, b, { transposed: true }), targets)  (what both models did)
 *   fused    outputCrossEntropy(h, w, b, targets, { transposed: true })     (src/engine/fused/output-ce.ts)
 * in alternating runs in one process, on the engine with 1 and with 2 threads; median milliseconds
 * (and the fastest and slowest run) per forward + backward, and per forward alone (no tape).
 *
 *   npm run bench:output-ce [-- --runs 9] [-- --json]
 *   npm run bench:output-ce -- --only fused|unfused    one of the two (2 threads) and the process's peak RSS
 */
import { initEngine, shutdownEngine } from '../src/engine/engine.js';
import { crossEntropy, linear, outputCrossEntropy } from '../src/engine/ops.js';
import { Rng } from '../src/engine/random.js';
import { Tape, Tensor, withTape } from '../src/engine/tensor.js';

const N = 3000;
const D = 256;
const V = 8060;
const EPS = 0.1;

function param(shape: number[], seed: number, scale: number): Tensor {
  const t = Tensor.zeros(shape, { requiresGrad: true });
  const rng = new Rng(seed);
  for (let i = 0; i < t.size; i++) t.data[i] = rng.uniform(-scale, scale);
  return t;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function main(): Promise<void> {
  const runsAt = process.argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(process.argv[runsAt + 1]) : 9;
  const json = process.argv.includes('--json');
  const h = param([N, D], 1, 1);
  const w = param([V, D], 2, 0.1);
  const b = param([V], 3, 0.1);
  const targets = new Int32Array(N);
  const rng = new Rng(4);
  for (let r = 0; r < N; r++) targets[r] = r % 10 === 9 ? 0 : 1 + Math.floor(rng.uniform(0, V - 1));
  const opts = { labelSmoothing: EPS, ignoreIndex: 0 };
  const all = {
    unfused: () => crossEntropy(linear(h, w, b, { transposed: true }), targets, opts),
    fused: () => outputCrossEntropy(h, w, b, targets, { ...opts, transposed: true }),
  };
  const onlyAt = process.argv.indexOf('--only');
  const only = onlyAt >= 0 ? process.argv[onlyAt + 1] : undefined;
  if (only !== undefined && !(only in all)) throw new Error(`bench/output-ce: --only must be fused or unfused, got ${only}`);
  const impls = only === undefined ? all : { [only]: all[only as keyof typeof all] };
  const step = (fn: () => ReturnType<typeof crossEntropy>, backward: boolean): number => {
    const tape = new Tape();
    const t0 = performance.now();
    if (backward) {
      const r = withTape(tape, fn);
      tape.backward(r.loss);
    } else {
      withTape(null, fn);
    }
    const ms = performance.now() - t0;
    tape.reset();
    return ms;
  };
  const lines: string[] = [`output layer + cross-entropy, N ${N}, D ${D}, V ${V} (tied), eps ${EPS}: median ms of ${runs} alternating runs [fastest, slowest]`];
  for (const threads of only === undefined ? [1, 2] : [2]) {
    await initEngine({ threads });
    for (const backward of [true, false]) {
      const times: Record<string, number[]> = { unfused: [], fused: [] };
      for (const fn of Object.values(impls)) step(fn, backward); // warm-up
      for (let r = 0; r < runs; r++) {
        for (const [name, fn] of r % 2 === 0 ? Object.entries(impls) : Object.entries(impls).reverse()) times[name]?.push(step(fn, backward));
      }
      const what = backward ? 'forward+backward' : 'forward';
      const row = (name: string): string => {
        const xs = times[name] as number[];
        if (json) process.stdout.write(`${JSON.stringify({ impl: name, threads, what, ms: median(xs), spread_ms: [Math.min(...xs), Math.max(...xs)] })}\n`);
        return `${median(xs).toFixed(1)} ms [${Math.min(...xs).toFixed(1)}, ${Math.max(...xs).toFixed(1)}]`;
      };
      if (only !== undefined) {
        lines.push(`  ${threads} thread(s), ${what.padEnd(16)}  ${only} ${row(only)}`);
        continue;
      }
      const u = row('unfused');
      const f = row('fused');
      lines.push(`  ${threads} thread(s), ${what.padEnd(16)}  unfused ${u}   fused ${f}   ${(median(times.unfused as number[]) / median(times.fused as number[])).toFixed(2)}x`);
    }
    await shutdownEngine();
  }
  if (only !== undefined) lines.push(`  peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
  if (!json) process.stdout.write(`${lines.join('\n')}\n`);
}

await main();
