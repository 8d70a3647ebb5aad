/**
 * Checkpoint files (Node only): the byte codec of src/model/checkpoint.ts, read from and written to
 * disk. Writing is atomic (temporary file, then rename), so a crash never leaves half a checkpoint.
 */
import { existsSync, readFileSync } from 'node:fs';
import { checkInputFile, FileReadError, writeFileAtomic } from '../util/fs.js';
import { CheckpointError, decodeCheckpoint, encodeCheckpoint, type CheckpointContents } from './checkpoint.js';

/** Write a checkpoint file atomically (temporary file, then rename). */
export function saveCheckpoint(path: string, c: CheckpointContents): void {
  writeFileAtomic(path, encodeCheckpoint(c));
}

/** Read and check a checkpoint file; every error names the file. */
export function loadCheckpoint(path: string): CheckpointContents {
  return decodeCheckpoint(readCheckpointBytes(path), path);
}

/** The bytes of a checkpoint file; a missing or unreadable file is a CheckpointError naming it. */
export function readCheckpointBytes(path: string): Uint8Array {
  try {
    if (!existsSync(path)) throw new CheckpointError(path, 'no such model file');
    checkInputFile(path, 'model file');
    return readFileSync(path);
  } catch (e) {
    if (e instanceof CheckpointError) throw e;
    if (e instanceof FileReadError) throw new CheckpointError(path, e.message.slice(path.length + 2));
    const code = e instanceof Error && 'code' in e ? String(e.code) : '';
    throw new CheckpointError(path, code === 'ENOENT' ? 'no such model file' : `cannot read: ${e instanceof Error ? e.message : String(e)}`);
  }
}
