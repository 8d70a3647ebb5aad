/**
 * Downloading a file (Node only): resumable (a partial `<file>.part` is continued with an HTTP Range
 * request), with a progress bar on a terminal, a SHA-256 of what arrived (checked when the expected one
 * is known), and errors that say what went wrong in one line (no network, HTTP status, checksum).
 * `file:` URLs and plain paths are copied, so a file fetched by hand can be used offline.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { InputError } from '../util/errors.js';
import { makeDirs } from '../util/fs.js';

/** A download that failed; the message names the URL and the reason. */
export class DownloadError extends InputError {
  constructor(message: string) {
    super(message);
    this.name = 'DownloadError';
  }
}

export interface DownloadOptions {
  /** Expected SHA-256 (hex); a mismatch deletes the file and throws. */
  sha256?: string | null;
  /** Progress bar on stderr (default: when stderr is a terminal). */
  progress?: boolean;
  log?: (line: string) => void;
}

export interface Downloaded {
  url: string;
  file: string;
  bytes: number;
  sha256: string;
  /** True when an expected checksum was given and matched. */
  verified: boolean;
  /** Bytes taken from an earlier partial download. */
  resumedFrom: number;
}

/** SHA-256 of a file, hex. */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const NETWORK_CODES: Record<string, string> = {
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve (no network?)',
  ECONNREFUSED: 'the connection was refused',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  ENETUNREACH: 'the network is unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the connection broke off',
};

/** The innermost known network cause of a fetch error ("fetch failed" says nothing), else its deepest message. */
function networkReason(err: unknown): string {
  let e: unknown = err;
  let deepest = err instanceof Error ? err.message : String(err);
  for (let i = 0; i < 4 && e instanceof Error; i++) {
    const code = 'code' in e ? String(e.code) : '';
    if (NETWORK_CODES[code] !== undefined) return `${NETWORK_CODES[code]} (${code})`;
    deepest = e.message;
    e = e.cause;
  }
  return deepest;
}

function isHttp(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/**
 * Fetch `url` into `file` (directories created). A finished `file` is reused as it is; an unfinished
 * `<file>.part` is continued where it stopped. Resolves once `file` is complete.
 */
export async function download(url: string, file: string, opts: DownloadOptions = {}): Promise<Downloaded> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  makeDirs(path.dirname(file));
  let resumedFrom = 0;
  if (!fs.existsSync(file)) {
    if (isHttp(url)) resumedFrom = await fetchHttp(url, file, opts.progress ?? process.stderr.isTTY === true, log);
    else copyLocal(url, file);
  } else {
    log(`${path.basename(file)}: already downloaded, reusing it`);
  }
  const sha256 = await sha256File(file);
  const expected = opts.sha256?.toLowerCase() ?? null;
  if (expected !== null && expected !== sha256) {
    fs.rmSync(file, { force: true });
    throw new DownloadError(`${url}: SHA-256 ${sha256} is not the expected ${expected} (the file was deleted; download again)`);
  }
  return { url, file, bytes: fs.statSync(file).size, sha256, verified: expected !== null, resumedFrom };
}

function copyLocal(url: string, file: string): void {
  const source = url.startsWith('file:') ? fileURLToPath(url) : url;
  if (!fs.existsSync(source)) throw new DownloadError(`${url}: no such file (give an http(s) URL, or the path of a file downloaded by hand)`);
  fs.copyFileSync(source, `${file}.part`);
  fs.renameSync(`${file}.part`, file);
}

/** Download over HTTP(S) into `<file>.part`, then rename; returns the bytes a previous attempt had. */
async function fetchHttp(url: string, file: string, showBar: boolean, log: (line: string) => void): Promise<number> {
  const part = `${file}.part`;
  const have = fs.existsSync(part) ? fs.statSync(part).size : 0;
  let res: Response;
  try {
    res = await fetch(url, { headers: have > 0 ? { range: `bytes=${have}-` } : {}, redirect: 'follow' });
  } catch (err) {
    throw new DownloadError(`${url}: cannot download: ${networkReason(err)}. Without network, fetch the file by hand and give its path with --url`);
  }
  if (res.status === 416 && have > 0) {
    // The part is already complete (the server has nothing after it).
    fs.renameSync(part, file);
    return have;
  }
  if (!(res.status === 200 || (res.status === 206 && have > 0))) {
    await res.body?.cancel();
    throw new DownloadError(`${url}: the server answered ${res.status} ${res.statusText}`);
  }
  const resumed = res.status === 206 ? have : 0;
  if (have > 0) log(resumed > 0 ? `${path.basename(file)}: resuming after ${resumed} bytes` : `${path.basename(file)}: the server cannot resume; starting again`);
  const length = Number(res.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(length) ? resumed + length : 0;
  const out = fs.createWriteStream(part, { flags: resumed > 0 ? 'a' : 'w' });
  const bar = showBar && total > 0 ? new cliProgress.SingleBar({ format: `${path.basename(file)} [{bar}] {percentage}% | {value}/{total} bytes | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic) : null;
  bar?.start(total, resumed);
  let got = resumed;
  try {
    if (res.body === null) throw new DownloadError(`${url}: the server sent no body`);
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!out.write(value)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      got += value.length;
      bar?.update(got);
    }
  } catch (err) {
    bar?.stop();
    await new Promise<void>((resolve) => out.end(() => resolve()));
    if (err instanceof DownloadError) throw err;
    throw new DownloadError(`${url}: the download broke off after ${got} bytes (${networkReason(err)}); run the command again to resume`);
  }
  bar?.stop();
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  if (total > 0 && got !== total) throw new DownloadError(`${url}: got ${got} of ${total} bytes; run the command again to resume`);
  fs.renameSync(part, file);
  if (!showBar) log(`${path.basename(file)}: ${got} bytes from ${url}`);
  return resumed;
}
