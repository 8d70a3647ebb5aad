/**
 * attnmt as a library: train, load, translate, score and draw attention from TypeScript.
 *
 *   import { initEngine, openTranslator } from 'attnmt';
 *   await initEngine();
 *   const translator = openTranslator('runs/demo/attention.safetensors');   // its own decoding settings
 *   const [t] = translator.translate(['the black cat ate the mouse']);
 *   t.hypotheses[0].text;      // "le chat noir a mangé la souris"
 *   t.hypotheses[0].weights;   // one row per target token, one column per source token
 *
 * Node-only pieces that load native code (PNG rendering) are imported from their modules directly.
 */

// Engine
export { initEngine, shutdownEngine, engineInfo, type EngineOptions, type EngineInfo } from './engine/engine.js';
export { Tensor, Tape, withTape } from './engine/tensor.js';
export * as ops from './engine/ops.js';
export { gemm, type GemmArgs } from './engine/gemm.js';
export { Adam, SGD, clipGradNorm } from './engine/optim.js';
export { Rng } from './engine/random.js';

// Data
export { Vocab, PAD, UNK, BOS, EOS } from './data/vocab.js';
export { makeBatch, makeSourceBatch, type Batch } from './data/batch.js';
export { Batcher, evalBatches, type BatcherState } from './data/batcher.js';
export { normalizeText } from './data/normalize.js';
export { tokenize, detokenize } from './data/tokenize.js';
export { Bpe } from './data/bpe.js';
export { TextPipeline, pipelinesFromJSON, pipelinesToJSON } from './data/pipeline.js';
export { readTsv, readParallel, splitTrainDev, DataError, type TextPair } from './data/readers.js';
export { generateSeedCorpus, seedExamples, type SeedPair } from './data/seed-corpus.js';

// Models and checkpoints
export { defaultModelConfig, parseModelConfig, type ModelConfig } from './model/config.js';
export { createModel, loadModel, type TranslationModel, type TrainableModel } from './model/model.js';
export { Seq2Seq } from './model/seq2seq.js';
export { Ensemble } from './model/ensemble.js';
export { encodeCheckpoint, decodeCheckpoint, CheckpointError, type CheckpointContents } from './model/checkpoint.js';
export { saveCheckpoint, loadCheckpoint } from './model/checkpoint-file.js';
export { averageCheckpoints } from './model/average.js';

// Decoding
export { greedy } from './decode/greedy.js';
export { beamSearch, type BeamOptions } from './decode/beam.js';
export { forceDecode, type ForcedResult } from './decode/forced.js';
export { replaceUnknowns } from './decode/unk.js';
export type { Hypothesis, StepDecoder } from './decode/common.js';

// Inference: one door for every entry point
export { openTranslator, type TranslatorSource } from './translate/open.js';
export { Translator, type CheckpointSource, type TranslateCall } from './translate/translator.js';
export { DecodingConfigSchema, type DecodingConfig, type DecodingOverrides } from './translate/settings.js';
export { codecFrom, makeCodec, type TextCodec } from './translate/codec.js';
export type { Translation, TranslationHypothesis } from './translate/translate.js';
export type { ForcedPair, WordAttention } from './translate/forced.js';
export { explain, ExplainError, type ExplainOptions, type ExplainResult, type ExplainStep, type ExplainTop, type ExplainHead } from './translate/explain.js';

// Evaluation
export { corpusBleu, sentenceBleu, type BleuResult, type BleuOptions } from './eval/bleu.js';
export { corpusChrf, sentenceChrf, type ChrfResult, type ChrfOptions } from './eval/chrf.js';
export { alignT2S, alignSymmetric, hardAlign, alignmentErrorRate, corpusAlignmentErrorRate, formatPharaoh, parseGoldText, type Link, type AlignMethod } from './eval/alignment.js';
export { scoreSet, scoreByLength, type SetScore, type BucketScore } from './eval/scores.js';
export { evaluateModel, scoreAlignments, type ModelEval, type AlignmentScore } from './eval/evaluate.js';

// Training
export { ConfigSchema, ConfigError, loadConfig, parseConfig, configWithDefaults, type Config, type ConfigInput } from './train/config.js';
export { train, requestStop, type TrainOptions, type TrainResult, type StopReason } from './train/trainer.js';
export { prepareData, learnCodec, type PreparedData, type DevSet } from './train/data.js';
export { validate, devLoss, type ValidationResult } from './train/validate.js';

// Pictures
export { heatmapSvg, type HeatmapOptions } from './viz/heatmap-svg.js';
export { heatmapTerminal } from './viz/heatmap-terminal.js';
export { bleuByLengthChartSvg, LENGTH_BUCKETS } from './viz/chart-svg.js';

// Server
export { startServer, type ServeOptions, type RunningServer } from './server/serve.js';
export { buildServer, type ServerOptions, type ServerLimits } from './server/app.js';
