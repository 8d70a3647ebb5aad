/**
 * Command options, typed once: commander parses the flags (with the value parsers below, so a bad
 * number is refused naming the flag), then each command runs its parsed options through its own zod
 * schema (`parseOptions`), which gives the TypeScript type the command reads, fills defaults and
 * rejects impossible combinations, naming the flag.
 */
import { InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { UserError } from './errors.js';

/** Commander value parser: a whole number >= 1. */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got "${value}"`);
  return n;
}

/** Commander value parser: a whole number >= 0. */
export function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected an integer >= 0, got "${value}"`);
  return n;
}

/** Commander value parser of a layer choice: a whole number >= 0, or "mean". */
export function parseLayer(value: string): number | 'mean' {
  if (value === 'mean') return 'mean';
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`expected a layer number (0, 1, ...) or "mean", got "${value}"`);
  return n;
}

/** Commander value parser: a finite number >= 0. */
export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number >= 0, got "${value}"`);
  return n;
}

/** Commander value parser for a repeatable flag: every value, in order. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Zod pieces for the options commander has already parsed. */
export const opt = {
  file: z.string().min(1),
  files: z.array(z.string().min(1)).min(1),
  count: z.number().int().min(1),
  number: z.number().nonnegative(),
  flag: z.boolean().optional(),
};

/** `camelCase` option key -> `--kebab-case` flag. */
function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Commander's parsed options through a command's schema; a problem names the flag (exit code 1). */
export function parseOptions<S extends z.ZodType>(schema: S, raw: unknown): z.infer<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  if (issue === undefined) throw new UserError('invalid options');
  const key = issue.path[0];
  throw new UserError(`${typeof key === 'string' ? `${flagName(key)}: ` : ''}${issue.message}`);
}
