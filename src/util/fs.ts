/**
 * Files the way every command needs them:
 *
 *  - writeFileAtomic: the data goes to `file.tmp-<pid>` next to the target, which is then renamed over it
 *    (atomic on one file system). If anything fails, the temporary file is removed and the target is either
 *    the old file or the new one; the error (disk full, read-only, no permission...) is a FileWriteError
 *    naming the path the user gave, never the temporary file. A target that is a device or a pipe
 *    (/dev/stdout, /dev/null) is written directly: it cannot be renamed over.
 *  - makeDirs: `mkdir -p` as a bounded loop of our own (Node's recursive mkdir spins forever on some paths,
 *    e.g. under /proc); failures name the directory.
 *  - checkInputFile: a file we are about to read must be a regular file (or a pipe): /dev/zero, a directory
 *    or a socket is refused before reading a byte.
 *  - removeStaleTemps: the `*.tmp-<pid>` files a killed process left behind.
 *
 * Named imports only: the browser bundle replaces node:fs with a stub whose functions throw.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isatty } from 'node:tty';
import { InputError } from './errors.js';

/** Writing a file failed for a reason of the environment (disk full, permissions...): names the user's path. */
export class FileWriteError extends InputError {
  constructor(readonly file: string, readonly code: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'FileWriteError';
  }
}

/** A file that cannot be read as asked (not a regular file, missing, too long a line...). */
export class FileReadError extends InputError {
  constructor(readonly file: string, detail: string) {
    super(`${file}: ${detail}`);
    this.name = 'FileReadError';
  }
}

const WRITE_REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such directory',
  ENOTDIR: 'a parent is not a directory',
  EISDIR: 'is a directory',
  EFBIG: 'file too large',
  EIO: 'input/output error',
  EEXIST: 'already exists',
  ENAMETOOLONG: 'name too long',
  ELOOP: 'too many symbolic links',
  EXDEV: 'rename across file systems',
};

function errorCode(e: unknown): string {
  return e instanceof Error && 'code' in e ? String(e.code) : '';
}

/** The FileWriteError for a Node file error while writing `file` (other errors are returned as they are). */
export function writeErrorFor(file: string, e: unknown): unknown {
  const code = errorCode(e);
  const reason = WRITE_REASONS[code];
  return reason === undefined ? e : new FileWriteError(file, code, `cannot write: ${reason} (${code})`);
}

/** True for an existing target that is not a regular file or directory (a device, a pipe): written in place. */
function isSpecial(file: string): boolean {
  try {
    const s = statSync(file);
    return !s.isFile() && !s.isDirectory();
  } catch {
    return false;
  }
}

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  if (isSpecial(file)) {
    try {
      writeFileSync(file, data);
    } catch (e) {
      throw writeErrorFor(file, e);
    }
    return;
  }
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw writeErrorFor(file, e);
  }
}

/** Deepest directory nesting makeDirs creates (a path longer than this is refused, not looped on). */
const MAX_DEPTH = 256;

/** `mkdir -p dir` with a bounded loop: creates each missing ancestor, failing with a FileWriteError naming `dir`. */
export function makeDirs(dir: string): void {
  const at = (d: string): string => (d === resolve(dir) ? '' : ` (at ${d})`);
  const missing: string[] = [];
  let d = resolve(dir);
  for (let i = 0; ; i++) {
    if (i > MAX_DEPTH) throw new FileWriteError(dir, 'ENAMETOOLONG', `cannot create directory: more than ${MAX_DEPTH} levels`);
    let isDir: boolean | null = null;
    try {
      isDir = statSync(d).isDirectory();
    } catch (e) {
      const code = errorCode(e);
      if (code !== 'ENOENT') throw new FileWriteError(dir, code, `cannot create the directory${at(d)}: ${WRITE_REASONS[code] ?? code} (${code})`);
    }
    if (isDir === true) break;
    if (isDir === false) throw new FileWriteError(dir, 'ENOTDIR', `cannot create the directory: ${d} exists and is not a directory`);
    missing.push(d);
    const parent = dirname(d);
    if (parent === d) break;
    d = parent;
  }
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      const code = errorCode(e);
      if (code === 'EEXIST' && statSync(m).isDirectory()) continue;
      throw new FileWriteError(dir, code, `cannot create the directory${at(m)}: ${WRITE_REASONS[code] ?? code} (${code})`);
    }
  }
}

/**
 * Refuse to read `file` unless it is a regular file or a pipe (a terminal is fine too): /dev/zero, /dev/urandom,
 * a directory or a socket would never end or make no sense. `what` says what the file was for ("training corpus").
 */
export function checkInputFile(file: string, what = 'input file'): void {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    const code = errorCode(e);
    throw new FileReadError(file, code === 'ENOENT' ? `cannot read ${what} (no such file)` : code === 'EISDIR' ? `cannot read ${what}: it is a directory` : `cannot read ${what} (${code || String(e)})`);
  }
  try {
    const s = fstatSync(fd);
    if (s.isFile() || s.isFIFO()) return;
    const kind = s.isDirectory() ? 'a directory' : s.isCharacterDevice() ? 'a character device' : s.isBlockDevice() ? 'a block device' : s.isSocket() ? 'a socket' : 'not a regular file';
    // A terminal (e.g. --input /dev/stdin typed by hand) reads like a pipe.
    if (s.isCharacterDevice() && isatty(fd)) return;
    throw new FileReadError(file, `cannot read ${what}: it is ${kind}, not a regular file`);
  } finally {
    closeSync(fd);
  }
}

/** A file name a killed process of ours left: `<name>.tmp-<pid>`. */
const TEMP = /\.tmp-(\d+)$/;

/**
 * Delete the `*.tmp-<pid>` files of `dir` whose process is gone (a SIGKILL during a save leaves one, up to a
 * checkpoint's size). Returns the names removed. Files of live processes (another run writing) are kept.
 */
export function removeStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP.exec(name);
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && processAlive(pid)) continue;
    rmSync(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errorCode(e) === 'EPERM';
  }
}
