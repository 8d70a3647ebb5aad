/**
 * The training loop. Reads top to bottom like nanoGPT's train.py:
 *
 *   data -> vocabularies -> model -> optimizer -> (resume) -> loop {
 *     batch -> loss (teacher forcing, label smoothing, dropout) -> backward -> clip -> Adam step
 *     every validEvery steps: dev loss, perplexity, BLEU (greedy) -> lr decay on plateau,
 *       best/last checkpoints, early stopping
 *   }
 *
 * Resume is exact: the last checkpoint holds the parameters, Adam's moments (extra tensors) and the
 * training state (step, epoch, batcher state, dropout rng state, best score, lr, plateau counter)
 * as metadata, so an interrupted run continues bit for bit as if it had not stopped.
 *
 * The loop yields to the event loop after every step so Ctrl-C (SIGINT) and progress redraws get
 * through; `requestStop()` makes it save the last checkpoint and return.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tensor } from '../engine/tensor.js';
import type { Adam } from '../engine/optim.js';
import { CheckpointError, encodeCheckpoint, type CheckpointContents } from '../model/checkpoint.js';
import { loadCheckpoint } from '../model/checkpoint-file.js';
import { isQuantized } from '../model/quantize.js';
import { checkModelSize, createModel, loadModel, type TrainableModel } from '../model/model.js';
import type { ModelConfig } from '../model/config.js';
import type { Batcher } from '../data/batcher.js';
import type { Config } from './config.js';
import { prepareData, type PreparedData } from './data.js';
import { makeProgress, type Progress } from './progress.js';
import { freshState, makeBatcher, modelConfigFrom, rngState, TrainingDivergedError, TrainingLoop, type TrainingState } from './loop.js';
import { validate, type ValidationResult } from './validate.js';
import { makeDirs, removeStaleTemps, writeFileAtomic } from '../util/fs.js';
import { InputError } from '../util/errors.js';
import { parseSnapshotFile, takeSnapshot, type AttentionSnapshot } from './snapshot.js';
import { appendValidLog, truncateValidLog } from './valid-log.js';

export { accumulateGradients, modelConfigFrom, TrainingDivergedError, type TrainingState } from './loop.js';

export interface TrainOptions {
  config: Config;
  /**
   * Continue from this checkpoint. Its model must match the config's model section (else an InputError naming the
   * differing keys) unless `checkpointConfig` is set; training keys (lr, maxSteps, dropout...) may change and the
   * log says which did.
   */
  resume?: string;
  /** Resuming: train the checkpoint's model even when the config's model section differs (default false). */
  checkpointConfig?: boolean;
  /**
   * A new run into an outDir that already holds one (last/best checkpoint or valid.jsonl) is refused unless this
   * is set; then the old run's checkpoints and log are deleted first (default false). The same holds for resuming
   * a checkpoint of another run (one outside outDir that was not trained in it) into an outDir that holds a run.
   */
  overwrite?: boolean;
  /** Where log lines go (default: stderr). */
  log?: (line: string) => void;
  /** Progress bar on a TTY (default: process.stderr.isTTY). */
  progress?: boolean;
  /** Called after every step (the demo draws both of its trainings' bars from this). */
  onStep?: (at: { step: number; seconds: number; loss: number; epoch: number }) => void;
  /** Data already prepared (the demo passes it to skip reading files). */
  data?: PreparedData;
  /**
   * Attention snapshots of one sentence: at step 0 (a new training), every `every` steps and at the last
   * step, its greedy translation and attention go into OUT/snapshots.json (rewritten atomically each time).
   */
  snapshot?: { sentence: string; every: number };
}

export type StopReason = 'maxSteps' | 'maxEpochs' | 'maxTime' | 'earlyStopping' | 'interrupted';

/** A training that cannot start as asked (resume from a checkpoint that does not fit, an outDir in use...). */
export class TrainingError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingError';
  }
}

export interface TrainResult {
  steps: number;
  epochs: number;
  stopReason: StopReason;
  bestScore: number | null;
  bestStep: number | null;
  lastCheckpoint: string | null;
  bestCheckpoint: string | null;
  model: TrainableModel;
  /** Seconds spent in this run (not counting earlier runs of a resumed training). */
  seconds: number;
  validations: ValidationResult[];
}

