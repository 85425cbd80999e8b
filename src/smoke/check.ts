import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { request, type Dispatcher } from 'undici';
import { formatDuration } from '../config/duration.ts';
import type { SmokeCheck } from '../config/index.ts';

/** The outcome of running one smoke check once. `error` is one sentence for people, set whenever `ok` is false. */
export interface CheckResult {
  name: string;
  ok: boolean;
  /** The HTTP status, when a response arrived. */
  status?: number;
  /** From just before the request until the body was read (or the check failed), in whole milliseconds. */
  latencyMs: number;
  error?: string;
  /** Which step failed, for multi-step checks (not run yet, so never set today). */
  failedStep?: string;
  startedAt: Date;
}

export interface RunCheckOptions {
  /** undici dispatcher (an Agent, a MockAgent in tests); default undici's global dispatcher. */
  dispatcher?: Dispatcher;
  /** Where `${NAME}` in the URL and header values is looked up; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** The clock for `startedAt`; latency is measured with the monotonic clock whatever this says. */
  now?: () => Date;
}

/** Bytes of a response body read at most; `body_contains` and `json` look at no more than this. */
export const MAX_BODY_BYTES = 1024 * 1024;

const USER_AGENT = 'tugboat-smoke';
const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const VALUE_CHARS = 80;

/** A failure found before or while talking to the server; turned into a result by `runCheck`. */
class CheckFailure extends Error {}

/**
 * Runs one smoke check once: one HTTP request, then the `expect` assertions in order
 * (status, body_contains, json, max_ms); the first that fails names the problem. Never throws.
 */
export async function runCheck(check: SmokeCheck, options: RunCheckOptions = {}): Promise<CheckResult> {
  const startedAt = (options.now ?? (() => new Date()))();
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const result = (fields: { status?: number; error?: string }): CheckResult => ({
    name: check.name,
    ok: fields.error === undefined,
    ...(fields.status === undefined ? {} : { status: fields.status }),
    latencyMs: elapsed(),
    ...(fields.error === undefined ? {} : { error: fields.error }),
    startedAt,
  });

  let status: number | undefined;
  try {
    if (check.url === undefined) {
      // The schema leaves steps loosely typed until the feature that runs them defines their shape.
      return result({ error: 'multi-step checks (steps) are not supported yet; give the check a url' });
    }
    const env = options.env ?? process.env;
    const url = parseUrl(check.url, env);
    const headers = buildHeaders(check.headers, env);
    const body = buildBody(check.body, headers);

    const timeoutMs = check.timeout;
    const signal = AbortSignal.timeout(timeoutMs);
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: check.method,
        headers,
        body,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
      });
    } catch (error) {
      return result({ error: describeRequestError(error, signal, timeoutMs, url.hostname) });
    }

    status = response.statusCode;
    let read: { text: string; truncated: boolean };
    try {
      read = await readBody(response.body);
    } catch (error) {
      return result({ status, error: `${describeRequestError(error, signal, timeoutMs, url.hostname)} while reading the body` });
    }
    const latencyMs = elapsed();

    const failure =
      statusProblem(check.expect.status, status, response.headers.location) ??
      bodyProblem(check.expect.body_contains, read) ??
      jsonProblem(check.expect.json, read) ??
      latencyProblem(check.expect.max_ms, latencyMs);
    return { ...result({ status, ...(failure === undefined ? {} : { error: failure }) }), latencyMs };
  } catch (error) {
    if (error instanceof CheckFailure) return result({ status, error: error.message });
    return result({ status, error: `unexpected error: ${error instanceof Error ? error.message : String(error)}` });
  }
}

// --- building the request ---

/** Replaces `${NAME}` from the environment; an unset or empty variable fails the check rather than sending nothing. */
function substitute(template: string, env: NodeJS.ProcessEnv, where: string): string {
  return template.replace(ENV_REFERENCE, (_match, name: string) => {
    const value = env[name];
    if (value === undefined) throw new CheckFailure(`environment variable ${name} is not set (used in ${where})`);
    if (value === '') throw new CheckFailure(`environment variable ${name} is empty (used in ${where})`);
    return value;
  });
}

function parseUrl(template: string, env: NodeJS.ProcessEnv): URL {
  const text = substitute(template, env, 'the url');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    // The template, not the substituted text: a variable may hold a secret.
    throw new CheckFailure(`the url ${template} is not a valid URL once its variables are filled in`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CheckFailure(`the url ${template} must be http or https, not ${url.protocol.replace(/:$/, '')}`);
  }
  return url;
}

function buildHeaders(configured: Record<string, string> | undefined, env: NodeJS.ProcessEnv): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(configured ?? {})) {
    headers[name] = substitute(value, env, `header ${name}`);
  }
  if (!hasHeader(headers, 'user-agent')) headers['user-agent'] = USER_AGENT;
  return headers;
}

