import { createHmac } from 'node:crypto';

type RawBody = string | Uint8Array;

/** `X-Slack-Signature`: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the signing secret. */
export function slackSignature(secret: string, timestampSec: number, rawBody: RawBody): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`v0:${timestampSec}:`);
  hmac.update(rawBody);
  return `v0=${hmac.digest('hex')}`;
}

/** The headers Slack signs a request to an app with. */
export function slackSignedHeaders(
  secret: string,
  rawBody: RawBody,
  contentType: string,
  timestampSec = Math.floor(Date.now() / 1000),
): Record<string, string> {
  return {
    'Content-Type': contentType,
    'X-Slack-Request-Timestamp': String(timestampSec),
    'X-Slack-Signature': slackSignature(secret, timestampSec, rawBody),
  };
}

/** `X-Hub-Signature-256`: `sha256=` + hex HMAC-SHA256 of the raw body with the webhook secret. */
export function githubSignature(secret: string, rawBody: RawBody): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

export interface GitHubDelivery {
  secret: string;
  event: string;
  deliveryId: string;
  body: RawBody;
  hookId?: string | number;
}

/** The headers GitHub sends with a webhook delivery to a repository hook. */
export function githubWebhookHeaders({
  secret,
  event,
  deliveryId,
  body,
  hookId = 1,
}: GitHubDelivery): Record<string, string> {
  return {
    'Content-Type': 'application/json',
    'User-Agent': 'GitHub-Hookshot/044aadd',
    'X-GitHub-Event': event,
    'X-GitHub-Delivery': deliveryId,
    'X-GitHub-Hook-ID': String(hookId),
    'X-Hub-Signature': `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`,
    'X-Hub-Signature-256': githubSignature(secret, body),
  };
}
