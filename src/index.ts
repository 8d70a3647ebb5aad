/**
 * attnmt as a library: train, load, translate, score and draw attention from TypeScript.
 *
 *   import { initEngine, loadCheckpoint, loadModel, codecFrom, translateTexts } from 'attnmt';
 *   await initEngine();
 *   const c = loadCheckpoint('runs/demo/attention.safetensors');
 *   const parts = { model: loadModel(c), srcVocab: c.srcVocab, tgtVocab: c.tgtVocab, codec: codecFrom(c.tokenizer) };
 *   const [t] = translateTexts(parts, ['the black cat ate the mouse']);
 *   t.hypotheses[0].text;      // "le chat noir a mangé la souris"
 *   t.hypotheses[0].weights;   // one row per target token, one column per source token
 *
 * Node-only pieces that load native code (PNG rendering) are imported from their modules directly.
 */

// Engine
export { initEngine, shutdownEngine, engineInfo, type EngineOptions, type EngineInfo } from './engine/engine.js';
export { Tensor, Tape, withTape } from './engine/tensor.js';
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

// Model, checkpoints, decoding
export { defaultModelConfig, parseModelConfig, type ModelConfig } from './model/config.js';
export { Seq2Seq } from './model/seq2seq.js';
export { saveCheckpoint, loadCheckpoint, encodeCheckpoint, decodeCheckpoint, loadModel, CheckpointError, type CheckpointContents } from './model/checkpoint.js';
export { greedy } from './decode/greedy.js';
export { beamSearch, type BeamOptions } from './decode/beam.js';
export { replaceUnknowns } from './decode/unk.js';
export type { Hypothesis } from './decode/common.js';

// Evaluation
export { corpusBleu, sentenceBleu, type BleuResult, type BleuOptions } from './eval/bleu.js';
export { corpusChrf, sentenceChrf, type ChrfResult, type ChrfOptions } from './eval/chrf.js';

// Training
export { ConfigSchema, ConfigError, loadConfig, parseConfig, configWithDefaults, type Config, type ConfigInput } from './train/config.js';
export { train, requestStop, type TrainOptions, type TrainResult, type StopReason } from './train/trainer.js';
export { prepareData, codecFrom, makeCodec, learnCodec, type TextCodec, type PreparedData, type DevSet } from './train/data.js';
export { translateTexts, translateTokens, type Translation, type TranslationHypothesis, type TranslateOptions, type TranslatorParts } from './train/translator.js';
export { validate, devLoss, type ValidationResult } from './train/validate.js';
export { scoreSet, scoreByLength, type SetScore, type BucketScore } from './train/scores.js';

// Pictures
export { heatmapSvg, type HeatmapOptions } from './viz/heatmap-svg.js';
export { heatmapTerminal } from './viz/heatmap-terminal.js';
export { bleuByLengthChartSvg, LENGTH_BUCKETS } from './viz/chart-svg.js';
