/**
 * Serves the built web page (web/dist) from the API server: `/` is index.html, files under
 * `assets/` are content-hashed by Vite and cached for a year. Paths cannot leave the directory.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.safetensors': 'application/octet-stream',
  '.map': 'application/json; charset=utf-8',
};

/** The package root: the nearest ancestor of this file holding package.json. */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** web/dist of this package, or null when the page has not been built. */
export function defaultStaticDir(): string | null {
  const dir = path.join(packageRoot(), 'web', 'dist');
  return fs.existsSync(path.join(dir, 'index.html')) ? dir : null;
}

/** Resolve a URL path inside `root`; null if it escapes or is not a file. */
export function resolveStaticPath(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath.split('?')[0] ?? '');
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const rel = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const full = path.resolve(root, rel);
  if (full !== root && !full.startsWith(root + path.sep)) return null;
  try {
    return fs.statSync(full).isFile() ? full : null;
  } catch {
    return null;
  }
}

export function registerStatic(app: FastifyInstance, staticDir: string | null | undefined): void {
  const root = staticDir === undefined ? defaultStaticDir() : staticDir === null ? null : path.resolve(staticDir);
  app.get('/*', async (request, reply) => {
    if (root === null) {
      return reply
        .status(404)
        .type('text/plain; charset=utf-8')
        .send('The web page is not built: run "npm run build:web". The API is at POST /translate, GET /model, GET /health.\n');
    }
    const file = resolveStaticPath(root, request.url);
    if (file === null) {
      return reply.status(404).send({ statusCode: 404, error: 'Not Found', message: `no such page: ${request.url.split('?')[0]}` });
    }
    const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
    const immutable = file.includes(`${path.sep}assets${path.sep}`);
    return reply
      .type(type)
      .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .send(fs.readFileSync(file));
  });
}
