/**
 * The model configuration: one zod schema gives the runtime check (unknown keys rejected, valid
 * choices listed in the error), the documented defaults and the TypeScript type.
 */
import { z } from 'zod';

export interface ModelConfig {
  /** Recurrent cell of encoder and decoder. */
  rnn: 'gru' | 'lstm';
  /** Encoder and decoder layers, >= 1. */
  layers: number;
  /** Encoder reads the sentence both ways (per-direction hidden H/2, outputs H). */
  bidirectional: boolean;
  /** E: word embedding size (source and target). */
  embedding: number;
  /** H: decoder hidden size and size of every encoder state. */
  hidden: number;
  /** Scoring function; 'none' is the fixed-context baseline (no attention). */
  attention: 'additive' | 'dot' | 'general' | 'none';
  /** A: inner size of additive attention. */
  attentionHidden: number;
  /** Feed the previous attentional vector into the decoder RNN (Luong 2015 section 3.3). */
  inputFeeding: boolean;
  /** Decoder initial state: tanh(W h_final + b) from the encoder, or zeros. */
  bridge: 'linear' | 'zeros';
  /** Dropout probability on embeddings, between RNN layers and before the output layer. */
  dropout: number;
  /** Source vocabulary size (with the 4 specials). */
  srcVocabSize: number;
  /** Target vocabulary size (with the 4 specials). */
  tgtVocabSize: number;
  /** Share the target embedding with the output layer (requires embedding == hidden). */
  tieTargetEmbeddings?: boolean;
}

export const defaultModelConfig: Omit<ModelConfig, 'srcVocabSize' | 'tgtVocabSize'> = {
  rnn: 'gru', // GRU: fewer parameters than LSTM, same quality at this scale (Bahdanau 2015 used GRU-like units)
  layers: 1, // one layer as in Bahdanau et al. 2015
  bidirectional: true, // the annotation h_i summarizes words before and after i (Bahdanau 2015 section 3.2)
  embedding: 256, // E, small enough to train on a laptop CPU
  hidden: 256, // H
  attention: 'additive', // Bahdanau 2015 A.1.2
  attentionHidden: 256, // A, same as H
  inputFeeding: true, // Luong 2015: the decoder knows where it attended before
  bridge: 'linear', // as Bahdanau 2015 A.2.2 (s_0 = tanh(W_s h_1 backward)), from both directions' final states
  dropout: 0.2, // regularizes small corpora
  tieTargetEmbeddings: false, // separate output layer
};

const positiveInt = z.number().int().positive();

/** The schema: every field with its default, unknown keys rejected. */
export const modelConfigSchema = z
  .object({
    rnn: z.enum(['gru', 'lstm']).default(defaultModelConfig.rnn),
    layers: positiveInt.default(defaultModelConfig.layers),
    bidirectional: z.boolean().default(defaultModelConfig.bidirectional),
    embedding: positiveInt.default(defaultModelConfig.embedding),
    hidden: positiveInt.default(defaultModelConfig.hidden),
    attention: z.enum(['additive', 'dot', 'general', 'none']).default(defaultModelConfig.attention),
    attentionHidden: positiveInt.default(defaultModelConfig.attentionHidden),
    inputFeeding: z.boolean().default(defaultModelConfig.inputFeeding),
    bridge: z.enum(['linear', 'zeros']).default(defaultModelConfig.bridge),
    dropout: z.number().min(0).lt(1).default(defaultModelConfig.dropout),
    srcVocabSize: z.number().int().min(5),
    tgtVocabSize: z.number().int().min(5),
    tieTargetEmbeddings: z.boolean().default(false),
  })
  .strict();

/**
 * Check a raw configuration (from JSON, YAML or a checkpoint) and fill in the defaults.
 * Throws an Error listing every wrong field (path: message); `source` names where it came from.
 */
export function parseModelConfig(raw: unknown, source = 'model config'): ModelConfig {
  const r = modelConfigSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
    throw new Error(`${source}: invalid model configuration\n${lines.join('\n')}`);
  }
  const c: ModelConfig = r.data;
  checkConsistency(c, source);
  return c;
}

/** Rules that involve more than one field. */
function checkConsistency(c: ModelConfig, source: string): void {
  if (c.bidirectional && c.hidden % 2 !== 0) {
    throw new Error(`${source}: hidden (${c.hidden}) must be even when bidirectional (each direction has hidden/2)`);
  }
  if (c.tieTargetEmbeddings && c.embedding !== c.hidden) {
    throw new Error(
      `${source}: tieTargetEmbeddings needs embedding == hidden (got embedding ${c.embedding}, hidden ${c.hidden})`,
    );
  }
}

/** Per-direction hidden size of the encoder RNN. */
export function encoderDirectionHidden(c: ModelConfig): number {
  return c.bidirectional ? c.hidden / 2 : c.hidden;
}

/** Gates per cell: 3 for GRU (r, z, n), 4 for LSTM (i, f, g, o). */
export function gateCount(c: ModelConfig): number {
  return c.rnn === 'gru' ? 3 : 4;
}
