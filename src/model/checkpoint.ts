/**
 * Checkpoints in the safetensors layout (https://github.com/huggingface/safetensors), readable by
 * Python's `safetensors.numpy.load_file`:
 *
 *   [8 bytes: header length N, unsigned little-endian]
 *   [N bytes: JSON header, padded with spaces to a multiple of 8]
 *   [raw little-endian float32 data of every tensor, back to back]
 *
 * The header maps each tensor name to `{ dtype: "F32", shape, data_offsets: [begin, end] }` (offsets
 * relative to the start of the data). `__metadata__` (string values only, as safetensors requires)
 * holds, as JSON strings: the model config, both vocabularies, the tokenizer description, the list
 * of extra tensors (optimizer moments, ...) and the training metadata.
 *
 * Model parameters keep their hierarchical names ('encoder.rnn.l0.weight_hh'); extra tensors keep the
 * names the caller gave them and are listed in `__metadata__.extra_tensors`.
 *
 * Int8 checkpoints (`attnmt quantize`, format_version 2): every matrix listed in
 * `__metadata__.quantization` (JSON: {"dtype": "int8", "scheme": "symmetric-per-output-unit",
 * "tensors": {name: {"axis": 0|1}}}) is stored as dtype I8 under its own name, with its float32 scales
 * (one per output unit: along `axis` of its shape) under '<name>.int8_scale'; w ≈ scale·q. Decoding
 * gives the dequantized float32 parameters (so every reader sees a complete model) plus the int8
 * matrices (`quantized`). Float checkpoints stay format_version 1, so older attnmt reads them and
 * refuses int8 ones at the version check.
 *
 * This file is the byte codec only (it runs in the browser too); reading and writing files is
 * src/model/checkpoint-file.ts.
 */
import { Vocab } from '../data/vocab.js';
import { dequantizeMatrix, type QuantizedMatrix } from '../engine/int8.js';
import { shapeSize, shapeStr, Tensor } from '../engine/tensor.js';
import { parseModelConfig, type ModelConfig } from './config.js';
import { checkParameters, parameterShapes } from './model.js';
import { InputError } from '../util/errors.js';

export interface CheckpointContents {
  config: ModelConfig;
  srcVocab: Vocab;
  tgtVocab: Vocab;
  /** How to tokenize text for this model (e.g. {kind:'word'} or BPE merges). */
  tokenizer: Record<string, unknown>;
  params: Map<string, Tensor>;
  /** E.g. optimizer moments 'optim.m.<name>'. */
  extraTensors?: Map<string, Tensor>;
  /** E.g. training state: step, epoch, rng state, best score. */
  metadata?: Record<string, unknown>;
  /** Int8 matrices by parameter name (an int8 checkpoint); `params` then holds their dequantized values. */
  quantized?: Map<string, QuantizedMatrix>;
}

/** Marks our files; bumped when the layout changes. */
const FORMAT = 'attnmt-checkpoint';
const FORMAT_VERSION = '1';
/** The version of checkpoints with int8 matrices (older readers refuse it). */
const FORMAT_VERSION_INT8 = '2';
/** Suffix of the tensor holding an int8 matrix's scales. */
export const INT8_SCALE_SUFFIX = '.int8_scale';
const QUANT_DTYPE = 'int8';
const QUANT_SCHEME = 'symmetric-per-output-unit';
/** safetensors refuses headers above 100 MB; so do we (a corrupt length must not allocate gigabytes). */
const MAX_HEADER = 100_000_000;

/** A checkpoint that cannot be read: names the file and what is wrong. */
export class CheckpointError extends InputError {
  constructor(name: string, message: string) {
    super(`${name}: ${message}`);
    this.name = 'CheckpointError';
  }
}

interface HeaderEntry {
  dtype: 'F32' | 'I8';
  shape: number[];
  data_offsets: [number, number];
}

