import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { signWebhookBody } from './executors/webhook.ts';

/** The route a webhook receiver reports a deploy's outcome to (POST, signed like tugboat's request). */
export const CALLBACK_PATH = '/deploys/callback';

/** Callbacks whose timestamp is further than this from now are refused as replays. */
export const CALLBACK_MAX_SKEW_SEC = 5 * 60;

export const REPORT_STATUSES = ['running', 'succeeded', 'failed'] as const;

export interface DeployReport {
  deployId: number;
  status: (typeof REPORT_STATUSES)[number];
  logUrl?: string;
  description?: string;
}

export interface CallbackInput {
  secret: string;
  rawBody: string;
  /** `X-Tugboat-Timestamp` (unix seconds). */
  timestamp: string | undefined;
  /** `X-Tugboat-Signature-256` (`sha256=<hex>`). */
  signature: string | undefined;
  nowSec?: number;
}

export type CallbackResult = { ok: true; report: DeployReport } | { ok: false; status: 400 | 401; message: string };

const DESCRIPTION_MAX_CHARS = 500;
const DEPLOY_ID_MESSAGE = 'deploy_id must be a positive integer';
const STATUS_MESSAGE = `status must be one of ${REPORT_STATUSES.join(', ')}`;

const reportSchema = z.object({
  // A numeric string too, for receivers that build JSON with `jq --arg`.
  deploy_id: z.union(
    [
      z.number().int({ error: DEPLOY_ID_MESSAGE }).positive({ error: DEPLOY_ID_MESSAGE }),
      z
        .string()
        .regex(/^[1-9]\d{0,15}$/, { error: DEPLOY_ID_MESSAGE })
        .transform(Number),
    ],
    { error: DEPLOY_ID_MESSAGE },
  ),
  status: z.enum(REPORT_STATUSES, { error: STATUS_MESSAGE }),
  log_url: z
    .string({ error: 'log_url must be an http(s) URL' })
    .refine(isHttpUrl, { error: 'log_url must be an http(s) URL' })
    .nullish(),
  description: z.string({ error: 'description must be a string' }).nullish(),
});

/**
 * Checks a receiver's callback (signature over `<timestamp>.<raw body>`, freshness) and parses its report.
 * The body is only looked at once the signature is good.
 */
export function verifyCallback(input: CallbackInput): CallbackResult {
  const { secret, rawBody } = input;
  const timestamp = input.timestamp?.trim();
  const signature = input.signature?.trim();
  if (!timestamp) return unauthorized('missing X-Tugboat-Timestamp header');
  if (!signature) return unauthorized('missing X-Tugboat-Signature-256 header');
  if (!/^\d{1,12}$/.test(timestamp)) return unauthorized('X-Tugboat-Timestamp must be unix seconds');

  const timestampSec = Number(timestamp);
  const nowSec = input.nowSec ?? Math.floor(Date.now() / 1000);
  if (Math.abs(nowSec - timestampSec) > CALLBACK_MAX_SKEW_SEC) {
    return unauthorized('X-Tugboat-Timestamp is more than 5 minutes from now (replayed, or a clock is wrong)');
  }

  const expected = Buffer.from(signWebhookBody(secret, timestampSec, rawBody));
  const given = Buffer.from(signature.toLowerCase());
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return unauthorized('X-Tugboat-Signature-256 does not match (sign "<timestamp>.<body>" with the shared secret)');
  }

  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return badRequest('body must be JSON');
  }
  const parsed = reportSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path[0];
    if (issue === undefined) return badRequest('invalid report');
    if (field === undefined) return badRequest('body must be a JSON object with deploy_id and status');
    if (isObject(json) && json[String(field)] === undefined) return badRequest(`${String(field)} is required`);
    return badRequest(issue.message);
  }

  const { deploy_id, status, log_url, description } = parsed.data;
  const report: DeployReport = { deployId: deploy_id, status };
  if (log_url) report.logUrl = log_url;
  const text = description?.trim();
  if (text) {
    report.description = text.length > DESCRIPTION_MAX_CHARS ? `${text.slice(0, DESCRIPTION_MAX_CHARS - 1)}…` : text;
  }
  return { ok: true, report };
}

function unauthorized(message: string): CallbackResult {
  return { ok: false, status: 401, message };
}

function badRequest(message: string): CallbackResult {
  return { ok: false, status: 400, message };
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