let stopRequested = false;

/** Ask the running training to save its last checkpoint and return (the CLI calls this on SIGINT). */
export function requestStop(): void {
  stopRequested = true;
}

export async function train(opts: TrainOptions): Promise<TrainResult> {
  const cfg = opts.config;
  const t = cfg.training;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  stopRequested = false;

  // A model too big to build is refused before any data is read (the vocabularies can only make it bigger).
  checkModelSize({ ...cfg.model, dropout: t.dropout, srcVocabSize: 5, tgtVocabSize: 5 } as ModelConfig, 'model');

  // Data and vocabularies (from the checkpoint when resuming, so ids stay the same).
  const resumed = opts.resume === undefined ? null : loadCheckpoint(opts.resume);
  if (resumed !== null && isQuantized(resumed)) {
    throw new CheckpointError(opts.resume as string, 'is an int8 checkpoint (attnmt quantize), for decoding only: resume training from the float32 checkpoint it was made from');
  }
  if (resumed !== null) trainingStateOf(resumed, opts.resume as string);
  const data = opts.data ?? prepareData(cfg.data, resumed ?? undefined, log);
  log(`data: ${data.train.length} training pairs, ${data.dev ? `${data.dev.sources.length} dev sources` : 'no dev set'}, vocab ${data.srcVocab.size} source / ${data.tgtVocab.size} target`);

  // Model and optimizer. A resumed run trains the checkpoint's model, which must be the config's (or --checkpoint-config).
  const modelConfig = resumed === null ? modelConfigFrom(cfg, data) : resumedModelConfig(cfg, resumed, opts, log);
  const model = resumed === null ? createModel(modelConfig, t.seed) : loadModel({ ...resumed, config: modelConfig }, opts.resume);
  const params = model.parameters();
  const batcher = makeBatcher(data.train, t);
  const state = resumed === null ? freshState(t.lr, batcher, model) : { ...trainingStateOf(resumed, opts.resume as string) };
  const budget = { plannedSteps: plannedSteps(cfg, batcher), maxTime: t.maxTime };
  const start = performance.now();
  // Seconds of earlier runs (resume) stay fixed; state.seconds is only the value written to checkpoints.
  const priorSeconds = state.seconds;
  const elapsed = (): number => priorSeconds + (performance.now() - start) / 1000;
  const loop = new TrainingLoop(model, batcher, t, state, budget, elapsed);
  const optim = loop.optim;
  if (resumed !== null) restoreTensors(resumed, opts.resume as string, state, optim, batcher, model);
  // A new training.lr replaces the (possibly decayed) rate the checkpoint was at.
  if (resumed !== null && changedSettings(cfg, resumed).some((d) => d.key === 'training.lr')) state.lr = t.lr;
  optim.lr = state.lr;
  log(`model: ${countParams(params)} parameters (${model.summary()})${resumed ? `; resumed at step ${state.step}` : ''}`);

  const lastPath = path.join(t.outDir, 'last.safetensors');
  const bestPath = path.join(t.outDir, 'best.safetensors');
  const validLog = path.join(t.outDir, 'valid.jsonl');

  // A checkpoint of another run is not resumed over the run this outDir holds (unless --overwrite deletes that one).
  if (resumed !== null) checkResumeOutDir(opts.resume as string, resumed, t.outDir, opts.overwrite === true, log);

  // A run that already reached its end is left as it is: resuming it changes nothing.
  const finished = resumed === null ? null : finishedReason(cfg, state, batcher);
  if (finished !== null) {
    log(`resume: the run already finished at step ${state.step} (${finished.why}); nothing to do, nothing written`);
    return {
      steps: state.step, epochs: batcher.epoch + (batcher.epochDone ? 1 : 0), stopReason: finished.reason,
      bestScore: state.bestScore, bestStep: state.bestStep, lastCheckpoint: null, bestCheckpoint: null, model, seconds: 0, validations: [],
    };
  }

  makeDirs(t.outDir);
  const stale = removeStaleTemps(t.outDir);
  if (stale.length > 0) log(`removed ${stale.length} temporary file${stale.length > 1 ? 's' : ''} an interrupted save left: ${stale.join(', ')}`);
  if (resumed === null) prepareFreshOutDir(t.outDir, opts.overwrite === true, log);
  else {
    const torn = truncateValidLog(validLog, state.step);
    if (torn > 0) log(`resume: removed ${torn} torn line${torn > 1 ? 's' : ''} (a crash in the middle of a write) from ${validLog}`);
  }
  writeFileAtomic(path.join(t.outDir, 'config.json'), `${JSON.stringify(cfg, null, 2)}\n`);

  /**
   * The current training state, encoded once and written (atomically) to every file given. Weights that are not
   * finite (an update that overflowed) are a TrainingDivergedError instead: nothing is written.
   */
  const save = (...files: string[]): void => {
    checkWeights();
    const bytes = encodeCheckpoint({
      config: modelConfig,
      srcVocab: data.srcVocab,
      tgtVocab: data.tgtVocab,
      tokenizer: data.tokenizer,
      params,
      extraTensors: optimizerTensors(optim),
      metadata: {
        training: { ...state, batcher: batcher.state(), dropoutRng: rngState(model) }, adamStep: optim.state().step, decoding: cfg.decoding,
        // What the run was asked to do, so a resume can say which settings changed.
        settings: { data: cfg.data, training: cfg.training },
      },
    });
    for (const file of files) writeFileAtomic(file, bytes);
    savedStep = state.step;
  };

  /** A TrainingDivergedError at the first weight that is NaN or infinite. */
  function checkWeights(): void {
    for (const [name, p] of params) {
      const w = p.data;
      for (let i = 0; i < w.length; i++) if (!Number.isFinite(w[i])) throw TrainingDivergedError.at(state.step, `weight ${name}[${i}] is ${w[i]} after the update`, t);
    }
  }

  const validEvery = t.validEvery > 0 ? t.validEvery : Math.max(1, Math.round(batcher.batchesPerEpoch / t.accumulate));
  const progress: Progress = makeProgress({ tty: opts.progress ?? process.stderr.isTTY === true, budget, log, logEvery: t.logEvery });
  const validations: ValidationResult[] = [];
  const snapshots = opts.snapshot === undefined ? null : startSnapshots(opts.snapshot, path.join(t.outDir, 'snapshots.json'), state.step);
  let windowLoss = 0;
  let windowTokens = 0;
  let lastSaved = -1;
  // The step of the newest checkpoint on disk (null: none yet), named when the training diverges.
  let savedStep: number | null = resumed === null ? null : state.step;

  let stopReason: StopReason;
  try {
    stopReason = await trainSteps();
  } catch (e) {
    progress.stop();
    if (!(e instanceof TrainingDivergedError)) throw e;
    const kept = savedStep === null ? 'no checkpoint written' : `the checkpoints in ${t.outDir} are those of step ${savedStep}, untouched`;
    throw new TrainingDivergedError(e.step, `${e.message} (${kept})`);
  }
  progress.stop();
  log(`stopped after step ${state.step} (${stopReason}); ${state.bestScore === null ? '' : `best ${t.validMetric} ${state.bestScore.toFixed(2)} at step ${state.bestStep}; `}${t.keepLast ? `last checkpoint ${lastPath}` : ''}`);

  return {
    steps: state.step,
    epochs: batcher.epoch + (batcher.epochDone ? 1 : 0),
    stopReason,
    bestScore: state.bestScore,
    bestStep: state.bestStep,
    lastCheckpoint: t.keepLast ? lastPath : null,
    bestCheckpoint: t.keepBest && state.bestStep !== null ? bestPath : null,
    model,
    seconds: (performance.now() - start) / 1000,
    validations,
  };

  /** The steps, validations and checkpoints until a stop condition; then the final validation and last checkpoint. */
  async function trainSteps(): Promise<StopReason> {
    let stopReason: StopReason | null = null;
    while (stopReason === null) {
      // One optimizer step: the gradients of `accumulate` batches, as the mean over all their target tokens.
      const { ntokens, nll } = loop.step();
      windowLoss += nll;
      windowTokens += ntokens;
      progress.update(state.step, { loss: windowLoss / windowTokens, lr: optim.lr, epoch: batcher.epoch + 1, tokens: state.tokens, seconds: elapsed() });
      opts.onStep?.({ step: state.step, seconds: elapsed(), loss: windowLoss / windowTokens, epoch: batcher.epoch + 1 });
      if (snapshots !== null && state.step % snapshots.every === 0) snapshots.take(windowLoss / windowTokens);
      if (state.step % t.logEvery === 0) {
        windowLoss = 0;
        windowTokens = 0;
      }

      // Validation, lr decay, checkpoints, early stopping.
      if (state.step % validEvery === 0) {
        const v = validateAndSave();
        if (t.earlyStopping.patience > 0 && v !== null && state.sinceBest >= t.earlyStopping.patience) stopReason = 'earlyStopping';
      }

      // Stop conditions.
      if (stopReason !== null) break;
      if (t.maxSteps > 0 && state.step >= t.maxSteps) stopReason = 'maxSteps';
      // Epochs finished (an accumulated step may have crossed into the next one).
      else if (t.maxEpochs > 0 && batcher.epoch + (batcher.epochDone ? 1 : 0) >= t.maxEpochs) stopReason = 'maxEpochs';
      else if (t.maxTime > 0 && elapsed() >= t.maxTime) stopReason = 'maxTime';
      else {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (stopRequested) stopReason = 'interrupted';
      }
    }

    // The trained model's snapshot, when the last step was not a snapshot step.
    if (snapshots !== null && state.step % snapshots.every !== 0) snapshots.take(windowTokens > 0 ? windowLoss / windowTokens : null);
    // Final validation (unless the last step just had one) and last checkpoint.
    if (stopReason !== 'interrupted' && stopReason !== 'earlyStopping' && state.step % validEvery !== 0) validateAndSave();
    state.seconds = elapsed();
    if (t.keepLast && lastSaved !== state.step) save(lastPath);
    return stopReason;
  }

  /**
   * The snapshots of a run: earlier ones kept from the file when resuming (same sentence, steps up to
   * the resumed one), the untrained model's at step 0 of a new run.
   */
  function startSnapshots(o: { sentence: string; every: number }, file: string, step: number): { every: number; take: (loss: number | null) => void } {
    let list: AttentionSnapshot[] = [];
    if (step > 0 && fs.existsSync(file)) {
      const old = parseSnapshotFile(fs.readFileSync(file, 'utf8'), file);
      if (old.sentence === o.sentence) list = old.snapshots.filter((x) => x.step <= step);
    }
    const take = (loss: number | null): void => {
      const snap = takeSnapshot({ model, srcVocab: data.srcVocab, tgtVocab: data.tgtVocab, codec: data.codec }, o.sentence, { step: state.step, seconds: elapsed(), loss }, cfg.decoding.maxLenRatio);
      list = [...list.filter((x) => x.step !== snap.step), snap];
      writeFileAtomic(file, `${JSON.stringify({ sentence: o.sentence, every: o.every, snapshots: list })}\n`);
    };
    if (step === 0) take(null);
    return { every: o.every, take };
  }

  /** Validate on the dev set (if any), update lr/best/patience, write checkpoints and the JSONL log. */
  function validateAndSave(): ValidationResult | null {
    progress.pause();
    const files: string[] = [];
    let v: ValidationResult | null = null;
    if (data.dev !== undefined) {
      checkWeights();
      v = validate(model, data.dev, data.srcVocab, data.tgtVocab, data.codec, { step: state.step, epoch: batcher.epoch + 1, lr: optim.lr, maxLenRatio: cfg.decoding.maxLenRatio });
      // A loss beyond exp's range (perplexity Infinity: over 709 nats a token) is no model either: weights blown up by an update.
      if (!Number.isFinite(v.perplexity)) throw TrainingDivergedError.at(state.step, `the validation loss is ${v.loss} nats a token (perplexity ${v.perplexity})`, t);
      validations.push(v);
      const { improved, decayedTo } = loop.recordScore(t.validMetric === 'bleu' ? v.bleu : -v.loss);
      if (decayedTo !== null) log(`lr decayed to ${decayedTo.toExponential(2)}`);
      appendValidLog(validLog, { ...v, best: improved, seconds: Math.round(elapsed() * 10) / 10 });
      log(`valid step ${v.step}: loss ${v.loss.toFixed(3)} ppl ${v.perplexity.toFixed(2)} BLEU ${v.bleu.toFixed(2)}${improved ? ' (best)' : ''}`);
      if (improved && t.keepBest) files.push(bestPath);
    }
    if (t.keepLast) {
      files.push(lastPath);
      lastSaved = state.step;
    }
    if (t.keepCheckpoints > 0) files.push(path.join(t.outDir, `step-${state.step}.safetensors`));
    if (files.length > 0) {
      state.seconds = elapsed();
      save(...files);
    }
    if (t.keepCheckpoints > 0) pruneStepCheckpoints(t.outDir, t.keepCheckpoints);
    progress.resume();
    return v;
  }
}

