/**
 * The HTTP API (fastify) and the web page.
 *
 *   POST /translate  {"text": "..."} or {"texts": [...]}, options beam (default: the model's own), nbest, attention,
 *                    model ("attention" or "baseline": which of the two loaded models answers; default the first loaded)
 *                    -> {"model", "translations": [{"text", "source_tokens", "target_tokens", "weights", "score", "nbest"?}]}
 *   GET  /health     -> {"status": "ok", "models", "pending", "uptime_s", "rss_mb", "heap_mb"}  (answers while a batch runs)
 *   GET  /model      -> {"models": {"attention"?: ModelInfo, "baseline"?: ModelInfo}, "limits"}
 *   GET  /*          the built web page (web/dist)
 *
 * Every client error is a JSON {statusCode, error, message} whose message says what is wrong:
 * 400 bad JSON / wrong types / unknown options / empty or too long text / too many sentences,
 * 403 a Host name this server does not answer (DNS rebinding), 405 a method other than GET, HEAD, POST,
 * 408 the request body did not arrive within the body timeout, 413 body too large or too much work
 * (sentences x characters x beam), 503 translator saturated, 504 translation took longer than the timeout.
 * A request whose client goes away is cancelled (queued work dropped, a running decode stopped).
 * The method list, the Host check and the security headers live in http-policy.ts.
 */
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { applyHttpPolicy, clientErrorHandler, hostAllowList } from './http-policy.js';
import { sentenceWork } from './scheduler.js';
import { registerStatic } from './static.js';
import {
  TranslationInputError,
  TranslatorBusyError,
  modelBeam,
  type ModelKind,
  type TranslationResult,
  type Translator,
} from './translator.js';

export interface ServerLimits {
  /** Most sentences in one request (default 32). */
  maxSentences: number;
  /** Longest sentence in characters (default 1000). */
  maxChars: number;
  /** Largest beam (and n-best) size (default 16). */
  maxBeam: number;
  /** Largest request body in bytes (default 64 KiB): larger bodies get 413. */
  bodyLimit: number;
  /** A translation taking longer than this many milliseconds gets 504 (default 60 s). */
  timeoutMs: number;
  /** A request (headers and body) not received within this many milliseconds gets 408 (default 10 s). */
  bodyTimeoutMs: number;
  /**
   * Most work in one request, in character-beams: the sum over its sentences of characters x beam (the
   * model's own beam when the request gives none). More gets 413 (default 128,000: 8 sentences of 1,000
   * characters at beam 16, or 32 of 1,000 at beam 4).
   */
  maxWork: number;
}

export const defaultLimits: ServerLimits = {
  maxSentences: 32,
  maxChars: 1000,
  maxBeam: 16,
  bodyLimit: 64 * 1024,
  timeoutMs: 60_000,
  bodyTimeoutMs: 10_000,
  maxWork: 128_000,
};

export interface ServerOptions {
  translators: { attention?: Translator; baseline?: Translator };
  limits?: Partial<ServerLimits>;
  /** Directory of the built web page; null: no page. Default: web/dist of this package when built. */
  staticDir?: string | null;
  /** fastify's request log (default false). */
  logger?: boolean;
  /** The interface the server will listen on (default 127.0.0.1): on loopback only loopback Host names are answered. */
  host?: string;
  /** Host names answered besides the loopback ones ("*": any); on a public interface, none given: any. */
  allowedHosts?: readonly string[];
}

interface TranslateBody {
  text?: string;
  texts?: string[];
  beam?: number;
  nbest?: number;
  attention?: boolean;
  model?: ModelKind;
}

const OPTION_NAMES = ['text', 'texts', 'beam', 'nbest', 'attention', 'model'];

