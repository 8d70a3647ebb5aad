/**
 * Reading hypotheses and references for scoring.
 *
 * Two layouts:
 * - line-aligned files (one file per reference, line i of every file belongs to segment i), as sacreBLEU reads them;
 * - a TSV of `source<TAB>target` pairs whose source repeats (Tatoeba dev: one English sentence, several French
 *   translations on consecutive or scattered lines): grouped into one multi-reference list per unique source,
 *   sources in first-seen order.
 *
 * Metrics take references as streams, sacreBLEU's layout: `streams[k][i]` is reference k of segment i.
 * Segments with fewer references pad their streams with '' (sacreBLEU drops empty references per segment),
 * see {@link toReferenceStreams}.
 *
 * Errors (BleuError) name the file and the 1-based line.
 */
import { readFileSync } from 'node:fs';
import { DataError, MAX_LINE_BYTES } from '../data/readers.js';
import { checkInputFile } from '../util/fs.js';
import { InputError } from '../util/errors.js';
import { BleuError } from './bleu.js';

/** Splits text into lines on '\n' (as sacreBLEU opens files, newline="\n"); a final newline ends the last line. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/**
 * Decodes UTF-8 bytes into lines, strictly: invalid UTF-8 is an error naming `name` and the line.
 * A UTF-8 byte order mark at the start is dropped; a '\r' before '\n' is dropped.
 */
export function decodeLines(bytes: Uint8Array, name: string): string[] {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  const lines: string[] = [];
  let start = 0;
  let lineNo = 1;
  const n = bytes.length;
  while (start < n) {
    let end = bytes.indexOf(0x0a, start);
    const next = end === -1 ? n : end + 1;
    if (end === -1) end = n;
    let stop = end;
    if (stop > start && bytes[stop - 1] === 0x0d) stop--;
    if (stop - start > MAX_LINE_BYTES) throw new BleuError(`${name}:${lineNo}: line longer than ${MAX_LINE_BYTES} bytes (1 MiB)`);
    const slice = bytes.subarray(start, stop);
    let text: string;
    try {
      // Only the first line can carry the byte order mark; the decoder drops it there.
      text = lineNo === 1 ? decoder.decode(slice) : decodeNoBom(slice);
    } catch {
      throw new BleuError(`${name}:${lineNo}: invalid UTF-8`);
    }
    lines.push(text);
    start = next;
    lineNo++;
  }
  return lines;
}

const noBomDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
function decodeNoBom(bytes: Uint8Array): string {
  return noBomDecoder.decode(bytes);
}

/** Reads a UTF-8 text file as lines (see {@link decodeLines}); errors name the file. */
export function readLines(path: string): string[] {
  let bytes: Uint8Array;
  try {
    checkInputFile(path, 'text file');
    bytes = readFileSync(path);
  } catch (e) {
    if (e instanceof InputError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new BleuError(`cannot read ${path}: ${msg}`);
  }
  return decodeLines(bytes, path);
}

/**
 * Reads line-aligned reference files: returns one stream per file (`streams[k][i]`).
 * All files must have the same number of lines; the error names the first file and the one that differs.
 */
export function readReferenceFiles(paths: readonly string[]): string[][] {
  if (paths.length === 0) throw new BleuError('no reference file given');
  const streams = paths.map((p) => readLines(p));
  for (let k = 1; k < streams.length; k++) {
    if (streams[k].length !== streams[0].length) {
      throw new BleuError(
        `reference files differ in length: ${paths[0]} has ${streams[0].length} lines, ` +
          `${paths[k]} has ${streams[k].length} lines`,
      );
    }
  }
  return streams;
}

/** Multi-reference data grouped by unique source. */
export interface GroupedReferences {
  /** Unique sources in first-seen order. */
  sources: string[];
  /** `references[g]`: every target of `sources[g]`, in file order. */
  references: string[][];
  /** `lines[g][r]`: the 1-based file line of `references[g][r]`. */
  lines: number[][];
}

export interface GroupTsvOptions {
  /** 0-based column holding the source (default 0). */
  sourceColumn?: number;
  /** 0-based column holding the target (default 1). */
  targetColumn?: number;
}

/**
 * Groups `source<TAB>target` lines by source: one entry per unique source (first-seen order) with all its targets.
 * Extra columns (e.g. Tatoeba's attribution) are ignored. A line without the needed columns, or with an empty
 * source or target, is an error naming `name` and the line.
 */
export function groupTsvLines(lines: readonly string[], name: string, options: GroupTsvOptions = {}): GroupedReferences {
  const srcCol = options.sourceColumn ?? 0;
  const tgtCol = options.targetColumn ?? 1;
  const needed = Math.max(srcCol, tgtCol) + 1;
  const index = new Map<string, number>();
  const out: GroupedReferences = { sources: [], references: [], lines: [] };
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const fields = lines[i].split('\t');
    if (fields.length < needed) {
      throw new BleuError(`${name}:${lineNo}: expected at least ${needed} tab-separated fields, found ${fields.length}`);
    }
    const source = fields[srcCol];
    const target = fields[tgtCol];
    if (source.trim() === '') throw new BleuError(`${name}:${lineNo}: empty source (column ${srcCol + 1})`);
    if (target.trim() === '') throw new BleuError(`${name}:${lineNo}: empty target (column ${tgtCol + 1})`);
    let g = index.get(source);
    if (g === undefined) {
      g = out.sources.length;
      index.set(source, g);
      out.sources.push(source);
      out.references.push([]);
      out.lines.push([]);
    }
    out.references[g].push(target);
    out.lines[g].push(lineNo);
  }
  return out;
}

/** Reads and groups a `source<TAB>target` TSV file (see {@link groupTsvLines}). */
export function readGroupedTsv(path: string, options: GroupTsvOptions = {}): GroupedReferences {
  return groupTsvLines(readLines(path), path, options);
}

/**
 * Per-segment reference lists -> sacreBLEU streams: `streams[k][i]` is reference k of segment i,
 * '' where segment i has fewer than k + 1 references (metrics drop empty references per segment).
 */
export function toReferenceStreams(perSegment: readonly (readonly string[])[]): string[][] {
  let maxRefs = 0;
  for (const refs of perSegment) maxRefs = Math.max(maxRefs, refs.length);
  const streams: string[][] = [];
  for (let k = 0; k < maxRefs; k++) streams.push(perSegment.map((refs) => (k < refs.length ? refs[k] : '')));
  return streams;
}

/** `source<TAB>target` lines -> pairs (blank lines skipped); a bad line is a DataError naming `name` and the line. */
export function parsePairLines(lines: readonly string[], name: string): Array<{ src: string; tgt: string }> {
  const pairs: Array<{ src: string; tgt: string }> = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const cols = line.split('\t');
    const src = (cols[0] ?? '').trim();
    const tgt = (cols[1] ?? '').trim();
    if (cols.length < 2 || src === '' || tgt === '') {
      throw new DataError(name, i + 1, cols.length < 2 ? 'missing-column' : 'empty-side', `expected "source<TAB>target", got ${JSON.stringify(line.slice(0, 80))}`);
    }
    pairs.push({ src, tgt });
  });
  return pairs;
}