/** Delete all but the newest `keep` step-<step>.safetensors files of `dir`. */
export function pruneStepCheckpoints(dir: string, keep: number): void {
  const steps = fs
    .readdirSync(dir)
    .map((f) => /^step-(\d+)\.safetensors$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  for (const step of steps.slice(keep)) fs.rmSync(path.join(dir, `step-${step}.safetensors`), { force: true });
}

/** The training state of a checkpoint; an averaged or exported model has none (a TrainingError naming `file`). */
function trainingStateOf(c: CheckpointContents, file: string): TrainingState {
  const s = (c.metadata ?? {})['training'] as TrainingState | undefined;
  if (s === undefined || s === null || typeof s !== 'object' || typeof s.step !== 'number' || typeof s.batcher !== 'object' || !Array.isArray(s.dropoutRng)) {
    throw new TrainingError(`${file}: cannot resume: the checkpoint has no training state (an averaged or exported model?); resume from a last.safetensors written by \`attnmt train\``);
  }
  return s;
}

/** Restore optimizer moments, batcher position and dropout rng from a checkpoint. */
function restoreTensors(c: CheckpointContents, file: string, s: TrainingState, optim: Adam, batcher: Batcher, model: TrainableModel): void {
  const meta = c.metadata ?? {};
  const tensors = new Map<string, Float32Array>();
  for (const [name, tensor] of c.extraTensors ?? new Map<string, Tensor>()) {
    if (name.startsWith('optim.')) tensors.set(name.slice('optim.'.length), tensor.data);
  }
  try {
    optim.loadState({ step: Number(meta['adamStep'] ?? s.step), tensors });
    batcher.setState(s.batcher);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new TrainingError(`${file}: cannot resume: ${e instanceof Error ? e.message : String(e)} (was it trained on this corpus with these batch settings?)`);
  }
  model.rng.setState(s.dropoutRng.map((v) => (v === null ? NaN : v)));
}

/** Model keys that are not architecture: vocabulary sizes come from the checkpoint, dropout from training.dropout. */
const NOT_ARCHITECTURE = new Set(['srcVocabSize', 'tgtVocabSize', 'dropout']);

/**
 * The model a resumed run trains: the checkpoint's architecture with the run's dropout. If the config's model
 * section differs from the checkpoint's, that is a TrainingError naming the keys, unless opts.checkpointConfig.
 * Logs the training and data settings that changed since the checkpoint was written.
 */
function resumedModelConfig(cfg: Config, c: CheckpointContents, opts: TrainOptions, log: (line: string) => void): ModelConfig {
  const file = opts.resume as string;
  const wanted = modelConfigFrom(cfg, { srcVocab: c.srcVocab, tgtVocab: c.tgtVocab });
  const differing = differences({ ...c.config, arch: c.config.arch ?? 'rnn' }, { ...wanted, arch: wanted.arch ?? 'rnn' }, 'model').filter((d) => !NOT_ARCHITECTURE.has(d.key.slice('model.'.length)));
  const listed = differing.map((d) => `${d.key} ${show(d.before)} in the checkpoint, ${show(d.after)} in the config`).join('; ');
  if (differing.length > 0 && opts.checkpointConfig !== true) {
    throw new TrainingError(`${file}: cannot resume: the checkpoint's model differs from the config: ${listed}; pass --checkpoint-config to train the checkpoint's model, or train a new run in another outDir`);
  }
  if (differing.length > 0) log(`resume: training the checkpoint's model (--checkpoint-config); the config's model section differs: ${listed}`);
  const changed = changedSettings(cfg, c);
  if (changed.length > 0) log(`resume: settings changed since the checkpoint: ${changed.map((d) => `${d.key} ${show(d.before)} -> ${show(d.after)}`).join(', ')}`);
  return { ...c.config, dropout: cfg.training.dropout };
}

/** The data and training settings that differ from the ones the checkpoint was trained with (none for old checkpoints). */
function changedSettings(cfg: Config, c: CheckpointContents): Array<{ key: string; before: unknown; after: unknown }> {
  const settings = (c.metadata ?? {})['settings'];
  if (settings === null || typeof settings !== 'object') return [];
  const before = settings as Record<string, unknown>;
  return [...differences(before['training'], cfg.training, 'training'), ...differences(before['data'], cfg.data, 'data')];
}

/** The leaf keys (dotted, under `prefix`) whose values differ between two JSON-like values. */
export function differences(a: unknown, b: unknown, prefix: string): Array<{ key: string; before: unknown; after: unknown }> {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((k) => differences(a[k], b[k], `${prefix}.${k}`));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ key: prefix, before: a, after: b }];
}

