/**
 * Pieces every sub-command shares: starting the compute engine, reading input lines and writing
 * output files atomically. Models are opened with openTranslator (src/translate/open.ts).
 */
import * as fs from 'node:fs';
import { initEngine, shutdownEngine, type EngineInfo } from '../engine/engine.js';
import { readLines } from '../data/readers.js';
import { UserError } from './errors.js';

/**
 * Start the engine once (WebAssembly GEMM, `threads` threads; 0 = default). When the kernels are
 * not built, say so and continue with the TypeScript GEMM.
 */
export async function startEngine(threads: number, log: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Promise<EngineInfo> {
  try {
    return await initEngine(threads > 0 ? { threads } : {});
  } catch (err) {
    log(`engine: WebAssembly kernels unavailable, using the TypeScript GEMM (slower): ${err instanceof Error ? err.message : String(err)}`);
    return { backend: 'js', threads: 1 };
  }
}

export async function stopEngine(): Promise<void> {
  await shutdownEngine();
}

/** Run `work` with the engine started on `threads` threads, stopping it after. */
export async function withEngine<T>(threads: number, work: () => T, log?: (line: string) => void): Promise<T> {
  await startEngine(threads, log);
  try {
    return work();
  } finally {
    await stopEngine();
  }
}

/**
 * Lines of a file (or of stdin when `file` is undefined), without the final newline, streamed with the readers'
 * limits: the file must be a regular file or a pipe, and no line may pass MAX_LINE_BYTES (errors name file:line).
 * Invalid UTF-8 becomes U+FFFD, as Node's 'utf8' decoding does.
 */
export function readInputLines(file: string | undefined): string[] {
  if (file !== undefined && !fs.existsSync(file)) throw new UserError(`${file}: no such input file`);
  const decoder = new TextDecoder('utf-8');
  const lines: string[] = [];
  for (const { bytes } of readLines(file ?? 0, file ?? 'stdin')) lines.push(decoder.decode(bytes));
  return lines;
}

export { writeFileAtomic } from '../util/fs.js';
