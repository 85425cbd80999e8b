import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { request, type Dispatcher } from 'undici';
import { humanDuration } from '../config/duration.ts';
import type { SmokeCheck } from '../config/index.ts';

/** The outcome of running one smoke check once. `error` is one sentence for people, set whenever `ok` is false. */
export interface SmokeCheckResult {
  name: string;
  ok: boolean;
  /** The HTTP status of the last response, when one arrived (for a failed step, its own). */
  status?: number;
  /** From just before the first request until the last body was read (or the check failed), in whole milliseconds. */
  latencyMs: number;
  error?: string;
  /** The step that failed, for multi-step checks: its name, or `step <n>` counting from 1. */
  failedStep?: string;
  /** Set when the request never reached a server (DNS or connection failure): the host it could not reach. */
  unreachableHost?: string;
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
/** `${NAME}` from the environment, or `${captured.name}` from an earlier step. */
const REFERENCE = /\$\{(captured\.)?([A-Za-z_][A-Za-z0-9_]*)\}/g;
const WHOLE_CAPTURED_REFERENCE = /^\$\{captured\.([A-Za-z_][A-Za-z0-9_]*)\}$/;
const VALUE_CHARS = 80;

type SmokeStep = NonNullable<SmokeCheck['steps']>[number];

/** One request and its assertions: the whole of a single-request check, or one of a multi-step check's steps. */
interface Step {
  label: string;
  method: SmokeCheck['method'];
  url: string | undefined;
  headers?: Record<string, string>;
  body?: SmokeCheck['body'];
  expect: SmokeCheck['expect'];
  capture?: SmokeStep['capture'];
}

/** What the steps of one run share. */
interface Run {
  env: NodeJS.ProcessEnv;
  captured: Map<string, unknown>;
  signal: AbortSignal;
  timeoutMs: number;
  dispatcher?: Dispatcher;
}

interface StepOutcome {
  status?: number;
  error?: string;
  unreachableHost?: string;
  /** `performance.now()` when the body was read or the step failed. */
  endedAt: number;
}

/** A failure found before or while talking to the server; turned into a result by `runCheck`. */
class CheckFailure extends Error {}

/**
 * Runs one smoke check once: its request (or each of its steps in order, stopping at the first
 * that fails), then the `expect` assertions in order (status, body_contains, json, max_ms); the
 * first that fails names the problem. The check's timeout bounds all of its steps together. Never throws.
 */
export async function runCheck(check: SmokeCheck, options: RunCheckOptions = {}): Promise<SmokeCheckResult> {
  const startedAt = (options.now ?? (() => new Date()))();
  const started = performance.now();
  const run: Run = {
    env: options.env ?? process.env,
    captured: new Map(),
    signal: AbortSignal.timeout(check.timeout),
    timeoutMs: check.timeout,
    ...(options.dispatcher ? { dispatcher: options.dispatcher } : {}),
  };
  let outcome: StepOutcome = { endedAt: started };
  let failedStep: string | undefined;
  for (const step of stepsOf(check)) {
    outcome = await runStep(step, run, outcome.endedAt);
    if (outcome.error !== undefined) {
      if (check.steps) failedStep = step.label;
      break;
    }
  }
  const { status, error, unreachableHost, endedAt } = outcome;
  return {
    name: check.name,
    ok: error === undefined,
    ...(status === undefined ? {} : { status }),
    latencyMs: Math.round(endedAt - started),
    ...(error === undefined ? {} : { error: failedStep === undefined ? error : `${failedStep} failed: ${error}` }),
    ...(failedStep === undefined ? {} : { failedStep }),
    ...(unreachableHost === undefined ? {} : { unreachableHost }),
    startedAt,
  };
}

function stepsOf(check: SmokeCheck): Step[] {
  if (!check.steps) {
    const { name: label, method, url, headers, body, expect } = check;
    return [{ label, method, url, headers, body, expect }];
  }
  return check.steps.map((step, index) => ({
    label: step.name ?? `step ${index + 1}`,
    method: step.method ?? 'GET',
    url: step.url,
    headers: { ...check.headers, ...step.headers },
    body: step.body,
    expect: step.expect ?? check.expect,
    capture: step.capture,
  }));
}

/** One request of a check. `began` is when its latency starts: the end of the step before, or the check's start. */
async function runStep(step: Step, run: Run, began: number): Promise<StepOutcome> {
  const ended = (fields: Omit<StepOutcome, 'endedAt'>): StepOutcome => ({ ...fields, endedAt: performance.now() });
  let status: number | undefined;
  try {
    const url = parseUrl(step.url, run);
    const headers = buildHeaders(step.headers, run);
    const body = buildBody(step.body, headers, run.captured);

    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: step.method,
        headers,
        body,
        signal: run.signal,
        headersTimeout: run.timeoutMs,
        bodyTimeout: run.timeoutMs,
        ...(run.dispatcher ? { dispatcher: run.dispatcher } : {}),
      });
    } catch (error) {
      const unreachable = isUnreachable(error, run.signal) ? { unreachableHost: url.hostname } : {};
      return ended({ error: describeRequestError(error, run, url.hostname), ...unreachable });
    }

    status = response.statusCode;
    let read: { text: string; truncated: boolean };
    try {
      read = await readBody(response.body);
    } catch (error) {
      return ended({ status, error: `${describeRequestError(error, run, url.hostname)} while reading the body` });
    }
    const endedAt = performance.now();

    const failure =
      statusProblem(step.expect.status, status, response.headers.location) ??
      bodyProblem(step.expect.body_contains, read) ??
      jsonProblem(step.expect.json, read) ??
      latencyProblem(step.expect.max_ms, Math.round(endedAt - began)) ??
      captureValues(step.capture, read, run.captured);
    return { status, endedAt, ...(failure === undefined ? {} : { error: failure }) };
  } catch (error) {
    if (error instanceof CheckFailure) return ended({ status, error: error.message });
    return ended({ status, error: `unexpected error: ${error instanceof Error ? error.message : String(error)}` });
  }
}

