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
import { InputError } from '../util/errors.js';
import { checkInputFile } from '../util/fs.js';
import { ConfigError, ConfigSchema, formatIssue, type Config } from './config-schema.js';

export * from './config-schema.js';

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
