/**
 * Corpus readers: a TSV file of pairs (Tatoeba / Anki: English<TAB>French<TAB>attribution...) and a pair of
 * line-aligned files (Moses style train.en + train.fr). Files are streamed in chunks, line by line (never copied
 * whole); every line is decoded as strict UTF-8 and normalized (normalize.ts).
 *
 * Bad lines (invalid UTF-8, a missing column, an empty side, line counts that differ between two files) throw a
 * DataError naming the file, the 1-based line and what is wrong; with `skipBad: true` they are skipped and
 * counted by reason instead.
 */
import * as fs from 'node:fs';
import { Rng } from '../engine/random.js';
import { normalizeText } from './normalize.js';
import { InputError } from '../util/errors.js';
import { checkInputFile, FileReadError } from '../util/fs.js';

export type BadReason = 'invalid-utf8' | 'missing-column' | 'empty-side' | 'line-count-mismatch';

export class DataError extends InputError {
  constructor(readonly file: string, readonly line: number, readonly reason: BadReason, detail: string) {
    super(`${file}:${line}: ${detail}`);
    this.name = 'DataError';
  }
}

export interface TextPair {
  src: string;
  tgt: string;
  /** 1-based line of the pair in its file(s). */
  line: number;
}

export interface ReadOptions {
  /** Skip and count bad lines instead of throwing (default false). */
  skipBad?: boolean;
  /** Apply normalizeText to both sides (default true). */
  normalize?: boolean;
  /** Stop after this many good pairs. */
  limit?: number;
}

export interface TsvOptions extends ReadOptions {
  /** 0-based column of the source side (default 0). */
  srcColumn?: number;
  /** 0-based column of the target side (default 1). */
  tgtColumn?: number;
}

export interface ReadResult {
  pairs: TextPair[];
  /** Skipped lines by reason (all zero unless skipBad). */
  skipped: Record<BadReason, number>;
  /** Lines read (in the longer file for two files). */
  lines: number;
}

export interface RawLine {
  /** 1-based line number. */
  line: number;
  /** Line bytes without the final LF (and without a CR before it). */
  bytes: Uint8Array;
}

const CHUNK = 1 << 16;

/** Longest line any reader accepts, in bytes: a longer one (or a file without newlines, /dev/zero) is an error, not a hang. */
export const MAX_LINE_BYTES = 1 << 20;

/**
 * Stream the lines of a file as bytes, reading 64 KiB at a time (each chunk is a fresh buffer, so yielded lines
 * stay valid). A final line without LF is yielded too. `file` is a path (which must be a regular file or a pipe) or
 * an open descriptor (0: stdin) named `name` in errors. A line longer than MAX_LINE_BYTES is a FileReadError
 * naming file:line, raised before more than that is held in memory.
 */
export function* readLines(file: string | number, name = String(file)): Generator<RawLine> {
  if (typeof file === 'string') checkInputFile(file);
  const fd = typeof file === 'number' ? file : fs.openSync(file, 'r');
  try {
    let carry: Buffer = Buffer.alloc(0);
    let line = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const n = readChunk(fd, buf);
      if (n === 0) break;
      const data: Buffer = carry.length > 0 ? Buffer.concat([carry, buf.subarray(0, n)]) : buf.subarray(0, n);
      let start = 0;
      for (let nl = data.indexOf(10, start); nl >= 0; nl = data.indexOf(10, start)) {
        line++;
        if (nl - start > MAX_LINE_BYTES) throw tooLong(name, line);
        yield { line, bytes: stripCr(data.subarray(start, nl)) };
        start = nl + 1;
      }
      carry = data.subarray(start);
      if (carry.length > MAX_LINE_BYTES) throw tooLong(name, line + 1);
    }
    if (carry.length > 0) yield { line: line + 1, bytes: stripCr(carry) };
  } finally {
    if (typeof file === 'string') fs.closeSync(fd);
  }
}

function tooLong(name: string, line: number): FileReadError {
  return new FileReadError(`${name}:${line}`, `line longer than ${MAX_LINE_BYTES} bytes (1 MiB); is this a text file with one sentence per line?`);
}