/** A map is sent as JSON (with a JSON content type unless the check sets one); a string as it is. */
function buildBody(body: SmokeCheck['body'], headers: Record<string, string>): string | undefined {
  if (body === undefined || typeof body === 'string') return body;
  if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'application/json';
  return JSON.stringify(body);
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

// --- reading the response ---

async function readBody(body: Dispatcher.ResponseData['body']): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    if (size + buffer.byteLength > MAX_BODY_BYTES) {
      chunks.push(buffer.subarray(0, MAX_BODY_BYTES - size));
      size = MAX_BODY_BYTES;
      truncated = true;
      break; // Leaving the loop destroys the stream: the rest is never downloaded.
    }
    chunks.push(buffer);
    size += buffer.byteLength;
  }
  return { text: Buffer.concat(chunks, size).toString('utf8'), truncated };
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed by the server',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  CERT_HAS_EXPIRED: 'TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain contains a self-signed certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate could not be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host name',
};

const DNS_ERRORS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME']);
const TIMEOUT_ERRORS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function describeRequestError(error: unknown, signal: AbortSignal, timeoutMs: number, hostname: string): string {
  const code = errorCode(error);
  if (signal.aborted || (code !== undefined && TIMEOUT_ERRORS.has(code))) return `timed out after ${humanDuration(timeoutMs)}`;
  if (code !== undefined && DNS_ERRORS.has(code)) return `DNS lookup failed for ${hostname} (${code})`;
  if (code !== undefined && code in NETWORK_ERRORS) return `${NETWORK_ERRORS[code]} (${code})`;
  const message = error instanceof Error ? error.message || error.name : String(error);
  return code === undefined ? `request failed: ${message}` : `request failed: ${message} (${code})`;
}

/** The `code` of an error, of its cause, or of the first of an AggregateError's errors (happy eyeballs). */
function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
    if (current instanceof AggregateError && current.errors.length > 0) current = current.errors[0];
    else current = current.cause;
  }
  return undefined;
}

function humanDuration(milliseconds: number): string {
  return milliseconds % 1_000 === 0 ? formatDuration(milliseconds) : `${milliseconds} ms`;
}

// --- assertions ---

function statusProblem(expected: number | number[] | undefined, status: number, location: unknown): string | undefined {
  const passes = expected === undefined ? status >= 200 && status < 300 : [expected].flat().includes(status);
  if (passes) return undefined;
  const wanted = expected === undefined ? 'a 2xx status' : `status ${[expected].flat().join(' or ')}`;
  const redirect = status >= 300 && status < 400 && typeof location === 'string' ? ` (a redirect to ${location}, not followed)` : '';
  return `expected ${wanted}, got ${status}${redirect}`;
}

function bodyProblem(needle: string | undefined, read: { text: string; truncated: boolean }): string | undefined {
  if (needle === undefined || read.text.includes(needle)) return undefined;
  const where = read.truncated ? 'the first 1 MB of the body' : 'body';
  return `${where} does not contain ${JSON.stringify(needle)}`;
}

/**
 * `expect.json` is a map of dotted paths to expected values, e.g. `{ "status": "ok", "data.items.0.id": 42 }`;
 * a number segment indexes an array. Values are compared deeply (objects and lists must match exactly).
 */
function jsonProblem(expected: unknown, read: { text: string; truncated: boolean }): string | undefined {
  if (expected === undefined) return undefined;
  if (expected === null || typeof expected !== 'object' || Array.isArray(expected) || Object.keys(expected).length === 0) {
    return 'expect.json must be a map of JSON paths to expected values, like { "data.status": "ok" }';
  }
  let document: unknown;
  try {
    document = JSON.parse(read.text);
  } catch {
    return read.truncated ? 'body is over 1 MB, too large to check as JSON' : 'body is not valid JSON';
  }
  for (const [path, want] of Object.entries(expected)) {
    const found = lookup(document, path);
    if (!found.present) return `JSON body has nothing at ${path}`;
    if (!isDeepStrictEqual(found.value, want)) return `expected ${path} to be ${show(want)}, got ${show(found.value)}`;
  }
  return undefined;
}

function lookup(document: unknown, path: string): { present: boolean; value?: unknown } {
  let current = document;
  for (const segment of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(segment) && Number(segment) < current.length) {
      current = current[Number(segment)];
    } else if (current !== null && typeof current === 'object' && !Array.isArray(current) && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment];
    } else {
      return { present: false };
    }
  }
  return { present: true, value: current };
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > VALUE_CHARS ? `${text.slice(0, VALUE_CHARS)}…` : text;
}

function latencyProblem(maxMs: number | undefined, latencyMs: number): string | undefined {
  if (maxMs === undefined || latencyMs <= maxMs) return undefined;
  return `took ${latencyMs} ms, over the ${maxMs} ms limit`;
}
