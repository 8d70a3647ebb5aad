/**
 * The model configuration, one of two families told apart by `arch`:
 *
 *  - `rnn` (the default, also when `arch` is absent: every config and checkpoint written before the
 *    Transformer existed is an RNN config): the recurrent encoder-decoder with attention (or the
 *    fixed-context baseline), src/model/seq2seq.ts;
 *  - `transformer`: the encoder-decoder of Vaswani et al. 2017, src/model/transformer/.
 *
 * One zod schema per family gives the runtime check (unknown keys rejected, valid choices listed in
 * the error), the documented defaults and the TypeScript type; `parseModelConfig` picks the family by
 * `arch` and then checks the rules that involve several keys, naming them.
 */
import { z } from 'zod';
import { InputError } from '../util/errors.js';

export interface RnnModelConfig {
  /** Model family; absent means rnn (configs and checkpoints from before the Transformer). */
  arch?: 'rnn';
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

export interface TransformerModelConfig {
  arch: 'transformer';
  /** Encoder layers (self-attention + feed-forward), >= 1. */
  encoderLayers: number;
  /** Decoder layers (causal self-attention + cross-attention + feed-forward), >= 1; may differ from the encoder's. */
  decoderLayers: number;
  /** D: the model width (embeddings, every sublayer's input and output). */
  dModel: number;
  /** H: attention heads per attention sublayer; must divide dModel (dHead = dModel / heads). */
  heads: number;
  /** Inner width of the position-wise feed-forward sublayer. */
  ffn: number;
  /** Feed-forward activation. */
  activation: 'relu' | 'gelu';
  /** Where layer normalization goes: before each sublayer (pre, with a final norm) or after the residual sum (post). */
  norm: 'pre' | 'post';
  /** Position information added to the embeddings: fixed sinusoids or a learned table. */
  positions: 'sinusoidal' | 'learned';
  /** Longest sequence (tokens incl. EOS, decoder steps) the learned position table holds. */
  maxPositions: number;
  /** Dropout on the embeddings and on every sublayer's output before the residual sum. */
  dropout: number;
  /** Dropout on the attention weights. */
  attentionDropout: number;
  /** Share the target embedding with the output layer (logits = h Eᵀ + b). */
  tieTargetEmbeddings: boolean;
  /** Share one embedding between source, target and output (needs one joint vocabulary: data.jointVocab). */
  tieAllEmbeddings: boolean;
  /**
   * Decoder layer (0-based) whose cross-attention, averaged over heads, is the alignment the product
   * shows and scores (`weights`); absent: the penultimate layer (Garg et al. 2019), layer 0 for one layer.
   */
  alignmentLayer?: number;
  srcVocabSize: number;
  tgtVocabSize: number;
}

export type ModelConfig = RnnModelConfig | TransformerModelConfig;

export const defaultModelConfig: Omit<RnnModelConfig, 'srcVocabSize' | 'tgtVocabSize'> = {
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

export const defaultTransformerConfig: Omit<TransformerModelConfig, 'srcVocabSize' | 'tgtVocabSize' | 'alignmentLayer'> = {
  arch: 'transformer',
  encoderLayers: 3, // half of Vaswani's 6: a small Transformer that trains on 2 CPU cores (fairseq transformer_tiny has 2)
  decoderLayers: 3, // as the encoder
  dModel: 256, // half of Transformer-base's 512, the width of the RNN default
  heads: 4, // dHead 64, as in Transformer-base
  ffn: 1024, // 4 x dModel, the ratio of Vaswani et al. 2017
  activation: 'relu', // Vaswani et al. 2017 eq. 2
  norm: 'pre', // pre-norm trains stably without a long warmup (Xiong et al. 2020; fairseq normalize_before, Joey NMT)
  positions: 'sinusoidal', // Vaswani et al. 2017 section 3.5: no parameters, any length
  maxPositions: 512, // only used by learned positions
  dropout: 0.1, // Transformer-base P_drop
  attentionDropout: 0.1, // on the attention weights (fairseq/Joey NMT small recipes)
  tieTargetEmbeddings: true, // Press and Wolf 2017, Vaswani section 3.4: fewer parameters, no loss in quality
  tieAllEmbeddings: false, // needs a joint vocabulary, off unless asked for
};

const positiveInt = z.number().int().positive();
const probability = z.number().min(0).lt(1);

/** The RNN family: every field with its default, unknown keys rejected. */
export const rnnConfigSchema = z
  .object({
    arch: z.literal('rnn').optional(),
    rnn: z.enum(['gru', 'lstm']).default(defaultModelConfig.rnn),
    layers: positiveInt.default(defaultModelConfig.layers),
    bidirectional: z.boolean().default(defaultModelConfig.bidirectional),
    embedding: positiveInt.default(defaultModelConfig.embedding),
    hidden: positiveInt.default(defaultModelConfig.hidden),
    attention: z.enum(['additive', 'dot', 'general', 'none']).default(defaultModelConfig.attention),
    attentionHidden: positiveInt.default(defaultModelConfig.attentionHidden),
    inputFeeding: z.boolean().default(defaultModelConfig.inputFeeding),
    bridge: z.enum(['linear', 'zeros']).default(defaultModelConfig.bridge),
    dropout: probability.default(defaultModelConfig.dropout),
    srcVocabSize: z.number().int().min(5),
    tgtVocabSize: z.number().int().min(5),
    tieTargetEmbeddings: z.boolean().default(false),
  })
  .strict();

/** The Transformer family: every field with its default (see defaultTransformerConfig for why), unknown keys rejected. */
export const transformerConfigSchema = z
  .object({
    arch: z.literal('transformer'),
    encoderLayers: positiveInt.default(defaultTransformerConfig.encoderLayers),
    decoderLayers: positiveInt.default(defaultTransformerConfig.decoderLayers),
    dModel: positiveInt.default(defaultTransformerConfig.dModel),
    heads: positiveInt.default(defaultTransformerConfig.heads),
    ffn: positiveInt.default(defaultTransformerConfig.ffn),
    activation: z.enum(['relu', 'gelu']).default(defaultTransformerConfig.activation),
    norm: z.enum(['pre', 'post']).default(defaultTransformerConfig.norm),
    positions: z.enum(['sinusoidal', 'learned']).default(defaultTransformerConfig.positions),
    maxPositions: positiveInt.default(defaultTransformerConfig.maxPositions),
    dropout: probability.default(defaultTransformerConfig.dropout),
    attentionDropout: probability.default(defaultTransformerConfig.attentionDropout),
    tieTargetEmbeddings: z.boolean().default(defaultTransformerConfig.tieTargetEmbeddings),
    tieAllEmbeddings: z.boolean().default(defaultTransformerConfig.tieAllEmbeddings),
    alignmentLayer: z.number().int().min(0).optional(), // absent: the penultimate decoder layer
    srcVocabSize: z.number().int().min(5),
    tgtVocabSize: z.number().int().min(5),
  })
  .strict();

/** Either family, chosen by `arch` (absent: rnn). */
export const modelConfigSchema = z.discriminatedUnion('arch', [rnnConfigSchema, transformerConfigSchema]);

/**
 * Check a raw configuration (from JSON, YAML or a checkpoint) and fill in the defaults.
 * Throws an Error listing every wrong field (path: message); `source` names where it came from.
 */
export function parseModelConfig(raw: unknown, source = 'model config'): ModelConfig {
  const r = modelConfigSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
    throw new ModelConfigError(`${source}: invalid model configuration: ${lines.join('; ')}`);
  }
  const c: ModelConfig = r.data;
  const problem = consistencyProblem(c)?.message ?? vocabularyProblem(c);
  if (problem !== null) throw new ModelConfigError(`${source}: ${problem}`);
  return c;
}

/** A model configuration that cannot be built (bad key, keys that contradict each other, too big). */
export class ModelConfigError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'ModelConfigError';
  }
}

