/**
 * One training step of the Multi30k Transformer (configs/multi30k-en-de-transformer.yaml's model: dModel 256,
 * 4 heads, ffn 1024, 3+3 layers, pre-norm, dropout 0.2, attention dropout 0.1, tied embeddings over a joint
 * vocabulary of 10,000) on a batch of about 3000 target tokens (230 seeded random sentence pairs of 8 to 18
 * words), with Adam: forward, backward, update. Unlike bench/model.ts (batch 64 x 15, no dropout) it runs
 * the training configuration the issue 13 profile was taken on.
 *
 * It can run another build's engine and model (`--dist DIR`, a dist/ directory with the same layout), so two
 * builds are compared on the same steps: the losses and a checksum of the parameters it prints must then be
 * equal when both compute the same thing (same seeds, same dropout masks).
 *
 *   node dist/bench/train-step.js                       this build; prints one JSON line
 *   node dist/bench/train-step.js --dist /work/main/dist --steps 8 --threads 1
 *   {"dist":..,"threads":..,"tokens":..,"train_step_ms":..,"spread_ms":[min,max],"cpu_ms":..,"losses":[..],"checksum":..}
 *
 * train_step_ms is the median wall time of a step, cpu_ms the median CPU time of the process over a step
 * (all its threads: on a machine shared with other work it moves less than the wall time).
 */
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { importFrom, loadEngineModules, median, timedStep, type EngineModules } from './dist-modules.js';

type Mods = EngineModules & { model: typeof import('../src/model/transformer/model.js') };

const VOCAB = 10000;
const SENTENCES = 230;

async function load(dist: string): Promise<Mods> {
  return { ...(await loadEngineModules(dist)), model: await importFrom(dist, 'src/model/transformer/model.js') };
}


async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const dist = resolve(opt('--dist') ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const steps = Number(opt('--steps') ?? 8);
  const threads = Number(opt('--threads') ?? 2);
  const m = await load(dist);
  await m.engine.initEngine({ threads });
  const config = m.config.parseTransformerConfig({
    arch: 'transformer', encoderLayers: 3, decoderLayers: 3, dModel: 256, heads: 4, ffn: 1024, norm: 'pre',
    attentionDropout: 0.1, dropout: 0.2, tieAllEmbeddings: true, srcVocabSize: VOCAB, tgtVocabSize: VOCAB,
  });
  const model = new m.model.Transformer(config, 1);
  const adam = new m.optim.Adam(model.parameters(), { lr: 1e-4 });
  const rng = new m.random.Rng(3);
  const sentence = (): number[] => Array.from({ length: 8 + rng.int(11) }, () => 4 + rng.int(VOCAB - 4));
  const pairs = Array.from({ length: SENTENCES }, () => ({ src: sentence(), tgt: sentence() }));
  const batch = m.batch.makeBatch(pairs, pairs.map((_, i) => i));
  const tape = new m.tensor.Tape();
  model.setTraining(true);
  const times: number[] = [];
  const cpu: number[] = [];
  const losses: number[] = [];
  for (let s = 0; s < steps + 2; s++) {
    const r = timedStep(m, model, adam, tape, batch);
    losses.push(r.loss);
    if (s >= 2) times.push(r.ms);
    if (s >= 2) cpu.push(r.cpu);
  }
  let checksum = 0;
  for (const p of model.parameters().values()) for (let i = 0; i < p.size; i += 97) checksum += (p.data[i] as number) * ((i % 13) + 1);
  await m.engine.shutdownEngine();
  const tokens = batch.ntokens;
  const result = {
    dist, threads, tokens, train_step_ms: Math.round(median(times)), spread_ms: [Math.round(Math.min(...times)), Math.round(Math.max(...times))],
    cpu_ms: Math.round(median(cpu)), losses, checksum,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