function translateSchema(limits: ServerLimits): Record<string, unknown> {
  const sentence = { type: 'string', minLength: 1, maxLength: limits.maxChars, pattern: '\\S' };
  return {
    type: 'object',
    additionalProperties: false,
    properties: {
      text: sentence,
      texts: { type: 'array', minItems: 1, maxItems: limits.maxSentences, items: sentence },
      beam: { type: 'integer', minimum: 1, maximum: limits.maxBeam },
      nbest: { type: 'integer', minimum: 1, maximum: limits.maxBeam },
      attention: { type: 'boolean' },
      model: { type: 'string', enum: ['attention', 'baseline'] },
    },
  };
}

interface AjvError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** Turn ajv's first error into a sentence naming the field and the rule. */
export function describeValidationError(e: AjvError, limits: ServerLimits): string {
  const field = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  const where = field === '' ? 'request body' : `"${field}"`;
  const isText = /^(text|texts\.\d+)$/.test(field);
  switch (e.keyword) {
    case 'additionalProperties':
      return `unknown option "${String(e.params['additionalProperty'])}" (allowed: ${OPTION_NAMES.join(', ')})`;
    case 'type':
      return `${where} must be ${e.params['type'] === 'object' ? 'a JSON object' : `of type ${String(e.params['type'])}`}`;
    case 'minLength':
    case 'pattern':
      return isText ? `${where} is empty` : `${where} ${e.message ?? 'is invalid'}`;
    case 'maxLength':
      return `${where} is too long (at most ${limits.maxChars} characters)`;
    case 'minItems':
      return `${where} is an empty list`;
    case 'maxItems':
      return `too many sentences in "texts" (at most ${limits.maxSentences} per request)`;
    case 'enum':
      return `${where} must be one of ${(e.params['allowedValues'] as unknown[] | undefined)?.map((v) => `"${String(v)}"`).join(', ') ?? 'the allowed values'}`;
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}

class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Why a translation was given up: the client left (nothing is sent), or the timeout passed (504). */
export class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection');
    this.name = 'ClientGoneError';
  }
}

/**
 * Run `work` with an abort signal that fires after `ms` (reason: a 504 HttpError) or when the client closes the
 * connection (reason: ClientGoneError); the translator drops queued work and stops a running decode on it.
 */
async function withDeadline<T>(ms: number, request: FastifyRequest, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new HttpError(504, `translation did not finish within ${ms} ms; try fewer or shorter sentences or a smaller beam`)),
    ms,
  );
  const socket = request.raw.socket;
  const onClose = (): void => controller.abort(new ClientGoneError());
  socket.once('close', onClose);
  const aborted = new Promise<never>((_, reject) => {
    controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), { once: true });
  });
  try {
    return await Promise.race([work(controller.signal), aborted]);
  } finally {
    clearTimeout(timer);
    socket.off('close', onClose);
  }
}