/** An RNN configuration (parseModelConfig, refusing a Transformer's). */
export function parseRnnConfig(raw: unknown, source = 'model config'): RnnModelConfig {
  const c = parseModelConfig(raw, source);
  if (c.arch === 'transformer') throw new ModelConfigError(`${source}: expected an RNN configuration, got arch 'transformer'`);
  return c;
}

/** A Transformer configuration (parseModelConfig, refusing an RNN's). */
export function parseTransformerConfig(raw: unknown, source = 'model config'): TransformerModelConfig {
  const c = parseModelConfig(raw, source);
  if (c.arch !== 'transformer') throw new ModelConfigError(`${source}: expected arch 'transformer'`);
  return c;
}

/**
 * Rules that involve more than one key: the key to blame and a message naming the keys involved
 * (null: none broken). The training config's model section runs them too (src/train/config.ts), so a
 * bad config file is refused before any data is read.
 */
export function consistencyProblem(
  c: Omit<RnnModelConfig, 'srcVocabSize' | 'tgtVocabSize' | 'dropout'> | Omit<TransformerModelConfig, 'srcVocabSize' | 'tgtVocabSize' | 'dropout'>,
): { key: string; message: string } | null {
  if (c.arch === 'transformer') {
    if (c.dModel % c.heads !== 0) return { key: 'heads', message: `heads (${c.heads}) must divide dModel (${c.dModel}): each head has dModel / heads dimensions` };
    if (c.alignmentLayer !== undefined && c.alignmentLayer >= c.decoderLayers) {
      return { key: 'alignmentLayer', message: `alignmentLayer (${c.alignmentLayer}) must be a decoder layer, 0..${c.decoderLayers - 1} (decoderLayers ${c.decoderLayers})` };
    }
    return null;
  }
  if (c.bidirectional && c.hidden % 2 !== 0) {
    return { key: 'hidden', message: `hidden (${c.hidden}) must be even when bidirectional (each direction has hidden/2)` };
  }
  if (c.tieTargetEmbeddings === true && c.embedding !== c.hidden) {
    return { key: 'tieTargetEmbeddings', message: `tieTargetEmbeddings needs embedding == hidden (got embedding ${c.embedding}, hidden ${c.hidden})` };
  }
  return null;
}

/** Vocabulary rules of a full config (sizes known): all-tied embeddings need one vocabulary size. */
function vocabularyProblem(c: ModelConfig): string | null {
  if (c.arch === 'transformer' && c.tieAllEmbeddings && c.srcVocabSize !== c.tgtVocabSize) {
    return `tieAllEmbeddings needs one joint vocabulary (data.jointVocab: true), got srcVocabSize ${c.srcVocabSize} and tgtVocabSize ${c.tgtVocabSize}`;
  }
  return null;
}

/** Per-direction hidden size of the encoder RNN. */
export function encoderDirectionHidden(c: RnnModelConfig): number {
  return c.bidirectional ? c.hidden / 2 : c.hidden;
}

/** Gates per cell: 3 for GRU (r, z, n), 4 for LSTM (i, f, g, o). */
export function gateCount(c: RnnModelConfig): number {
  return c.rnn === 'gru' ? 3 : 4;
}