function show(v: unknown): string {
  return v === undefined ? '(unset)' : JSON.stringify(v);
}

/** Why a resumed run is already over before its first step (null: it is not). */
function finishedReason(cfg: Config, state: TrainingState, batcher: Batcher): { reason: StopReason; why: string } | null {
  const t = cfg.training;
  if (t.maxSteps > 0 && state.step >= t.maxSteps) return { reason: 'maxSteps', why: `training.maxSteps ${t.maxSteps} reached; raise it to train further` };
  if (t.maxEpochs > 0 && batcher.epoch + (batcher.epochDone ? 1 : 0) >= t.maxEpochs) {
    return { reason: 'maxEpochs', why: `training.maxEpochs ${t.maxEpochs} done; raise it to train further` };
  }
  if (t.maxTime > 0 && state.seconds >= t.maxTime) return { reason: 'maxTime', why: `training.maxTime ${t.maxTime} s used; raise it to train further` };
  if (t.earlyStopping.patience > 0 && state.sinceBest >= t.earlyStopping.patience) {
    return { reason: 'earlyStopping', why: `${state.sinceBest} validations without improvement, training.earlyStopping.patience ${t.earlyStopping.patience}; raise it to train further` };
  }
  return null;
}

/** Files of a training run in an outDir. */
const RUN_FILES = ['last.safetensors', 'best.safetensors', 'valid.jsonl'];

