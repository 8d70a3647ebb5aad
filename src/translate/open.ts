/**
 * openTranslator for Node: checkpoints given by file path (or bytes, or decoded contents), read here
 * and handed to the browser-safe openTranslator of translator.ts.
 */
import { readCheckpointBytes } from '../model/checkpoint-file.js';
import type { DecodingOverrides } from './settings.js';
import { openTranslator as openFromBytes, type CheckpointSource, type Translator } from './translator.js';

export type TranslatorSource = string | Uint8Array | CheckpointSource;

/** A Translator from checkpoint files (several: an ensemble); see translator.ts. */
export function openTranslator(source: TranslatorSource | readonly TranslatorSource[], overrides: DecodingOverrides = {}): Translator {
  const list = (Array.isArray(source) ? source : [source]) as readonly TranslatorSource[];
  return openFromBytes(
    list.map((s) => (typeof s === 'string' ? { name: s, bytes: readCheckpointBytes(s) } : s)),
    overrides,
  );
}

export { Translator, type CheckpointSource, type TranslateCall } from './translator.js';