// --- building the request ---

/**
 * Fills `${NAME}` from `env` (left as it is without one) and `${captured.name}` from earlier steps, in one
 * pass so that text a server sent is never itself filled in. An unset or empty variable, or a value no
 * step captured, fails the check rather than sending nothing.
 */
function substitute(
  template: string,
  where: string,
  values: { env?: NodeJS.ProcessEnv; captured: Map<string, unknown> },
  encodeCaptured: (text: string) => string = (text) => text,
): string {
  return template.replace(REFERENCE, (match, captured: string | undefined, name: string) => {
    if (captured) return encodeCaptured(capturedText(capturedValue(values.captured, name, where)));
    if (!values.env) return match;
    const value = values.env[name];
    if (value === undefined) throw new CheckFailure(`environment variable ${name} is not set (used in ${where})`);
    if (value === '') throw new CheckFailure(`environment variable ${name} is empty (used in ${where})`);
    return value;
  });
}

function capturedValue(captured: Map<string, unknown>, name: string, where: string): unknown {
  if (!captured.has(name))
    throw new CheckFailure(`\${captured.${name}} is used in ${where}, but no earlier step captured ${name}`);
  return captured.get(name);
}

function capturedText(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function parseUrl(template: string | undefined, run: Run): URL {
  if (template === undefined) throw new CheckFailure('the check has neither a url nor steps');
  const text = substitute(template, 'the url', run, encodeURIComponent);
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

function buildHeaders(configured: Record<string, string> | undefined, run: Run): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(configured ?? {})) {
    headers[name] = substitute(value, `header ${name}`, run);
  }
  if (!hasHeader(headers, 'user-agent')) headers['user-agent'] = USER_AGENT;
  return headers;
}

/**
 * A map is sent as JSON (with a JSON content type unless the check sets one); a string as it is.
 * Only `${captured.name}` is filled in a body, not environment variables.
 */
function buildBody(
  body: SmokeCheck['body'],
  headers: Record<string, string>,
  captured: Map<string, unknown>,
): string | undefined {
  if (body === undefined) return undefined;
  if (typeof body === 'string') return substitute(body, 'the body', { captured });
  if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'application/json';
  return JSON.stringify(fillJson(body, captured));
}