/** The files of a training run in `dir` (none when it does not exist). */
function runFilesIn(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => RUN_FILES.includes(f) || /^step-\d+\.safetensors$/.test(f)).sort();
}

/** Delete the run files of `dir` (--overwrite) and say so. */
function deleteRun(dir: string, files: string[], log: (line: string) => void): void {
  for (const f of files) fs.rmSync(path.join(dir, f), { force: true });
  log(`overwrite: deleted ${files.join(', ')} of the previous run in ${dir}`);
}

/**
 * Resuming `file` into `dir`: the checkpoint belongs to the run `dir` holds when it lies in `dir` or was trained
 * there (its recorded training.outDir). Otherwise a run in `dir` (checkpoints, valid.jsonl, config.json) is another
 * one, which the resume would overwrite: refused naming the files and what differs, unless `overwrite` (its
 * checkpoints and log are deleted; the checkpoint's run continues in `dir`).
 */
function checkResumeOutDir(file: string, c: CheckpointContents, dir: string, overwrite: boolean, log: (line: string) => void): void {
  const settings = (c.metadata ?? {})['settings'] as { data?: unknown; training?: { outDir?: unknown } } | undefined;
  const trainedIn = typeof settings?.training?.outDir === 'string' ? settings.training.outDir : null;
  if (sameDir(path.dirname(file), dir) || (trainedIn !== null && sameDir(trainedIn, dir))) return;
  const files = runFilesIn(dir);
  const configFile = path.join(dir, 'config.json');
  const hasConfig = fs.existsSync(configFile);
  if (files.length === 0 && !hasConfig) return;
  if (overwrite) {
    if (files.length > 0) deleteRun(dir, files, log);
    return;
  }
  const differing: string[] = [trainedIn === null ? 'the checkpoint does not say where it was trained' : `the checkpoint was trained in ${trainedIn}`];
  if (hasConfig) {
    let other: Partial<Config> | null = null;
    try {
      other = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Partial<Config>;
    } catch {
      // An unreadable config.json still marks the directory as used; the files say enough.
    }
    if (other !== null) {
      const model = differences({ ...c.config, arch: c.config.arch ?? 'rnn' }, { ...other.model, arch: other.model?.arch ?? 'rnn' }, 'model').filter((d) => d.after !== undefined && !NOT_ARCHITECTURE.has(d.key.slice('model.'.length)));
      const rest = [...differences(settings?.data, other.data, 'data'), ...differences(settings?.training, other.training, 'training')].filter((d) => d.key !== 'training.outDir' && d.before !== undefined);
      differing.push(...[...model, ...rest].map((d) => `${d.key} ${show(d.before)} in the checkpoint, ${show(d.after)} in ${configFile}`));
    }
  }
  const listed = differing.length > 4 ? `${differing.slice(0, 4).join('; ')}; and ${differing.length - 4} more` : differing.join('; ');
  throw new TrainingError(`${dir}: holds another run than ${file} (${[...files, ...(hasConfig ? ['config.json'] : [])].join(', ')}; ${listed}): resuming would overwrite it; resume into another --out, or pass --overwrite to delete its checkpoints and log and continue ${file} in ${dir}`);
}

