/**
 * Decoding settings: one zod schema gives the defaults (written here once), the check and the type.
 * A training config's `decoding` section is this schema, and every checkpoint stores it; inference
 * (src/translate/translator.ts) starts from the checkpoint's settings, and flags, request fields or
 * library options override single keys.
 */
import { z } from 'zod';
import { InputError } from '../util/errors.js';

/** Each setting's type and range (the defaults are below, once). */
const field = {
  beam: z.number().int().min(1),
  alpha: z.number().nonnegative(),
  maxLenRatio: z.number().positive(),
  batchSize: z.number().int().min(1),
  replaceUnknowns: z.boolean(),
};

export const DecodingConfigSchema = z.strictObject({
  /** Beam size; 1 is greedy decoding. */
  beam: field.beam.default(5),
  /** Length penalty exponent of GNMT (Wu et al. 2016): score / ((5 + |y|) / 6)^alpha. 0: none. */
  alpha: field.alpha.default(0.6),
  /** Longest output is this ratio times the source length (plus a few tokens). */
  maxLenRatio: field.maxLenRatio.default(2),
  /** Sentences translated together. */
  batchSize: field.batchSize.default(32),
  /** Replace <unk> outputs with the source token that has the highest attention weight. */
  replaceUnknowns: field.replaceUnknowns.default(true),
});

export type DecodingConfig = z.infer<typeof DecodingConfigSchema>;
/** Some of the settings, to override others' values. */
export type DecodingOverrides = Partial<DecodingConfig>;

/** Bad decoding settings (a flag, a request field, a library option or a checkpoint's metadata): names the key. */
export class DecodingSettingsError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'DecodingSettingsError';
  }
}

/** Overrides: any of the settings, no defaults filled in. */
const OverridesSchema = z.strictObject({
  beam: field.beam.optional(),
  alpha: field.alpha.optional(),
  maxLenRatio: field.maxLenRatio.optional(),
  batchSize: field.batchSize.optional(),
  replaceUnknowns: field.replaceUnknowns.optional(),
});

function describe(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((i) => (i.code === 'unrecognized_keys' ? `unknown key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')} (valid: ${Object.keys(DecodingConfigSchema.shape).join(', ')})` : `${i.path.map(String).join('.') || '(top level)'}: ${i.message}`))
    .join('; ');
}

/**
 * The settings stored in a checkpoint's metadata (`decoding`), defaults filled in; a checkpoint
 * without them (written by something other than `attnmt train`) gets the defaults.
 */
export function storedDecoding(metadata: Readonly<Record<string, unknown>> | undefined, name: string): DecodingConfig {
  const r = DecodingConfigSchema.safeParse(metadata?.['decoding'] ?? {});
  if (!r.success) throw new DecodingSettingsError(`${name}: metadata.decoding: ${describe(r.error.issues)}`);
  return r.data;
}

/** `base` with the keys `overrides` gives replaced, checked; `source` names where they came from. */
export function applyOverrides(base: DecodingConfig, overrides: DecodingOverrides, source: string): DecodingConfig {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const r = OverridesSchema.safeParse(defined);
  if (!r.success) throw new DecodingSettingsError(`${source}: ${describe(r.error.issues)}`);
  return { ...base, ...r.data };
}