/** The server with its routes, not yet listening (tests call `listen({ port: 0 })`). */
export function buildServer(opts: ServerOptions): FastifyInstance {
  const limits: ServerLimits = { ...defaultLimits, ...opts.limits };
  const translators = opts.translators;
  const loaded = (['attention', 'baseline'] as const).filter((k) => translators[k] !== undefined);
  if (loaded.length === 0) throw new Error('buildServer: no translator given (need attention and/or baseline)');
  const started = Date.now();
  let pending = 0;

  const app = Fastify({
    logger: opts.logger ?? false,
    bodyLimit: limits.bodyLimit,
    // Node answers 408 when a request's headers and body take longer than this (checked every 1/4 of it, at most 1 s).
    requestTimeout: limits.bodyTimeoutMs,
    http: {
      headersTimeout: limits.bodyTimeoutMs,
      connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(limits.bodyTimeoutMs / 4))),
    },
    clientErrorHandler: clientErrorHandler(limits.bodyTimeoutMs),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
    schemaErrorFormatter: (errors) => new Error(describeValidationError(errors[0] as AjvError, limits)),
  });

  // Only JSON bodies: other content types get 415 rather than being parsed as text.
  app.removeContentTypeParser('text/plain');
  applyHttpPolicy(app, hostAllowList(opts.host ?? '127.0.0.1', opts.allowedHosts));

  app.setErrorHandler((err: FastifyError, request, reply) => {
    let status = err.statusCode ?? 500;
    let message = err.message;
    if (err instanceof ClientGoneError) {
      // Nobody is listening: close without an answer.
      reply.hijack();
      reply.raw.destroy();
      return;
    }
    if (err instanceof TranslationInputError) status = 400;
    else if (err instanceof TranslatorBusyError) status = 503;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = `request body is larger than ${limits.bodyLimit} bytes`;
    else if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError) {
      status = 400;
      message = `request body is not valid JSON: ${err.message}`;
    }
    if (status >= 500 && status !== 503 && status !== 504) {
      request.log.error(err);
      message = `internal error: ${err.message}`;
    }
    void reply.status(status).send({ statusCode: status, error: STATUS_TEXT[status] ?? 'Error', message });
  });

  app.get('/health', async () => ({
    status: 'ok',
    models: loaded,
    pending,
    uptime_s: Math.round((Date.now() - started) / 1000),
    ...memoryReport(),
  }));

  app.get('/model', async () => {
    const models: Record<string, unknown> = {};
    for (const k of loaded) models[k] = translators[k]?.describe();
    return { models, limits: { ...limits } };
  });

  app.post<{ Body: TranslateBody }>('/translate', { schema: { body: translateSchema(limits) } }, async (request) => {
    const body = request.body;
    if ((body.text === undefined) === (body.texts === undefined)) {
      throw new HttpError(400, 'give exactly one of "text" (a string) or "texts" (a list of strings)');
    }
    const kind: ModelKind = body.model ?? loaded[0] ?? 'attention';
    const translator = translators[kind];
    if (translator === undefined) {
      throw new HttpError(400, `model "${kind}" is not loaded (loaded: ${loaded.join(', ')})`);
    }
    // Without "beam" the model decodes with its own settings (as `attnmt translate` does).
    const beam = body.beam;
    const nbest = body.nbest ?? 1;
    if (beam !== undefined && nbest > beam) throw new HttpError(400, `"nbest" (${nbest}) cannot be larger than "beam" (${beam})`);
    const texts = body.texts ?? [body.text ?? ''];
    const effectiveBeam = Math.max(beam ?? modelBeam(translator.describe()), nbest);
    const work = texts.reduce((n, t) => n + sentenceWork(t, effectiveBeam), 0);
    if (work > limits.maxWork) {
      throw new HttpError(
        413,
        `too much work in one request: ${texts.length} sentence(s), ${work / effectiveBeam} characters at beam ${effectiveBeam} = ${work} ` +
          `character-beams (at most ${limits.maxWork}); send fewer or shorter sentences, or a smaller beam`,
      );
    }
    pending++;
    try {
      const results = await withDeadline(limits.timeoutMs, request, (signal) =>
        translator.translate(texts, { beam, nbest, attention: body.attention ?? false, signal }),
      );
      if (results.length !== texts.length) {
        throw new Error(`translator returned ${results.length} results for ${texts.length} sentences`);
      }
      return { model: kind, translations: results.map((r): TranslationResult => (nbest > 1 ? r : withoutNbest(r))) };
    } finally {
      pending--;
    }
  });

  registerStatic(app, opts.staticDir);
  return app;
}

/** Process memory for /health, in MB (worker threads included in rss). */
export function memoryReport(): { rss_mb: number; heap_mb: number } {
  const m = process.memoryUsage();
  return { rss_mb: Math.round(m.rss / 2 ** 20), heap_mb: Math.round(m.heapUsed / 2 ** 20) };
}

function withoutNbest(r: TranslationResult): TranslationResult {
  const { nbest: _nbest, ...rest } = r;
  return rest;
}
