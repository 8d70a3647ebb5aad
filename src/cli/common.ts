/**
 * Pieces every sub-command shares: starting the compute engine, loading a model for translation,
 * reading input lines and writing output files atomically.
 */
import * as fs from 'node:fs';
import { initEngine, shutdownEngine, type EngineInfo } from '../engine/engine.js';
import { loadCheckpoint, loadModel, type CheckpointContents } from '../model/checkpoint.js';
import { codecFrom } from '../train/data.js';
import type { ModelParts, TranslatorParts } from '../train/translator.js';
import { textDifference } from '../model/average.js';
import { Ensemble } from '../model/ensemble.js';
import { UserError } from './errors.js';
import { splitLines } from '../eval/references.js';

/**
 * Start the engine once (WebAssembly GEMM, `threads` threads; 0 = default). When the kernels are
 * not built, say so and continue with the TypeScript GEMM.
 */
export async function startEngine(threads: number, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<EngineInfo> {
  try {
    return await initEngine(threads > 0 ? { threads } : {});
  } catch (err) {
    log(`engine: WebAssembly kernels unavailable, using the TypeScript GEMM (slower): ${err instanceof Error ? err.message : String(err)}`);
    return { backend: 'js', threads: 1 };
  }
}

export async function stopEngine(): Promise<void> {
  await shutdownEngine();
}

export interface LoadedModel extends ModelParts {
  checkpoint: CheckpointContents;
}

/** Load a checkpoint for translation; a missing or bad file is the user's error. */
export function loadTranslator(file: string): LoadedModel {
  if (!fs.existsSync(file)) throw new UserError(`${file}: no such model file`);
  const checkpoint = loadCheckpoint(file);
  const model = loadModel(checkpoint);
  return { model, srcVocab: checkpoint.srcVocab, tgtVocab: checkpoint.tgtVocab, codec: codecFrom(checkpoint.tokenizer), checkpoint };
}

/** The files of a variadic `--model <files...>` flag. */
export function modelFiles(opts: Record<string, unknown>): string[] {
  const v = opts['model'];
  return Array.isArray(v) ? v.map(String) : [String(v)];
}

/**
 * Load one model, or several as an ensemble (they must share the vocabularies and the tokenizer; the
 * error names the file that differs). `checkpoint` is the first file's (its decoding settings apply).
 */
export function loadTranslators(files: readonly string[]): TranslatorParts & { checkpoint: CheckpointContents } {
  const [first, ...rest] = files;
  if (first === undefined) throw new UserError('no model file given');
  const base = loadTranslator(first);
  if (rest.length === 0) return base;
  const models = [base.model];
  for (const file of rest) {
    const other = loadTranslator(file);
    const why = textDifference(base.checkpoint, other.checkpoint);
    if (why !== null) throw new UserError(`${file}: cannot decode in an ensemble with ${first}: ${why}`);
    models.push(other.model);
  }
  return { ...base, model: new Ensemble(models) };
}

/** Lines of a file (or of stdin when `file` is undefined), without the final newline. */
export function readInputLines(file: string | undefined): string[] {
  let text: string;
  if (file === undefined) {
    text = fs.readFileSync(0, 'utf8');
  } else {
    if (!fs.existsSync(file)) throw new UserError(`${file}: no such input file`);
    text = fs.readFileSync(file, 'utf8');
  }
  return splitLines(text);
}

export { writeFileAtomic } from '../util/fs.js';

/** A flag value that must be a number (commander gives strings for options without a parser). */
export function numberOption(opts: Record<string, unknown>, key: string): number | undefined {
  const v = opts[key];
  return typeof v === 'number' ? v : undefined;
}

export function stringOption(opts: Record<string, unknown>, key: string): string | undefined {
  const v = opts[key];
  return typeof v === 'string' ? v : undefined;
}