/** A string that is only `${captured.name}` becomes the captured value itself, keeping a number a number. */
function fillJson(value: unknown, captured: Map<string, unknown>): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE_CAPTURED_REFERENCE.exec(value);
    return whole ? capturedValue(captured, whole[1], 'the body') : substitute(value, 'the body', { captured });
  }
  if (Array.isArray(value)) return value.map((item) => fillJson(item, captured));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fillJson(item, captured)]));
  }
  return value;
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
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

function describeRequestError(error: unknown, { signal, timeoutMs }: Run, hostname: string): string {
  const code = errorCode(error);
  if (signal.aborted || (code !== undefined && TIMEOUT_ERRORS.has(code)))
    return `timed out after ${humanDuration(timeoutMs)}`;
  if (code !== undefined && DNS_ERRORS.has(code)) return `DNS lookup failed for ${hostname} (${code})`;
  if (code !== undefined && code in NETWORK_ERRORS) return `${NETWORK_ERRORS[code]} (${code})`;
  const message = error instanceof Error ? error.message || error.name : String(error);
  return code === undefined ? `request failed: ${message}` : `request failed: ${message} (${code})`;
}

/** The request never reached a server: the name did not resolve or no connection could be made. */
function isUnreachable(error: unknown, signal: AbortSignal): boolean {
  const code = errorCode(error);
  return !signal.aborted && code !== undefined && (DNS_ERRORS.has(code) || CONNECT_ERRORS.has(code));
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

// --- assertions ---

function statusProblem(expected: number | number[] | undefined, status: number, location: unknown): string | undefined {
  const passes = expected === undefined ? status >= 200 && status < 300 : [expected].flat().includes(status);
  if (passes) return undefined;
  const wanted = expected === undefined ? 'a 2xx status' : `status ${[expected].flat().join(' or ')}`;
  const redirect =
    status >= 300 && status < 400 && typeof location === 'string' ? ` (a redirect to ${location}, not followed)` : '';
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
  if (
    expected === null ||
    typeof expected !== 'object' ||
    Array.isArray(expected) ||
    Object.keys(expected).length === 0
  ) {
    return 'expect.json must be a map of JSON paths to expected values, like { "data.status": "ok" }';
  }
  const { document, problem } = parseJson(read);
  if (problem !== undefined) return problem;
  for (const [path, want] of Object.entries(expected)) {
    const found = lookup(document, path);
    if (!found.present) return `JSON body has nothing at ${path}`;
    if (!isDeepStrictEqual(found.value, want)) return `expected ${path} to be ${show(want)}, got ${show(found.value)}`;
  }
  return undefined;
}

/** Keeps each captured value for the steps after this one; a value that is not there fails the step. */
function captureValues(
  capture: Record<string, string> | undefined,
  read: { text: string; truncated: boolean },
  captured: Map<string, unknown>,
): string | undefined {
  if (capture === undefined) return undefined;
  const { document, problem } = parseJson(read);
  if (problem !== undefined) return `${problem}, so nothing can be captured from it`;
  for (const [name, path] of Object.entries(capture)) {
    const found = lookup(document, path);
    if (!found.present) return `JSON body has nothing at ${path} to capture as ${name}`;
    captured.set(name, found.value);
  }
  return undefined;
}

function parseJson(read: { text: string; truncated: boolean }): { document?: unknown; problem?: string } {
  try {
    return { document: JSON.parse(read.text) };
  } catch {
    return { problem: read.truncated ? 'body is over 1 MB, too large to check as JSON' : 'body is not valid JSON' };
  }
}

function lookup(document: unknown, path: string): { present: boolean; value?: unknown } {
  let current = document;
  for (const segment of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(segment) && Number(segment) < current.length) {
      current = current[Number(segment)];
    } else if (
      current !== null &&
      typeof current === 'object' &&
      !Array.isArray(current) &&
      Object.hasOwn(current, segment)
    ) {
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

/** A plain GET expecting any 2xx, for URLs that are not configured checks (the canary, the heartbeat); `every` is unused. */
export function getCheck(name: string, url: string, timeoutMs: number): SmokeCheck {
  return { name, url, method: 'GET', expect: {}, every: timeoutMs, timeout: timeoutMs };
}
