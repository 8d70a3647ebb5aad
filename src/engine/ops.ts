/**
 * The differentiable ops of the engine. Each op computes into `output(shape, inputs)` and records a
 * backward closure (written right under its forward) that accumulates into the inputs' gradients.
 * Shapes use B batch, S source length, T target length, H hidden, E embedding, V vocabulary.
 */
export { matmul, bmm, linear } from './ops/linalg.js';
export type { LinearOptions, MatmulOptions } from './ops/linalg.js';
export { add, sub, mul, scale, addN, tanh, sigmoid, relu, dropout, addDropout, sum, mean, sigmoidValue } from './ops/elementwise.js';
export { softmax, logSoftmax, crossEntropy, logSumExp } from './ops/softmax.js';
export type { SoftmaxOptions, CrossEntropyOptions, CrossEntropyResult } from './ops/softmax.js';
export { embedding, concat, slice, stack, unstack, reshape } from './ops/shape.js';
export { gruSequence, gruCell } from './fused/gru.js';
export { lstmSequence, lstmCell } from './fused/lstm.js';
export type { LstmState } from './fused/lstm.js';
export type { SequenceOptions } from './fused/common.js';
export { additiveAttention } from './fused/attention.js';
export { greedyPick, pickFromLogProbs } from './ops/pick.js';
export { outputCrossEntropy } from './fused/output-ce.js';
export type { OutputCrossEntropyOptions } from './fused/output-ce.js';
export type { PickResult } from './ops/pick.js';
export { headScores, headContext } from './ops/heads.js';
export { maskedSoftmax } from './ops/masked-softmax.js';
export type { MaskedSoftmaxOptions } from './ops/masked-softmax.js';
export { layerNorm } from './ops/layernorm.js';
export { gelu } from './ops/gelu.js';
export type { AttentionResult } from './fused/attention.js';