/** True when `a` and `b` name the same directory (symbolic links resolved where they exist). */
function sameDir(a: string, b: string): boolean {
  const real = (d: string): string => {
    try {
      return fs.realpathSync(d);
    } catch {
      return path.resolve(d);
    }
  };
  return real(a) === real(b);
}

/**
 * A new run's outDir must not hold another run (its best checkpoint would survive under the new one's name):
 * refused unless `overwrite`, which deletes the old run's checkpoints and log.
 */
function prepareFreshOutDir(dir: string, overwrite: boolean, log: (line: string) => void): void {
  const present = runFilesIn(dir);
  if (present.length === 0) return;
  if (!overwrite) {
    throw new TrainingError(`${dir}: already holds a training run (${present.join(', ')}): continue it with --resume, or start over with --overwrite (deletes them)`);
  }
  deleteRun(dir, present, log);
}

function optimizerTensors(optim: Adam): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [name, data] of optim.state().tensors) out.set(`optim.${name}`, tensorOf(data, name));
  return out;
}

function tensorOf(data: Float32Array, name: string): Tensor {
  return new Tensor(data, [data.length], { name });
}

function countParams(params: Map<string, Tensor>): string {
  let n = 0;
  for (const p of params.values()) n += p.size;
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(1)}k`;
}

/** Steps the run is planned to take (0: no step limit), for the progress bar and the linear schedule. */
function plannedSteps(cfg: Config, batcher: Batcher): number {
  const byEpochs = cfg.training.maxEpochs > 0 ? Math.ceil((cfg.training.maxEpochs * batcher.batchesPerEpoch) / cfg.training.accumulate) : 0;
  const bySteps = cfg.training.maxSteps;
  if (byEpochs > 0 && bySteps > 0) return Math.min(byEpochs, bySteps);
  return byEpochs || bySteps;
}

