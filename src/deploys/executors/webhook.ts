import { createHmac, randomUUID } from 'node:crypto';
import type { DeployJob, Executor, ExecutorContext, ExecutorOutcome, HandedOffJob, StopCause } from './types.ts';
import { humanDuration } from '../../config/index.ts';
import { describeAbortReason } from './wording.ts';

export interface WebhookExecutorOptions {
  /** Where the deploy request is POSTed (`deploy.url`). */
  url: string;
  /** Shared secret for `X-Tugboat-Signature-256`, both on this request and on the receiver's callback. */
  secret: string;
  /** The absolute URL of tugboat's callback route (`CALLBACK_PATH` on tugboat's public base URL). */
  callbackUrl: string;
  /** How long the receiver has to answer (default 10 s). It only has to accept the job, not finish it. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

/** The JSON body POSTed to the receiver. */
export interface WebhookDeployRequest {
  deploy_id: number;
  service: string;
  environment: string;
  repo: string;
  ref: string;
  sha: string;
  requested_by: string;
  rollback_of: number | null;
  callback_url: string;
}

export const SIGNATURE_HEADER = 'X-Tugboat-Signature-256';
export const TIMESTAMP_HEADER = 'X-Tugboat-Timestamp';
export const DELIVERY_HEADER = 'X-Tugboat-Delivery';

const DEFAULT_TIMEOUT_MS = 10_000;
const BODY_EXCERPT_CHARS = 200;
/** Bytes of an error answer read at most: enough for the excerpt, whatever the receiver sends. */
const ERROR_BODY_READ_BYTES = 4_096;

/**
 * `sha256=` + hex HMAC-SHA256, keyed with the shared secret, of `<timestamp>.<raw body>`.
 * Used for tugboat's requests to a receiver and for the receiver's callbacks to tugboat.
 */
export function signWebhookBody(secret: string, timestampSec: number, rawBody: string | Uint8Array): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestampSec}.`);
  hmac.update(rawBody);
  return `sha256=${hmac.digest('hex')}`;
}

/** Hands the deploy to an HTTP receiver (a CI server, a script); its outcome comes back through the callback. */
export function webhookExecutor(options: WebhookExecutorOptions): Executor {
  const target = new URL(options.url); // Throws on a malformed URL when the executor is built, not per deploy.
  if (target.protocol !== 'https:' && target.protocol !== 'http:') {
    throw new TypeError(`webhookExecutor: ${target.protocol} URLs are not supported, use https:`);
  }
  return {
    start: (job, context) => deliver(options, target.host, job, context),
    stop: (job, cause) => tellToCancel(options, target.host, job, cause),
  };
}

/** The JSON body of the signed `cancel` POSTed to the receiver when tugboat stops a deploy it handed over. */
export interface WebhookCancelRequest {
  action: 'cancel';
  deploy_id: number;
  service: string;
  environment: string;
  /** cancelled (`/deploy cancel`), timed_out (past `deploy.timeout`) or superseded (a rollback took over). */
  reason: StopCause;
}

async function tellToCancel(
  options: WebhookExecutorOptions,
  host: string,
  job: HandedOffJob,
  cause: StopCause,
): Promise<string> {
  const request: WebhookCancelRequest = {
    action: 'cancel',
    deploy_id: job.id,
    service: job.service,
    environment: job.environment,
    reason: cause,
  };
  const body = JSON.stringify(request);
  try {
    const response = await (options.fetch ?? globalThis.fetch)(options.url, {
      method: 'POST',
      headers: signedHeaders(options.secret, body),
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      redirect: 'manual',
    });
    await response.body?.cancel().catch(() => undefined);
    return response.ok
      ? `the receiver at ${host} was told to cancel`
      : `the receiver at ${host} answered ${response.status} when told to cancel`;
  } catch (error) {
    return `could not tell the receiver at ${host} to cancel: ${describeNetworkError(error)}`;
  }
}

/** Headers of every request to a receiver: JSON, a delivery id, and the timestamped signature. */
function signedHeaders(secret: string, body: string): Record<string, string> {
  const timestamp = Math.floor(Date.now() / 1000);
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'tugboat',
    [DELIVERY_HEADER]: randomUUID(),
    [TIMESTAMP_HEADER]: String(timestamp),
    [SIGNATURE_HEADER]: signWebhookBody(secret, timestamp, body),
  };
}

async function deliver(
  options: WebhookExecutorOptions,
  host: string,
  job: DeployJob,
  context: ExecutorContext,
): Promise<ExecutorOutcome> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const fetchImpl = options.fetch ?? globalThis.fetch;

  if (context.signal.aborted) return failed(`stopped: ${describeAbortReason(context.signal.reason)}`);

  const request: WebhookDeployRequest = {
    deploy_id: job.id,
    service: job.service,
    environment: job.environment,
    repo: job.repo,
    ref: job.ref,
    sha: job.sha,
    requested_by: job.requestedBy,
    rollback_of: job.rollbackOf ?? null,
    callback_url: options.callbackUrl,
  };
  const body = JSON.stringify(request);
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([timeout, context.signal]);

  try {
    const response = await fetchImpl(options.url, {
      method: 'POST',
      headers: signedHeaders(options.secret, body),
      body,
      signal,
      // A redirected POST turns into a GET: better to say so than to lose the deploy.
      redirect: 'manual',
    });

    if (response.status >= 200 && response.status < 300) {
      await response.body?.cancel().catch(() => undefined);
      return { kind: 'handed-off', detail: `accepted by ${host}` };
    }

    const excerpt = await readExcerpt(response);
    const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}`;
    if (response.status >= 300 && response.status < 400) {
      const location = response.headers.get('location');
      return failed(
        `${host} answered ${status}${location ? ` to ${location}` : ''}; redirects are not followed, set deploy.url to the final address`,
      );
    }
    return failed(`${host} answered ${status}${excerpt ? `: ${excerpt}` : ''}`);
  } catch (error) {
    if (context.signal.aborted) return failed(`stopped: ${describeAbortReason(context.signal.reason)}`);
    if (timeout.aborted) return failed(`${host} did not answer within ${humanDuration(timeoutMs)}`);
    return failed(`could not reach ${host}: ${describeNetworkError(error)}`);
  }
}

function failed(reason: string): ExecutorOutcome {
  return { kind: 'finished', succeeded: false, reason };
}

/** The first characters of an error answer, on one line. */
async function readExcerpt(response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < ERROR_BODY_READ_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // What arrived before the failure is still worth showing.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  const text = new TextDecoder().decode(Buffer.concat(chunks)).replace(/\s+/g, ' ').trim();
  return text.length > BODY_EXCERPT_CHARS ? `${text.slice(0, BODY_EXCERPT_CHARS)}…` : text;
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

function describeNetworkError(error: unknown): string {
  // fetch wraps the real cause: TypeError('fetch failed', { cause: Error & { code } }).
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return `${NETWORK_ERRORS[code] ?? current.message} (${code})`;
    if (current.cause === undefined) break;
    current = current.cause;
  }
  return current instanceof Error ? current.message : String(current);
}
