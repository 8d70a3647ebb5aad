/**
 * The one typed configuration of attnmt: a zod schema that gives the runtime check, the TypeScript
 * type (`z.infer`) and the documented defaults. Unknown keys are rejected (every object is strict),
 * bad choices list the valid ones, and every error names the config file and the key path.
 *
 * A config file is YAML or JSON with four sections: `data`, `model`, `training`, `decoding`.
 * Only `data.train` is required; everything else has a default (the comment next to it says why).
 * Command-line flags override the file: they are merged into the raw object before validation, so
 * they are checked by the same schema and their errors name the flag.
 *
 * Data paths written in a config file (data.train, data.dev) are relative to the config file, so a
 * config works from any directory; paths given on the command line are relative to the current one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { consistencyProblem, rnnConfigSchema, transformerConfigSchema } from '../model/config.js';
import { DecodingConfigSchema } from '../translate/settings.js';
import { InputError } from '../util/errors.js';
import { checkInputFile } from '../util/fs.js';

const int = (min: number): z.ZodNumber => z.number().int().min(min);

export const DataConfigSchema = z.strictObject({
  /** Training corpus: a TSV file (format tsv) or a file prefix completed by `.<lang>` for both `langs` (format pair). */
  train: z.string().min(1),
  /** Development corpus, same format as `train`; used for validation loss, perplexity and BLEU. None: no validation. */
  dev: z.string().min(1).optional(),
  /** tsv: one file, one pair per line, TAB-separated columns (extra columns ignored). pair: two line-aligned files. */
  format: z.enum(['tsv', 'pair']).default('tsv'),
  /** tsv: [source column, target column], 0-based (Tatoeba: English in 0, French in 1). */
  columns: z.tuple([int(0), int(0)]).default([0, 1]),
  /** Languages [first, second] (tokenizer spacing rules); format pair also uses them as file suffixes: `train: data/train` reads data/train.en and data/train.fr. */
  langs: z.tuple([z.string().min(1), z.string().min(1)]).default(['en', 'fr']),
  /** forward translates the first column/language into the second; reverse swaps them. */
  direction: z.enum(['forward', 'reverse']).default('forward'),
  /** word: split on spaces and punctuation (small corpora); bpe: byte-pair subwords (open vocabulary). */
  tokenizer: z.enum(['word', 'bpe']).default('word'),
  /** Number of BPE merges learned on the training corpus (tokenizer bpe only). 8000 suits ~100k pairs. */
  bpeMerges: int(1).default(8000),
  /** BPE learned on source and target together (one merge list), useful for related languages. */
  joint: z.boolean().default(false),
  /**
   * One vocabulary for both sides, built from source and target tokens together (what a Transformer's
   * model.tieAllEmbeddings shares between encoder, decoder and output); usually with joint BPE.
   */
  jointVocab: z.boolean().default(false),
  /** Lowercase all text before tokenizing: smaller vocabularies, better for small corpora. */
  lowercase: z.boolean().default(true),
  vocab: z
    .strictObject({
      /** Tokens seen fewer times than this become <unk>. 1 keeps every token. */
      minFreq: int(1).default(1),
      /** Largest vocabulary per side including the 4 special tokens (most frequent kept). */
      maxSize: int(5).default(50000),
    })
    .prefault({}),
  /** Training pairs with more tokens than this on either side are dropped. */
  maxLen: int(1).default(50),
  /** Read at most this many training pairs (0: all); handy for quick runs. */
  limit: int(0).default(0),
  /** Validate on at most this many dev sources (0: all); BLEU needs a full greedy decode of them. */
  devLimit: int(0).default(0),
  /** Skip malformed lines (wrong column count, empty side) with a warning instead of failing on the first one. */
  skipBad: z.boolean().default(false),
});

/**
 * The model section: the model's own schema (src/model/config.ts, where every default is documented),
 * either family chosen by `arch` (absent: rnn), minus what training fills in: the vocabulary sizes
 * (from the data) and dropout (training.dropout). Rules across keys (heads dividing dModel, ...) are
 * checked here too, so a bad file is refused before any data is read.
 */
const trainingFilled = { srcVocabSize: true, tgtVocabSize: true, dropout: true } as const;
export const ModelSectionSchema = z
  .discriminatedUnion('arch', [rnnConfigSchema.omit(trainingFilled), transformerConfigSchema.omit(trainingFilled)])
  .superRefine((m, ctx) => {
    const problem = consistencyProblem(m);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem.message, path: [problem.key] });
  });

