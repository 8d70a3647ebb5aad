/** What the browser tests share: Debian's Chromium (playwright-core), page errors, a plain static file server. */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { packageRoot } from '../../src/server/static.js';

export const CHROMIUM = '/usr/bin/chromium';
export const dist = path.join(packageRoot(), 'web', 'dist');
export const artifacts = path.join(packageRoot(), 'test-artifacts');

/** Why the browser tests cannot run here, or false. */
export const skipBrowser: string | false = !fs.existsSync(CHROMIUM)
  ? `${CHROMIUM} is not installed (apt-get install chromium; CI installs it)`
  : !fs.existsSync(path.join(dist, 'index.html'))
    ? 'web/dist is not built (npm run build:web)'
    : false;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}

/** Collect page errors so a broken script fails the test with its message. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm' };

/** Serve the files of `dir` (no API: the page's in-browser mode); resolves to its base URL. */
export async function serveStatic(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    const file = path.join(dir, rel === '/' ? 'index.html' : path.normalize(rel).replace(/^(\.\.[/\\])+/, ''));
    if (!file.startsWith(dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' }).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
