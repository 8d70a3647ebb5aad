/**
 * One training step of bench:model's reference RNN (bench/model.ts `referenceModel('rnn')`: vocabularies
 * 5000/5000, embedding 256, bidirectional GRU encoder 2 x 128, GRU decoder 256, additive attention 256,
 * input feeding, linear bridge, no dropout; batch 64, source and target length 15) with Adam: forward,
 * backward, update, timed as bench:model times it.
 *
 * It can load the engine and model of another build (`--dist DIR`, a dist/ directory of the same layout), or
 * of another build and this one in the same process (`--ab DIR`), stepping them in turn so both see the same
 * load: an A/B on a busy machine. The losses and the parameter checksums must agree when both compute the
 * same thing (bit for bit, or to rounding when a kernel sums in another order).
 *
 *   node dist/bench/rnn-step.js                          this build; prints one JSON line
 *   node dist/bench/rnn-step.js --dist /work/main/dist --steps 8 --threads 2
 *   node dist/bench/rnn-step.js --ab /work/main/dist --steps 12   two lines (other build, this one), then the ratio
 *   {"dist":..,"threads":..,"train_step_ms":..,"spread_ms":[min,max],"cpu_ms":..,"losses":[..],"checksum":..}
 *
 * train_step_ms is the median wall time of a step, cpu_ms the median CPU time of the process over a step.
 */
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { importFrom, loadEngineModules, median, timedStep, type EngineModules } from './dist-modules.js';

type Mods = EngineModules & { model: typeof import('../src/model/seq2seq.js') };

const VOCAB = 5000;
const BATCH = 64;
const LENGTH = 15;
const HIDDEN = 256;

async function load(dist: string): Promise<Mods> {
  return { ...(await loadEngineModules(dist)), model: await importFrom(dist, 'src/model/seq2seq.js') };
}

interface Runner {
  dist: string;
  step(): { ms: number; cpu: number; loss: number };
  checksum(): number;
  stop(): Promise<void>;
}

/** A model and its Adam on the engine of build `dist`, stepping the reference batch. */
async function runner(dist: string, threads: number): Promise<Runner> {
  const m = await load(dist);
  await m.engine.initEngine({ threads });
  const config = m.config.parseRnnConfig({
    rnn: 'gru', layers: 1, bidirectional: true, attention: 'additive', inputFeeding: true, bridge: 'linear',
    embedding: 256, hidden: HIDDEN, attentionHidden: HIDDEN, srcVocabSize: VOCAB, tgtVocabSize: VOCAB, dropout: 0,
  });
  const model = new m.model.Seq2Seq(config, 1);
  const adam = new m.optim.Adam(model.parameters(), { lr: 1e-4 });
  // bench/model.ts `sentences`: seeded ids in [4, vocab), 14 words each.
  const sentences = (n: number, seed: number): number[][] => {
    const rng = new m.random.Rng(seed);
    return Array.from({ length: n }, () => Array.from({ length: LENGTH - 1 }, () => 4 + rng.int(VOCAB - 4)));
  };
  const srcs = sentences(BATCH, 1);
  const tgts = sentences(BATCH, 2);
  const batch = m.batch.makeBatch(srcs.map((src, i) => ({ src, tgt: tgts[i] as number[] })), srcs.map((_, i) => i));
  const tape = new m.tensor.Tape();
  model.setTraining(true);
  return {
    dist,
    step: () => timedStep(m, model, adam, tape, batch),
    checksum() {
      let sum = 0;
      for (const p of model.parameters().values()) for (let i = 0; i < p.size; i += 97) sum += (p.data[i] as number) * ((i % 13) + 1);
      return sum;
    },
    stop: () => m.engine.shutdownEngine(),
  };
}

const round1 = (x: number): number => Math.round(x * 10) / 10;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const here = join(dirname(fileURLToPath(import.meta.url)), '..');
  const steps = Number(opt('--steps') ?? 8);
  const threads = Number(opt('--threads') ?? 2);
  const other = opt('--ab');
  const dists = other === undefined ? [resolve(opt('--dist') ?? here)] : [resolve(other), resolve(here)];
  const runners: Runner[] = [];
  for (const d of dists) runners.push(await runner(d, threads));
  const times = runners.map((): number[] => []);
  const cpu = runners.map((): number[] => []);
  const losses = runners.map((): number[] => []);
  // Alternating: one step of each build in turn (after 2 warm-up steps each).
  for (let s = 0; s < steps + 2; s++) {
    runners.forEach((r, i) => {
      const x = r.step();
      losses[i]?.push(x.loss);
      if (s >= 2) {
        times[i]?.push(x.ms);
        cpu[i]?.push(x.cpu);
      }
    });
  }
  const results = runners.map((r, i) => {
    const t = times[i] as number[];
    return {
      dist: r.dist, threads, train_step_ms: round1(median(t)), spread_ms: [Math.round(Math.min(...t)), Math.round(Math.max(...t))],
      cpu_ms: Math.round(median(cpu[i] as number[])), losses: losses[i], checksum: r.checksum(),
    };
  });
  for (const r of runners) await r.stop();
  for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
  if (results.length === 2) {
    const [a, b] = results as [(typeof results)[0], (typeof results)[0]];
    process.stdout.write(`${JSON.stringify({ ratio_old_over_new: Math.round((a.train_step_ms / b.train_step_ms) * 1000) / 1000, cpu_ratio: Math.round((a.cpu_ms / b.cpu_ms) * 1000) / 1000 })}\n`);
  }
}

await main();