export const TrainingConfigSchema = z.strictObject({
  /** Sentences per batch (ignored when batchTokens is set). */
  batchSize: int(1).default(64),
  /** When > 0: batches hold up to this many padded tokens (B * max(S, T)) instead of batchSize sentences. */
  batchTokens: int(0).default(0),
  /** Adam learning rate. 1e-3 is the usual Adam default for RNN NMT. */
  lr: z.number().positive().default(1e-3),
  lrDecay: z
    .strictObject({
      /** Multiply the learning rate by this when the validation score stops improving. */
      factor: z.number().gt(0).lt(1).default(0.5),
      /** Validations without improvement before the learning rate is decayed. */
      patience: int(0).default(2),
    })
    .prefault({}),
  /**
   * plateau: decay by lrDecay.factor when validation stops improving (lrDecay.patience). linear: fall
   * linearly from lr to minLr over the run's budget (maxSteps, maxEpochs or maxTime, whichever ends it
   * first). inverse-sqrt: the Transformer's schedule (Vaswani et al. 2017), lr at the end of the warmup,
   * then lr · sqrt(warmup / step). See src/train/schedule.ts.
   */
  lrSchedule: z.enum(['plateau', 'linear', 'inverse-sqrt']).default('plateau'),
  /**
   * Steps over which the rate rises linearly from 0 to lr at the start of training (any schedule). 0: none,
   * which suits the RNN; a Transformer wants a few thousand (4000 in Vaswani et al. 2017), fewer on small data.
   */
  warmup: int(0).default(0),
  /**
   * Batches whose gradients are summed into one optimizer step (gradient accumulation): an effective batch
   * of accumulate x batchSize (or batchTokens) on a machine whose memory holds only one. 1: every batch is a step.
   */
  accumulate: int(1).default(1),
  /** Adam's beta1 and beta2. PyTorch's defaults; Transformer recipes use [0.9, 0.98]. */
  adamBetas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999]),
  /** L2 penalty added to the gradient in Adam (PyTorch's weight_decay). 0: none. */
  weightDecay: z.number().nonnegative().default(0),
  /** The learning rate never decays below this. */
  minLr: z.number().nonnegative().default(1e-5),
  /** Clip the global gradient norm to this (0: no clipping). 5 is the classic RNN value. */
  clipNorm: z.number().nonnegative().default(5),
  /** Dropout probability on embeddings and RNN outputs during training. */
  dropout: z.number().min(0).lt(1).default(0.2),
  /** Label smoothing epsilon (Szegedy et al. 2016); 0 is plain cross-entropy. */
  labelSmoothing: z.number().min(0).lt(1).default(0.1),
  /** Stop after this many optimizer steps (0: no step limit). */
  maxSteps: int(0).default(0),
  /** Stop after this many passes over the training data (0: no epoch limit). */
  maxEpochs: int(0).default(10),
  /** Stop after this many seconds of training (0: no time limit). */
  maxTime: z.number().nonnegative().default(0),
  /** Validate (and save checkpoints) every this many steps; 0: once per epoch. */
  validEvery: int(0).default(1000),
  /** Score that decides the best checkpoint, lr decay and early stopping. */
  validMetric: z.enum(['bleu', 'loss']).default('bleu'),
  earlyStopping: z
    .strictObject({
      /** Stop after this many validations without improvement (0: never stop early). */
      patience: int(0).default(5),
    })
    .prefault({}),
  /** Print a log line every this many steps when the output is not a terminal. */
  logEvery: int(1).default(100),
  /** Seed of parameter initialization, data order and dropout. */
  seed: int(0).default(1),
  /** Compute threads (0: all cores the machine reports). */
  threads: int(0).default(0),
  /** Directory for checkpoints (last.safetensors, best.safetensors), valid.jsonl and config.json. */
  outDir: z.string().min(1).default('runs/train'),
  /** Keep the last checkpoint (needed to resume). */
  keepLast: z.boolean().default(true),
  /** Keep the checkpoint with the best validation score. */
  keepBest: z.boolean().default(true),
  /**
   * Also keep the checkpoints of the last N validations as <outDir>/step-<step>.safetensors, for
   * `attnmt average` (0: none). Older ones are deleted as new ones are written.
   */
  keepCheckpoints: int(0).default(0),
}).refine((t) => t.lrSchedule !== 'linear' || t.maxSteps > 0 || t.maxEpochs > 0 || t.maxTime > 0, {
  path: ['lrSchedule'],
  message: '"linear" needs a budget to decay over: set training.maxSteps, maxEpochs or maxTime',
});

export const ConfigSchema = z
  .strictObject({
    data: DataConfigSchema,
    model: ModelSectionSchema.prefault({}),
    training: TrainingConfigSchema.prefault({}),
    decoding: DecodingConfigSchema.prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.model.arch === 'transformer' && c.model.tieAllEmbeddings && !c.data.jointVocab) {
      ctx.addIssue({ code: 'custom', path: ['model', 'tieAllEmbeddings'], message: 'sharing one embedding between source and target needs one vocabulary: set data.jointVocab: true' });
    }
  });

