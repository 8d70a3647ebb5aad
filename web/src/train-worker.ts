/**
 * One "Train here" training (the attention model or the fixed-context baseline) in a dedicated Web
 * Worker: generates the demo's seed corpus, builds the demo's config (src/train/demo-config.ts) and
 * steps the same training loop as `attnmt train` (src/train/loop.ts): dropout, label smoothing,
 * clipping, Adam, validation BLEU on the dev set every validEvery steps with lr decay on plateau.
 * Every REPORT_MS it posts the progress and the attention of the demo sentence; it pauses, resumes
 * and hands out the trained model as .safetensors bytes that `attnmt translate` loads.
 */
import { splitSeedCorpus } from '../../src/data/seed-corpus.js';
import { encodeCheckpoint } from '../../src/model/checkpoint.js';
import { createModel } from '../../src/model/model.js';
import { configWithDefaults } from '../../src/train/config-schema.js';
import { DEMO_CORPUS, DEMO_SENTENCE, demoConfig } from '../../src/train/demo-config.js';
import { freshState, makeBatcher, modelConfigFrom, TrainingLoop } from '../../src/train/loop.js';
import { preparePairs } from '../../src/train/prepare.js';
import { takeSnapshot } from '../../src/train/snapshot.js';
import { validate } from '../../src/train/validate.js';
import { startEngine } from './engine-start.js';
import type { TrainReply, TrainRequest } from './train-here.js';

/** How often the page hears from a training (and gets a new attention matrix). */
const REPORT_MS = 2000;
/** Longest run of steps between looks at the message queue (pause, download). */
const SLICE_MS = 100;

type Session = Awaited<ReturnType<typeof setUp>>;

let session: Session | null = null;
let paused = false;
let running = false;

function post(reply: TrainReply, transfer: Transferable[] = []): void {
  self.postMessage(reply, { transfer });
}

async function setUp(req: Extract<TrainRequest, { type: 'start' }>) {
  const engine = await startEngine();
  const t0 = performance.now();
  const cfg = configWithDefaults(demoConfig(req.role, 'in-browser', 0, req.seed));
  const { train, dev } = splitSeedCorpus(req.seed, DEMO_CORPUS);
  const data = preparePairs(cfg.data, train, dev, undefined, () => {}, 'the seed corpus');
  const model = createModel(modelConfigFrom(cfg, data), cfg.training.seed);
  const batcher = makeBatcher(data.train, cfg.training);
  const state = freshState(cfg.training.lr, batcher, model);
  let trainSeconds = 0;
  let since = 0;
  const elapsed = (): number => trainSeconds + (since > 0 ? (performance.now() - since) / 1000 : 0);
  const loop = new TrainingLoop(model, batcher, cfg.training, state, { plannedSteps: 0, maxTime: 0 }, elapsed);
  return {
    cfg,
    data,
    model,
    loop,
    engine,
    prepareSeconds: (performance.now() - t0) / 1000,
    elapsed,
    /** Start or stop the training clock (paused time does not count). */
    clock(on: boolean): void {
      if (on && since === 0) since = performance.now();
      if (!on && since > 0) {
        trainSeconds += (performance.now() - since) / 1000;
        since = 0;
      }
    },
  };
}

/** The attention of the demo sentence now, as the page draws it. */
function snapshot(s: Session, loss: number | null) {
  return takeSnapshot({ model: s.model, srcVocab: s.data.srcVocab, tgtVocab: s.data.tgtVocab, codec: s.data.codec }, DEMO_SENTENCE, { step: s.loop.state.step, seconds: s.elapsed(), loss }, s.cfg.decoding.maxLenRatio);
}

const yieldToMessages = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/** Train until paused: steps in slices, a report every REPORT_MS, validation every validEvery steps. */
async function run(s: Session): Promise<void> {
  if (running) return;
  running = true;
  s.clock(true);
  const t = s.cfg.training;
  let windowNll = 0;
  let windowTokens = 0;
  let windowSteps = 0;
  let windowStart = performance.now();
  let lastReport = performance.now();
  try {
    while (!paused) {
      const sliceEnd = performance.now() + SLICE_MS;
      while (performance.now() < sliceEnd) {
        const r = s.loop.step();
        windowNll += r.nll;
        windowTokens += r.ntokens;
        windowSteps++;
        if (s.loop.state.step % t.validEvery === 0 && s.data.dev !== undefined) {
          const v = validate(s.model, s.data.dev, s.data.srcVocab, s.data.tgtVocab, s.data.codec, { step: s.loop.state.step, epoch: s.loop.batcher.epoch + 1, lr: r.lr, maxLenRatio: s.cfg.decoding.maxLenRatio });
          const { improved, decayedTo } = s.loop.recordScore(t.validMetric === 'bleu' ? v.bleu : -v.loss);
          post({ type: 'validation', step: v.step, bleu: v.bleu, loss: v.loss, best: improved, lr: decayedTo ?? s.loop.state.lr });
        }
      }
      const now = performance.now();
      if (now - lastReport >= REPORT_MS) {
        const loss = windowTokens > 0 ? windowNll / windowTokens : null;
        post({ type: 'progress', step: s.loop.state.step, seconds: s.elapsed(), loss, stepsPerSecond: windowSteps / ((now - windowStart) / 1000), lr: s.loop.optim.lr, epoch: s.loop.batcher.epoch + 1, snapshot: snapshot(s, loss) });
        windowNll = 0;
        windowTokens = 0;
        windowSteps = 0;
        windowStart = performance.now();
        lastReport = windowStart;
      }
      await yieldToMessages();
    }
  } finally {
    s.clock(false);
    running = false;
  }
  post({ type: 'paused', step: s.loop.state.step, seconds: s.elapsed(), snapshot: snapshot(s, null) });
}

function checkpointBytes(s: Session): Uint8Array<ArrayBuffer> {
  const bytes = encodeCheckpoint({
    config: s.model.config,
    srcVocab: s.data.srcVocab,
    tgtVocab: s.data.tgtVocab,
    tokenizer: s.data.tokenizer,
    params: s.model.parameters(),
    metadata: { decoding: s.cfg.decoding, trainedIn: 'browser', steps: s.loop.state.step, seconds: Math.round(s.elapsed() * 10) / 10 },
  });
  const out = new Uint8Array(bytes.byteLength);
  out.set(bytes);
  return out;
}

async function handle(req: TrainRequest): Promise<void> {
  switch (req.type) {
    case 'start': {
      if (session !== null) throw new Error('this worker is already training');
      const s = await setUp(req);
      session = s;
      post({
        type: 'ready',
        role: req.role,
        engine: s.engine,
        parameters: s.model.parameterCount(),
        summary: s.model.summary(),
        trainPairs: s.data.train.length,
        prepareSeconds: s.prepareSeconds,
        snapshot: snapshot(s, null),
      });
      paused = false;
      void run(s).catch(fail);
      return;
    }
    case 'pause':
      paused = true;
      return;
    case 'resume':
      if (session === null) throw new Error('nothing to resume: training has not started');
      paused = false;
      void run(session).catch(fail);
      return;
    case 'checkpoint': {
      if (session === null) throw new Error('no model yet: training has not started');
      const bytes = checkpointBytes(session);
      post({ type: 'checkpoint', id: req.id, step: session.loop.state.step, bytes }, [bytes.buffer]);
      return;
    }
  }
}

function fail(err: unknown): void {
  post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
}

self.addEventListener('message', (e: MessageEvent<TrainRequest>) => {
  handle(e.data).catch(fail);
});
