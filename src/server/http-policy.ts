/**
 * The server's HTTP policy, in one place: the methods it answers, the Host names it accepts (against DNS
 * rebinding), the headers every response and the page carry, and how connection-level errors (a body that
 * never ends, a method the parser does not know, CONNECT) are answered. A new route with a new method, or a
 * new header (cross-origin isolation, say), is one entry in the lists below.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyInstance } from 'fastify';

/** Methods the server answers (HEAD: every GET route); any other gets 405 with an Allow header. */
export const ALLOWED_METHODS: readonly string[] = ['GET', 'HEAD', 'POST'];

/** Headers on every response. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * The page's Content-Security-Policy: its own scripts, Web Workers and WebAssembly (`wasm-unsafe-eval`
 * compiles the engine; `blob:` workers), inline styles (the heatmap SVG's style attributes), `data:` images
 * (the favicon), fetches to this server and, for `?model=URL`, to any http(s) host; no plugins, and no
 * framing by other sites (`frame-ancestors 'none'`).
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self' http: https: blob: data:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on HTML pages (on top of COMMON_HEADERS). */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': PAGE_CSP,
  'x-frame-options': 'DENY',
};

/** Host names always accepted when the server is bound to a loopback interface. */
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Whether `host` (an interface to bind) is a loopback address or name. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(h) || h === '::1' || h === '::ffff:127.0.0.1';
}

/** The host name of a Host header, lower-cased, without the port ("[::1]" keeps its brackets). */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(0, end + 1);
  }
  const colon = h.lastIndexOf(':');
  return (colon < 0 ? h : h.slice(0, colon)).replace(/\.$/, '');
}

/**
 * Which Host names to accept: `allowed` (from --allowed-hosts; "*" accepts any) plus, when bound to loopback,
 * localhost, 127.0.0.1, [::1] and the bound name itself. Null: accept any Host (bound to a public interface and
 * no list given).
 */
export function hostAllowList(bindHost: string | undefined, allowed: readonly string[] | undefined): Set<string> | null {
  const given = (allowed ?? []).map((h) => hostName(h)).filter((h) => h !== '');
  if (given.includes('*')) return null;
  const loopback = bindHost === undefined || isLoopbackHost(bindHost);
  if (!loopback && given.length === 0) return null;
  const names = new Set(given);
  if (loopback) {
    for (const n of LOOPBACK_NAMES) names.add(n);
    if (bindHost !== undefined) names.add(hostName(bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost));
  }
  return names;
}

/** Why a Host header is refused, or null when it is accepted. */
export function checkHost(header: string | undefined, allow: Set<string> | null): string | null {
  if (allow === null || header === undefined) return null; // no Host: HTTP/1.0 clients, never a browser
  const name = hostName(header);
  if (allow.has(name)) return null;
  return `Host "${header}" is not allowed: this server answers ${[...allow].join(', ')} (add names with --allowed-hosts)`;
}

function rawReply(status: number, reason: string, message: string, extra = ''): string {
  const body = JSON.stringify({ statusCode: status, error: reason, message });
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `X-Content-Type-Options: nosniff\r\n${extra}Connection: close\r\n\r\n${body}`
  );
}

const ALLOW_LINE = `Allow: ${ALLOWED_METHODS.join(', ')}\r\n`;

/**
 * Node's connection-level errors, answered in JSON: 408 when the request (headers and body) is not received
 * within the body timeout, 405 for a method the parser does not know, 431 for oversized headers, else 400.
 * (fastify's `clientErrorHandler`.)
 */
export function clientErrorHandler(bodyTimeoutMs: number): (err: Error & { code?: string }, socket: Duplex) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    let reply: string;
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      reply = rawReply(408, 'Request Timeout', `the request was not received within ${bodyTimeoutMs} ms`);
    } else if (err.code === 'HPE_INVALID_METHOD') {
      reply = rawReply(405, 'Method Not Allowed', `unknown method (allowed: ${ALLOWED_METHODS.join(', ')})`, ALLOW_LINE);
    } else if (err.code === 'HPE_HEADER_OVERFLOW') {
      reply = rawReply(431, 'Request Header Fields Too Large', 'the request headers are too large');
    } else {
      reply = rawReply(400, 'Bad Request', 'malformed HTTP request');
    }
    if (socket.writable) socket.end(reply);
    else socket.destroy();
  };
}

/**
 * Apply the policy to `app`: Host check (403), 405 for methods outside ALLOWED_METHODS (also CONNECT, which
 * Node hands over as a raw socket), COMMON_HEADERS on every response and PAGE_HEADERS on HTML.
 */
export function applyHttpPolicy(app: FastifyInstance, allow: Set<string> | null): void {
  app.addHook('onRequest', async (request, reply) => {
    const refused = checkHost(request.headers.host, allow);
    if (refused !== null) {
      return reply.status(403).send({ statusCode: 403, error: 'Forbidden', message: refused });
    }
    if (!ALLOWED_METHODS.includes(request.method)) {
      return reply
        .status(405)
        .header('allow', ALLOWED_METHODS.join(', '))
        .send({ statusCode: 405, error: 'Method Not Allowed', message: `${request.method} is not allowed (allowed: ${ALLOWED_METHODS.join(', ')})` });
    }
    return undefined;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    for (const [k, v] of Object.entries(COMMON_HEADERS)) void reply.header(k, v);
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      for (const [k, v] of Object.entries(PAGE_HEADERS)) void reply.header(k, v);
    }
    return payload;
  });
  app.server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => undefined);
    socket.end(rawReply(405, 'Method Not Allowed', `CONNECT is not allowed (allowed: ${ALLOWED_METHODS.join(', ')})`, ALLOW_LINE));
  });
}