export type Config = z.infer<typeof ConfigSchema>;
export type DataConfig = Config['data'];
export type ModelSection = Config['model'];
export type TrainingConfig = Config['training'];
/** What a user writes: every default optional. */
export type ConfigInput = z.input<typeof ConfigSchema>;

/** A configuration problem: bad file, bad key, bad value. The message names the source and the key path. */
export class ConfigError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/**
 * The keys an object schema accepts at `keyPath` (for "valid keys" hints), or [] when unknown. A
 * discriminated union (the model section) answers for the branch the raw config's discriminator picks.
 */
function keysAt(keyPath: readonly PropertyKey[], raw: unknown): string[] {
  let schema: z.ZodType = ConfigSchema;
  for (let i = 0; i < keyPath.length; i++) {
    const inner = unwrapObject(schema, valueAt(raw, keyPath.slice(0, i)));
    if (inner === null) return [];
    const next = inner.shape[String(keyPath[i])];
    if (next === undefined) return [];
    schema = next;
  }
  const obj = unwrapObject(schema, valueAt(raw, keyPath));
  return obj === null ? [] : Object.keys(obj.shape);
}

function unwrapObject(schema: z.ZodType, raw: unknown): z.ZodObject | null {
  let s: z.ZodType = schema;
  for (let i = 0; i < 5; i++) {
    if (s instanceof z.ZodObject) return s;
    if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) {
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodDiscriminatedUnion) {
      const key = s.def.discriminator;
      const value = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>)[key] : undefined;
      const branch = (s.options as z.ZodType[]).find((o) => o instanceof z.ZodObject && o.shape[key]?.safeParse(value).success === true);
      if (branch === undefined) return null;
      s = branch;
    } else {
      return null;
    }
  }
  return null;
}

/** The raw value at `keyPath` in `raw` (for "got ..." hints). */
function valueAt(raw: unknown, keyPath: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const key of keyPath) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[String(key)];
  }
  return v;
}

function formatIssue(issue: z.core.$ZodIssue, raw: unknown): string {
  const where = issue.path.map(String).join('.');
  const got = valueAt(raw, issue.path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const keys = issue.keys.map((k) => (where ? `${where}.${k}` : k));
      const valid = keysAt(issue.path, raw);
      const plural = keys.length > 1 ? 'keys' : 'key';
      return `unknown ${plural} ${keys.map((k) => `"${k}"`).join(', ')}${valid.length ? ` (valid keys${where ? ` in ${where}` : ''}: ${valid.join(', ')})` : ''}`;
    }
    case 'invalid_union':
      if ('discriminator' in issue && typeof issue.discriminator === 'string') {
        return `${where}: must be one of "rnn", "transformer" (got ${JSON.stringify(got)})`;
      }
      return `${where || '(top level)'}: ${issue.message}`;
    case 'invalid_value':
      return `${where}: must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')} (got ${JSON.stringify(got)})`;
    case 'invalid_type':
      return `${where || '(top level)'}: ${got === undefined ? `missing required key (expected ${issue.expected})` : `expected ${issue.expected}, got ${JSON.stringify(got)}`}`;
    default:
      return `${where || '(top level)'}: ${issue.message}${got !== undefined && typeof got !== 'object' ? ` (got ${JSON.stringify(got)})` : ''}`;
  }
}

/**
 * Validate a raw config object. `source` names where it came from (a file path, "command line")
 * and starts every error message.
 */
export function parseConfig(raw: unknown, source: string): Config {
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => formatIssue(i, raw));
    throw new ConfigError(`${source}: ${lines.join('; ')}`);
  }
  return result.data;
}

/** A config file is a few hundred bytes; anything past this is not one. */
const MAX_CONFIG_BYTES = 1 << 20;

/** Read a YAML or JSON file into a plain object (no validation). */
export function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    checkInputFile(file, 'config file');
    if (fs.statSync(file).size > MAX_CONFIG_BYTES) throw new ConfigError(`${file}: config file is larger than ${MAX_CONFIG_BYTES} bytes`);
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if (err instanceof InputError) throw new ConfigError(err.message);
    const code = err instanceof Error && 'code' in err ? String(err.code) : '';
    throw new ConfigError(`${file}: cannot read config file${code === 'ENOENT' ? ' (no such file)' : code ? ` (${code})` : ''}`);
  }
  let raw: unknown;
  try {
    raw = path.extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new ConfigError(`${file}: not valid ${path.extname(file).toLowerCase() === '.json' ? 'JSON' : 'YAML'}: ${msg}`);
  }
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(`${file}: a config file must hold a mapping with sections data, model, training, decoding`);
  }
  checkTree(raw, file, [], []);
  return raw as Record<string, unknown>;
}

