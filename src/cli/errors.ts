import { InputError } from '../util/errors.js';

/**
 * How the command line reports failures. Exit codes:
 *   0 success, 1 bad input or usage (one clear line naming the file/line/field, no stack trace),
 *   2 internal error (a bug: message plus stack trace), 130 interrupted by Ctrl-C (after saving).
 */

/** A problem with what the user gave us (file, flag, data, checkpoint): exit code 1, message only. */
export class UserError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

const FILE_ERROR_CODES: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  EACCES: 'permission denied',
  ENOTDIR: 'not a directory',
  EEXIST: 'already exists',
};

/** Exit code and the text to print for an error thrown by a command. */
export function describeError(err: unknown): { code: 1 | 2; message: string } {
  if (err instanceof Error) {
    if (err instanceof InputError) return { code: 1, message: `error: ${err.message}` };
    const code = 'code' in err ? String(err.code) : '';
    const reason = FILE_ERROR_CODES[code];
    if (reason !== undefined) {
      const file = 'path' in err ? String(err.path) : '';
      return { code: 1, message: `error: ${file ? `${file}: ` : ''}${reason}` };
    }
    return { code: 2, message: `internal error: ${err.stack ?? err.message}` };
  }
  return { code: 2, message: `internal error: ${String(err)}` };
}