/** Serialize to bytes (works in the browser). */
export function encodeCheckpoint(c: CheckpointContents): Uint8Array {
  const quantized = c.quantized ?? new Map<string, QuantizedMatrix>();
  const tensors: Array<[string, Tensor]> = [...c.params].filter(([n]) => !quantized.has(n));
  const extra = c.extraTensors ?? new Map<string, Tensor>();
  for (const [name, t] of extra) {
    if (c.params.has(name)) throw new Error(`encodeCheckpoint: extra tensor '${name}' has the name of a parameter`);
    tensors.push([name, t]);
  }
  for (const [name, q] of quantized) {
    if (!c.params.has(name)) throw new Error(`encodeCheckpoint: int8 matrix '${name}' is not a parameter`);
    tensors.push([name + INT8_SCALE_SUFFIX, new Tensor(q.scales, [q.scales.length])]);
  }
  const metadata: Record<string, string> = {
    format: FORMAT,
    format_version: quantized.size > 0 ? FORMAT_VERSION_INT8 : FORMAT_VERSION,
    config: JSON.stringify(c.config),
    src_vocab: JSON.stringify(c.srcVocab.toJSON()),
    tgt_vocab: JSON.stringify(c.tgtVocab.toJSON()),
    tokenizer: JSON.stringify(c.tokenizer),
    extra_tensors: JSON.stringify([...extra.keys()]),
    metadata: JSON.stringify(c.metadata ?? {}),
  };
  if (quantized.size > 0) {
    const list: Record<string, { axis: 0 | 1 }> = {};
    for (const [name, q] of quantized) list[name] = { axis: q.axis };
    metadata['quantization'] = JSON.stringify({ dtype: QUANT_DTYPE, scheme: QUANT_SCHEME, tensors: list });
  }
  const header: Record<string, HeaderEntry | Record<string, string>> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new Error(`encodeCheckpoint: '__metadata__' cannot be a tensor name`);
    const bytes = t.size * 4;
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  // Int8 matrices last, so every float32 tensor starts at a multiple of 4 bytes.
  for (const [name, q] of quantized) {
    header[name] = { dtype: 'I8', shape: [...q.shape], data_offsets: [offset, offset + q.values.length] };
    offset += q.values.length;
  }
  let json = JSON.stringify(header);
  let headerBytes = new TextEncoder().encode(json);
  const padded = Math.ceil(headerBytes.length / 8) * 8;
  if (padded !== headerBytes.length) {
    json += ' '.repeat(padded - headerBytes.length);
    headerBytes = new TextEncoder().encode(json);
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  const dataStart = 8 + headerBytes.length;
  let pos = dataStart;
  for (const [, t] of tensors) {
    writeFloats(out, view, pos, t.data);
    pos += t.size * 4;
  }
  for (const q of quantized.values()) {
    out.set(new Uint8Array(q.values.buffer, q.values.byteOffset, q.values.length), pos);
    pos += q.values.length;
  }
  return out;
}

/**
 * Parse bytes written by `encodeCheckpoint`. Checks the layout (header length, JSON, dtypes, offsets),
 * the config, and that every parameter the config implies is present with its shape and nothing else
 * is. `name` (a file name) prefixes every error.
 */
export function decodeCheckpoint(bytes: Uint8Array, name = 'checkpoint'): CheckpointContents {
  const { header, dataStart } = readHeader(bytes, name);
  const rawMeta = header['__metadata__'];
  if (!isRecord(rawMeta)) throw new CheckpointError(name, 'no __metadata__ in the header (not an attnmt checkpoint)');
  const meta = stringFields(rawMeta, name);
  if (meta['format'] !== FORMAT) {
    throw new CheckpointError(name, `__metadata__.format is ${JSON.stringify(meta['format'])}, expected '${FORMAT}'`);
  }
  const version = meta['format_version'];
  if (version !== FORMAT_VERSION && version !== FORMAT_VERSION_INT8) {
    throw new CheckpointError(name, `unsupported format_version ${JSON.stringify(version)}`);
  }
  const axes = version === FORMAT_VERSION_INT8 ? quantizationAxes(meta, name) : new Map<string, 0 | 1>();
  const config = parseModelConfig(metaJson(meta, 'config', name), `${name}: __metadata__.config`);
  const srcVocab = vocabFrom(metaJson(meta, 'src_vocab', name), 'src_vocab', name);
  const tgtVocab = vocabFrom(metaJson(meta, 'tgt_vocab', name), 'tgt_vocab', name);
  if (srcVocab.size !== config.srcVocabSize || tgtVocab.size !== config.tgtVocabSize) {
    throw new CheckpointError(
      name,
      `vocabulary sizes (source ${srcVocab.size}, target ${tgtVocab.size}) do not match the config ` +
        `(srcVocabSize ${config.srcVocabSize}, tgtVocabSize ${config.tgtVocabSize})`,
    );
  }
  const tokenizer = metaJson(meta, 'tokenizer', name);
  if (!isRecord(tokenizer)) throw new CheckpointError(name, '__metadata__.tokenizer is not a JSON object');
  const extraNames = metaJson(meta, 'extra_tensors', name);
  if (!Array.isArray(extraNames) || !extraNames.every((n): n is string => typeof n === 'string')) {
    throw new CheckpointError(name, '__metadata__.extra_tensors is not a list of names');
  }
  const metadata = metaJson(meta, 'metadata', name);
  if (!isRecord(metadata)) throw new CheckpointError(name, '__metadata__.metadata is not a JSON object');

  const { tensors, int8 } = readTensors(bytes, header, dataStart, name, axes);
  const quantized = new Map<string, QuantizedMatrix>();
  for (const [n, axis] of axes) {
    const values = int8.get(n);
    if (values === undefined) throw new CheckpointError(name, `int8 tensor '${n}' is listed in __metadata__.quantization but not stored as I8`);
    const scaleName = n + INT8_SCALE_SUFFIX;
    const scales = tensors.get(scaleName);
    const units = values.shape[axis] as number;
    if (scales === undefined || scales.rank !== 1 || scales.size !== units) {
      throw new CheckpointError(name, `int8 tensor '${n}' needs its scales '${scaleName}' of shape [${units}]`);
    }
    tensors.delete(scaleName);
    const q: QuantizedMatrix = { values: values.data, scales: scales.data, shape: values.shape, axis };
    quantized.set(n, q);
    tensors.set(n, new Tensor(dequantizeMatrix(q), values.shape, { name: n }));
  }
  const extraSet = new Set(extraNames);
  const params = new Map<string, Tensor>();
  const extraTensors = new Map<string, Tensor>();
  for (const [n, t] of tensors) (extraSet.has(n) ? extraTensors : params).set(n, t);
  for (const n of extraSet) {
    if (!tensors.has(n)) throw new CheckpointError(name, `extra tensor '${n}' is listed but not stored`);
  }
  checkParameters(params, parameterShapes(config), name);
  return { config, srcVocab, tgtVocab, tokenizer, params, extraTensors, metadata, ...(quantized.size > 0 ? { quantized } : {}) };
}

/** The int8 matrices of a format_version 2 header: name -> axis of its scales. */
function quantizationAxes(meta: Record<string, string>, name: string): Map<string, 0 | 1> {
  const j = metaJson(meta, 'quantization', name);
  if (!isRecord(j) || j['dtype'] !== QUANT_DTYPE || j['scheme'] !== QUANT_SCHEME || !isRecord(j['tensors'])) {
    throw new CheckpointError(name, `__metadata__.quantization is not {"dtype": "${QUANT_DTYPE}", "scheme": "${QUANT_SCHEME}", "tensors": {...}}`);
  }
  const out = new Map<string, 0 | 1>();
  for (const [n, e] of Object.entries(j['tensors'])) {
    const axis = isRecord(e) ? e['axis'] : undefined;
    if (axis !== 0 && axis !== 1) throw new CheckpointError(name, `__metadata__.quantization.tensors['${n}'].axis must be 0 or 1`);
    out.set(n, axis);
  }
  return out;
}

function readHeader(bytes: Uint8Array, name: string): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.length < 8) throw new CheckpointError(name, `file is ${bytes.length} bytes, too short for a safetensors header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER) || Number(n) > bytes.length - 8) {
    throw new CheckpointError(
      name,
      `header length ${n} does not fit in the file (${bytes.length} bytes): truncated or not a safetensors file`,
    );
  }
  const len = Number(n);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + len)));
  } catch (e) {
    throw new CheckpointError(name, `header is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isRecord(parsed)) throw new CheckpointError(name, 'header is not a JSON object');
  return { header: parsed, dataStart: 8 + len };
}