/** Keys that would reach Object.prototype when set on a plain object (prototype pollution): never config keys. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A parsed file is a tree of plain values: no object inside itself (a YAML alias to its own anchor, which
 * JSON.stringify and the schema would loop on) and no key that reaches an object's prototype.
 */
function checkTree(v: unknown, file: string, keyPath: string[], ancestors: object[]): void {
  if (v === null || typeof v !== 'object') return;
  const where = keyPath.join('.') || '(top level)';
  if (ancestors.includes(v)) throw new ConfigError(`${file}: key ${where} refers to itself (a YAML alias inside its own anchor)`);
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== Array.prototype && proto !== null) {
    throw new ConfigError(`${file}: key ${keyPath.concat('__proto__').join('.')} is not allowed`);
  }
  const inner = [...ancestors, v];
  for (const [k, child] of Object.entries(v)) {
    if (FORBIDDEN_KEYS.has(k)) throw new ConfigError(`${file}: key ${keyPath.concat(k).join('.')} is not allowed`);
    checkTree(child, file, [...keyPath, k], inner);
  }
}

/**
 * data.train and data.dev of a config file, resolved against the file's directory (and written
 * relative to the current directory, so messages stay short); other values are left as they are.
 */
export function resolveDataPaths(raw: Record<string, unknown>, file: string): Record<string, unknown> {
  const data = raw['data'];
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return raw;
  const resolved: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const key of ['train', 'dev']) {
    const v = resolved[key];
    if (typeof v === 'string' && v !== '' && !path.isAbsolute(v)) {
      resolved[key] = path.relative(process.cwd(), path.resolve(path.dirname(file), v)) || '.';
    }
  }
  return { ...raw, data: resolved };
}

/** An override `a.b.c=value` from the command line; the value is read as a YAML scalar (numbers, booleans, lists). */
export function parseOverride(text: string): { keyPath: string[]; value: unknown } {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new ConfigError(`command line: --set expects key.path=value, got "${text}"`);
  const keyPath = text.slice(0, eq).trim().split('.');
  if (keyPath.some((k) => k === '')) throw new ConfigError(`command line: --set has an empty key in "${text}"`);
  const bad = keyPath.find((k) => FORBIDDEN_KEYS.has(k));
  if (bad !== undefined) throw new ConfigError(`command line: --set ${keyPath.join('.')}: key "${bad}" is not allowed`);
  const valueText = text.slice(eq + 1);
  let value: unknown;
  try {
    value = parseYaml(valueText);
  } catch {
    value = valueText;
  }
  checkTree(value, 'command line: --set', keyPath, []);
  return { keyPath, value: value === null ? valueText : value };
}

/** Set `value` at `keyPath` in `target`, creating intermediate objects (returns target). */
export function setPath(target: Record<string, unknown>, keyPath: readonly string[], value: unknown): Record<string, unknown> {
  let obj = target;
  for (let i = 0; i < keyPath.length - 1; i++) {
    const key = keyPath[i] as string;
    const next = obj[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) {
      const fresh: Record<string, unknown> = {};
      obj[key] = fresh;
      obj = fresh;
    } else {
      obj = next as Record<string, unknown>;
    }
  }
  obj[keyPath[keyPath.length - 1] as string] = value;
  return target;
}

/**
 * Load a config: the file (optional) with overrides applied on top, validated once.
 * Errors name the file, or "command line" when the bad key came from an override.
 */
export function loadConfig(file: string | undefined, overrides: ReadonlyArray<{ keyPath: string[]; value: unknown }> = []): Config {
  const raw = file === undefined ? {} : resolveDataPaths(readConfigFile(file), file);
  for (const o of overrides) setPath(raw, o.keyPath, o.value);
  const result = ConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  // Each problem is reported against where the key came from: an override touching it, else the file.
  const fromFlags = (keyPath: readonly PropertyKey[]): boolean =>
    overrides.some((o) => {
      const n = Math.min(o.keyPath.length, keyPath.length);
      for (let i = 0; i < n; i++) if (o.keyPath[i] !== String(keyPath[i])) return false;
      return true;
    });
  const flagIssues = result.error.issues.filter((i) => fromFlags(i.path));
  const fileIssues = result.error.issues.filter((i) => !fromFlags(i.path));
  const parts: string[] = [];
  if (fileIssues.length > 0) parts.push(`${file ?? 'config'}: ${fileIssues.map((i) => formatIssue(i, raw)).join('; ')}`);
  if (flagIssues.length > 0) parts.push(`command line: ${flagIssues.map((i) => formatIssue(i, raw)).join('; ')}`);
  throw new ConfigError(parts.join('; '));
}

/** Defaults of every section (data.train must still be given). */
export function configWithDefaults(input: ConfigInput): Config {
  return parseConfig(input, 'config');
}
