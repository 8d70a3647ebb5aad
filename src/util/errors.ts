/**
 * The one base class for every error that is the user's (or the environment's) fault: a bad file, flag, config
 * key, checkpoint or request. The command line exits 1 on it with its one-line message (no stack trace); the
 * server answers 4xx. Anything else is a bug: exit 2 with the stack.
 *
 * Subclasses set `name` explicitly (class names do not survive minification, and the server's worker threads
 * pass errors across by name).
 */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}
