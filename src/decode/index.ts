/** Decoding: greedy and beam search over a Seq2Seq model, and unknown-word replacement. */
export { greedy } from './greedy.js';
export { beamSearch } from './beam.js';
export type { BeamOptions } from './beam.js';
export { replaceUnknowns } from './unk.js';
export { DecodeAbortedError, lengthPenalty } from './common.js';
export type { Hypothesis, LengthOptions, StopSignal } from './common.js';