/** readSync, waiting out EAGAIN (a non-blocking stdin pipe that has no data yet). */
function readChunk(fd: number, buf: Buffer): number {
  for (;;) {
    try {
      return fs.readSync(fd, buf, 0, buf.length, null);
    } catch (e) {
      const code = e instanceof Error && 'code' in e ? e.code : '';
      if (code === 'EOF') return 0;
      if (code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

function stripCr(b: Buffer): Uint8Array {
  return b.length > 0 && b[b.length - 1] === 13 ? b.subarray(0, b.length - 1) : b;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decode strict UTF-8 or return null. */
function decodeLine(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

function emptyCounts(): Record<BadReason, number> {
  return { 'invalid-utf8': 0, 'missing-column': 0, 'empty-side': 0, 'line-count-mismatch': 0 };
}

/** Throws, or counts when skipping. */
function bad(opts: ReadOptions, counts: Record<BadReason, number>, err: DataError): void {
  if (!opts.skipBad) throw err;
  counts[err.reason]++;
}

/** Read a TSV file of pairs; columns are chosen with srcColumn / tgtColumn (so either direction). */
export function readTsv(file: string, opts: TsvOptions = {}): ReadResult {
  const srcCol = opts.srcColumn ?? 0;
  const tgtCol = opts.tgtColumn ?? 1;
  const norm = opts.normalize ?? true;
  const skipped = emptyCounts();
  const pairs: TextPair[] = [];
  let lines = 0;
  for (const { line, bytes } of readLines(file)) {
    lines = line;
    const text = decodeLine(bytes);
    if (text === null) {
      bad(opts, skipped, new DataError(file, line, 'invalid-utf8', 'invalid UTF-8 byte sequence'));
      continue;
    }
    const cols = text.split('\t');
    const need = Math.max(srcCol, tgtCol) + 1;
    if (cols.length < need) {
      bad(opts, skipped, new DataError(file, line, 'missing-column',
        `expected at least ${need} tab-separated columns (source ${srcCol + 1}, target ${tgtCol + 1}), found ${cols.length}`));
      continue;
    }
    const src = norm ? normalizeText(cols[srcCol] as string) : (cols[srcCol] as string);
    const tgt = norm ? normalizeText(cols[tgtCol] as string) : (cols[tgtCol] as string);
    if (src.length === 0 || tgt.length === 0) {
      const which = src.length === 0 ? `source (column ${srcCol + 1})` : `target (column ${tgtCol + 1})`;
      bad(opts, skipped, new DataError(file, line, 'empty-side', `empty ${which}`));
      continue;
    }
    pairs.push({ src, tgt, line });
    if (opts.limit !== undefined && pairs.length >= opts.limit) break;
  }
  return { pairs, skipped, lines };
}

/** Read two line-aligned files (line i of srcFile translates line i of tgtFile). */
export function readParallel(srcFile: string, tgtFile: string, opts: ReadOptions = {}): ReadResult {
  const norm = opts.normalize ?? true;
  const skipped = emptyCounts();
  const pairs: TextPair[] = [];
  const a = readLines(srcFile);
  const b = readLines(tgtFile);
  let lines = 0;
  try {
    for (;;) {
      const ra = a.next();
      const rb = b.next();
      if (ra.done && rb.done) break;
      if (ra.done || rb.done) {
        const [shortFile, longFile, rest, first] = ra.done
          ? [srcFile, tgtFile, b, rb.value as RawLine]
          : [tgtFile, srcFile, a, ra.value as RawLine];
        let extra = 1;
        for (let r = rest.next(); !r.done; r = rest.next()) extra++;
        lines = first.line + extra - 1;
        const err = new DataError(shortFile, first.line, 'line-count-mismatch',
          `line count mismatch: ${shortFile} ends after ${first.line - 1} lines but ${longFile} has ${lines}`);
        if (!opts.skipBad) throw err;
        skipped['line-count-mismatch'] += extra;
        break;
      }
      const line = ra.value.line;
      lines = line;
      const sText = decodeLine(ra.value.bytes);
      const tText = decodeLine(rb.value.bytes);
      if (sText === null || tText === null) {
        bad(opts, skipped, new DataError(sText === null ? srcFile : tgtFile, line, 'invalid-utf8', 'invalid UTF-8 byte sequence'));
        continue;
      }
      const src = norm ? normalizeText(sText) : sText;
      const tgt = norm ? normalizeText(tText) : tText;
      if (src.length === 0 || tgt.length === 0) {
        bad(opts, skipped, new DataError(src.length === 0 ? srcFile : tgtFile, line, 'empty-side', 'empty line'));
        continue;
      }
      pairs.push({ src, tgt, line });
      if (opts.limit !== undefined && pairs.length >= opts.limit) break;
    }
  } finally {
    a.return(undefined);
    b.return(undefined);
  }
  return { pairs, skipped, lines };
}

export interface SplitOptions {
  /** Fraction of unique source sentences that go to dev (0..1). */
  devFraction?: number;
  /** Number of unique source sentences that go to dev (overrides devFraction). */
  devSize?: number;
  seed: number;
}

/**
 * Split pairs into train and dev on unique source sentences: all pairs sharing a source go to the same side,
 * so no source is in both. Sources are drawn with a seeded Rng; each side keeps the corpus order.
 */
export function splitTrainDev<T extends { src: string }>(pairs: readonly T[], opts: SplitOptions): { train: T[]; dev: T[] } {
  const sources: string[] = [];
  const seen = new Set<string>();
  for (const p of pairs) {
    if (!seen.has(p.src)) {
      seen.add(p.src);
      sources.push(p.src);
    }
  }
  let k: number;
  if (opts.devSize !== undefined) k = opts.devSize;
  else if (opts.devFraction !== undefined) k = Math.round(opts.devFraction * sources.length);
  else throw new Error('splitTrainDev: give devFraction or devSize');
  if (!Number.isInteger(k) || k < 0 || k > sources.length) {
    throw new Error(`splitTrainDev: dev size ${k} must be an integer in [0, ${sources.length}] (unique sources)`);
  }
  new Rng(opts.seed).shuffle(sources);
  const devSources = new Set(sources.slice(0, k));
  const train: T[] = [];
  const dev: T[] = [];
  for (const p of pairs) (devSources.has(p.src) ? dev : train).push(p);
  return { train, dev };
}