/** Every tensor of the header, checked (dtype, shape, offsets within the data and consistent with the shape). */
function readTensors(
  bytes: Uint8Array,
  header: Record<string, unknown>,
  dataStart: number,
  name: string,
  int8Names: ReadonlyMap<string, unknown>,
): { tensors: Map<string, Tensor>; int8: Map<string, { data: Int8Array; shape: [number, number] }> } {
  const dataLen = bytes.length - dataStart;
  const out = new Map<string, Tensor>();
  const int8 = new Map<string, { data: Int8Array; shape: [number, number] }>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const ranges: Array<[number, number, string]> = [];
  for (const [tname, entry] of Object.entries(header)) {
    if (tname === '__metadata__') continue;
    if (!isRecord(entry)) throw new CheckpointError(name, `header entry '${tname}' is not an object`);
    const isInt8 = int8Names.has(tname);
    if (entry['dtype'] !== (isInt8 ? 'I8' : 'F32')) {
      throw new CheckpointError(
        name,
        isInt8
          ? `tensor '${tname}' is listed as int8 but has dtype ${JSON.stringify(entry['dtype'])}`
          : `tensor '${tname}' has dtype ${JSON.stringify(entry['dtype'])}, only F32${int8Names.size > 0 ? ' (and I8 for the matrices __metadata__.quantization lists)' : ''} is supported`,
      );
    }
    const shape = entry['shape'];
    if (!Array.isArray(shape) || !shape.every((d): d is number => Number.isInteger(d) && d >= 0)) {
      throw new CheckpointError(name, `tensor '${tname}' has an invalid shape ${JSON.stringify(shape)}`);
    }
    const offs = entry['data_offsets'];
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o): o is number => Number.isInteger(o) && o >= 0)) {
      throw new CheckpointError(name, `tensor '${tname}' has invalid data_offsets ${JSON.stringify(offs)}`);
    }
    const [begin, end] = offs as [number, number];
    if (end < begin || end > dataLen) {
      throw new CheckpointError(
        name,
        `tensor '${tname}' data_offsets [${begin}, ${end}] fall outside the ${dataLen} data bytes (truncated file?)`,
      );
    }
    const width = isInt8 ? 1 : 4;
    if (end - begin !== shapeSize(shape) * width) {
      throw new CheckpointError(
        name,
        `tensor '${tname}' has ${end - begin} bytes but shape ${shapeStr(shape)} needs ${shapeSize(shape) * width}`,
      );
    }
    if (isInt8) {
      if (shape.length !== 2) throw new CheckpointError(name, `int8 tensor '${tname}' has shape ${shapeStr(shape)}, int8 tensors are matrices`);
      const copy = bytes.slice(dataStart + begin, dataStart + end);
      int8.set(tname, { data: new Int8Array(copy.buffer, copy.byteOffset, copy.length), shape: shape as [number, number] });
      ranges.push([begin, end, tname]);
      continue;
    }
    const data = readFloats(view, dataStart + begin, shapeSize(shape));
    const bad = data.findIndex((x) => !Number.isFinite(x));
    if (bad >= 0) {
      throw new CheckpointError(name, `tensor '${tname}' holds ${data[bad]} at element ${bad}: the weights are not finite (did the training diverge?)`);
    }
    ranges.push([begin, end, tname]);
    out.set(tname, new Tensor(data, shape, { name: tname }));
  }
  // Every tensor owns its bytes: overlapping ranges would give two tensors the same (or mixed) data.
  ranges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let prev: [number, number, string] | null = null; // the range reaching furthest so far
  for (const r of ranges) {
    if (r[1] === r[0]) continue; // empty tensors own no bytes
    if (prev !== null && r[0] < prev[1]) {
      throw new CheckpointError(name, `tensors '${prev[2]}' [${prev[0]}, ${prev[1]}] and '${r[2]}' [${r[0]}, ${r[1]}] overlap in the data (corrupt header)`);
    }
    if (prev === null || r[1] > prev[1]) prev = r;
  }
  return { tensors: out, int8 };
}

