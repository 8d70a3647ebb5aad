/**
 * Writing files so that nothing already there is lost: the data goes to `file.tmp-<pid>` next to the
 * target, which is then renamed over it (atomic on one file system). If anything fails, the temporary
 * file is removed and the error is rethrown; the target is either the old file or the new one.
 *
 * Named imports only: the browser bundle replaces node:fs with a stub whose functions throw.
 */
import { renameSync, rmSync, writeFileSync } from 'node:fs';

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
