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
 *   npm run bench:output-ce -- --steps [--runs 9]      whole training steps (forward, backward, Adam; 2 threads) with the
 *     fused kernel removed (linear then crossEntropy, as before) and installed, alternating step by step in one process:
 *     bench:model's two reference models (batch 64, lengths 15, V 5000) and a Multi30k-shaped Transformer (joint
 *     vocabulary 8060, all embeddings tied, 200 pairs of 14 + EOS tokens = 3000 target tokens, dropout 0.2,
 *     label smoothing 0.1); median wall and process CPU milliseconds per step
 */
import { makeBatch } from '../src/data/batch.js';
import { initEngine, shutdownEngine } from '../src/engine/engine.js';
import { installedOutputCeKernel, setOutputCeKernel } from '../src/engine/fused/output-ce.js';
import { crossEntropy, linear, outputCrossEntropy } from '../src/engine/ops.js';
import { Adam } from '../src/engine/optim.js';
import { Rng } from '../src/engine/random.js';
import { Tape, Tensor, withTape } from '../src/engine/tensor.js';
import { parseTransformerConfig } from '../src/model/config.js';
import type { TrainableModel } from '../src/model/model.js';
import { Transformer } from '../src/model/transformer/model.js';
import { referenceModel, sentences } from './model.js';

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

/** The Multi30k-shaped Transformer of --steps and its batch of 3000 target tokens. */
function multi30kShaped(): { model: TrainableModel; pairs: number; vocab: number } {
  const config = parseTransformerConfig({
    arch: 'transformer', encoderLayers: 3, decoderLayers: 3, dModel: 256, heads: 4, ffn: 1024, norm: 'pre',
    srcVocabSize: V, tgtVocabSize: V, tieAllEmbeddings: true, dropout: 0.2, attentionDropout: 0.1,
  });
  return { model: new Transformer(config, 1), pairs: 200, vocab: V };
}

/** --steps: training steps with the kernel removed ("before") and installed ("after"), alternating. */
async function steps(runs: number, json: boolean): Promise<void> {
  await initEngine({ threads: 2 });
  const kernel = installedOutputCeKernel();
  const lines = [`training steps, 2 threads, fused kernel removed (before) / installed (after), alternating: median ms of ${runs} steps each [fastest, slowest]`];
  const cases: Array<[string, () => { model: TrainableModel; pairs: number; vocab: number }, number]> = [
    ['bench:model transformer', () => ({ model: referenceModel('transformer'), pairs: 64, vocab: 5000 }), 0],
    ['bench:model rnn', () => ({ model: referenceModel('rnn'), pairs: 64, vocab: 5000 }), 0],
    ['multi30k-shaped transformer', multi30kShaped, 0.1],
  ];
  for (const [name, make, labelSmoothing] of cases) {
    const { model, pairs, vocab } = make();
    const ids = (seed: number): number[][] => sentences(pairs, seed).map((s) => s.map((id) => 4 + ((id - 4) % (vocab - 4))));
    const srcs = ids(1);
    const tgts = ids(2);
    const batch = makeBatch(srcs.map((src, i) => ({ src, tgt: tgts[i] as number[] })), srcs.map((_, i) => i));
    const opt = new Adam(model.parameters(), { lr: 1e-4 });
    const tape = new Tape();
    model.setTraining(true);
    const wall: Record<string, number[]> = { before: [], after: [] };
    const cpu: Record<string, number[]> = { before: [], after: [] };
    for (let r = -1; r < runs; r++) {
      for (const which of r % 2 === 0 ? ['before', 'after'] : ['after', 'before']) {
        setOutputCeKernel(which === 'after' ? kernel : null);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        opt.zeroGrad();
        const loss = withTape(tape, () => model.loss(batch, { labelSmoothing }));
        tape.backward(loss.loss, 1 / loss.ntokens);
        opt.step();
        tape.reset();
        const ms = performance.now() - t0;
        const c = process.cpuUsage(c0);
        if (r < 0) continue; // warm-up
        wall[which]?.push(ms);
        cpu[which]?.push((c.user + c.system) / 1000);
      }
    }
    const show = (xs: number[]): string => `${median(xs).toFixed(0)} [${Math.min(...xs).toFixed(0)}, ${Math.max(...xs).toFixed(0)}]`;
    const b = wall.before as number[];
    const a = wall.after as number[];
    if (json) process.stdout.write(`${JSON.stringify({ case: name, before_ms: median(b), after_ms: median(a), before_cpu_ms: median(cpu.before as number[]), after_cpu_ms: median(cpu.after as number[]) })}\n`);
    lines.push(`  ${name.padEnd(28)} wall before ${show(b)}  after ${show(a)}  ${(median(b) / median(a)).toFixed(2)}x;  CPU before ${show(cpu.before as number[])}  after ${show(cpu.after as number[])}`);
  }
  setOutputCeKernel(kernel);
  await shutdownEngine();
  if (!json) process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  const runsAt = process.argv.indexOf('--runs');
  const runs = runsAt >= 0 ? Number(process.argv[runsAt + 1]) : 9;
  const json = process.argv.includes('--json');
  if (process.argv.includes('--steps')) {
    await steps(runs, json);
    return;
  }
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