const littleEndian = new Uint8Array(Float32Array.of(1).buffer)[3] === 0x3f;

function writeFloats(out: Uint8Array, view: DataView, pos: number, data: Float32Array): void {
  if (littleEndian) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), pos);
  } else {
    for (let i = 0; i < data.length; i++) view.setFloat32(pos + 4 * i, data[i] as number, true);
  }
}

function readFloats(view: DataView, pos: number, n: number): Float32Array {
  const data = new Float32Array(n);
  if (littleEndian) {
    new Uint8Array(data.buffer).set(new Uint8Array(view.buffer, view.byteOffset + pos, n * 4));
  } else {
    for (let i = 0; i < n; i++) data[i] = view.getFloat32(pos + 4 * i, true);
  }
  return data;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringFields(meta: Record<string, unknown>, name: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) {
    if (typeof v !== 'string') throw new CheckpointError(name, `__metadata__.${k} is not a string`);
    out[k] = v;
  }
  return out;
}

function metaJson(meta: Record<string, string>, key: string, name: string): unknown {
  const s = meta[key];
  if (s === undefined) throw new CheckpointError(name, `__metadata__.${key} is missing`);
  try {
    return JSON.parse(s);
  } catch (e) {
    throw new CheckpointError(name, `__metadata__.${key} is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function vocabFrom(j: unknown, key: string, name: string): Vocab {
  if (!isRecord(j) || !Array.isArray(j['tokens']) || !j['tokens'].every((t): t is string => typeof t === 'string')) {
    throw new CheckpointError(name, `__metadata__.${key} is not {"tokens": [strings]}`);
  }
  try {
    return Vocab.fromJSON({ tokens: j['tokens'] });
  } catch (e) {
    throw new CheckpointError(name, `__metadata__.${key}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
