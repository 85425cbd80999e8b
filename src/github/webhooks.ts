import { Webhooks } from '@octokit/webhooks';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Deps } from '../deps.ts';
import { send, type Handler } from '../http/server.ts';
import type { InFlight } from '../in-flight.ts';
import { WebhookInbox, type InboxOptions } from './inbox.ts';

const header = (req: IncomingMessage, name: string) => {
  const value = req.headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
};

/**
 * `POST /github/webhooks`: verifies `X-Hub-Signature-256`, stores the delivery by its
 * `X-GitHub-Delivery` id in the inbox and answers 202 once it is durable; the handlers
 * registered on `webhooks` run from the inbox (src/github/inbox.ts) on any replica. A
 * redelivery is answered 200 and ignored, unless the delivery failed for good: then it runs again.
 */
export function createGitHubWebhooks(
  secret: string,
  deps: Pick<Deps, 'log' | 'metrics' | 'store'>,
  inFlight: InFlight,
  inboxOptions?: Partial<InboxOptions>,
): { webhooks: Webhooks; handler: Handler; inbox: WebhookInbox } {
  const webhooks = new Webhooks({ secret });
  const log = deps.log.child({ component: 'github-webhooks' });
  const inbox = new WebhookInbox(
    { store: deps.store, log, metrics: deps.metrics, inFlight },
    (delivery, payload) =>
      webhooks.receive({ id: delivery.id, name: delivery.event, payload } as Parameters<Webhooks['receive']>[0]),
    inboxOptions,
  );

  const reject = (res: ServerResponse, status: number, event: string, why: string) => {
    deps.metrics.webhookDeliveries.inc({ event, outcome: 'rejected' });
    log.warn({ status, event }, `webhook rejected: ${why}`);
    send(res, status, `${why}\n`);
  };

  const handler: Handler = async (req, res, readBody) => {
    if (req.method !== 'POST') return send(res, 405, 'POST only\n');
    const event = header(req, 'x-github-event');
    const id = header(req, 'x-github-delivery');
    const signature = header(req, 'x-hub-signature-256');
    if (!event || !id || !signature)
      return reject(res, 400, event ?? 'unknown', 'missing X-GitHub-Event, X-GitHub-Delivery or X-Hub-Signature-256');
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return reject(res, 415, event, 'set the webhook content type to application/json');
    }
    // Too large, or no room in the intake budget: the server answers 413 or 503 (src/http/intake.ts).
    const body = await readBody();
    if (!signedBy(secret, body, signature)) return reject(res, 401, event, 'signature does not match');
    if (!looksLikeJsonObject(body)) return reject(res, 400, event, 'body is not JSON');
    if (!(await inbox.accept({ hookId: header(req, 'x-github-hook-id') ?? '', id, event, body }))) {
      deps.metrics.webhookDeliveries.inc({ event, outcome: 'duplicate' });
      log.info({ delivery: id, event }, 'redelivery ignored');
      return send(res, 200, 'duplicate delivery; ignored\n');
    }
    deps.metrics.webhookDeliveries.inc({ event, outcome: 'accepted' });
    send(res, 202, 'accepted\n');
  };

  webhooks.on('ping', ({ payload }) => {
    log.info({ hook: (payload as { hook_id?: number }).hook_id }, 'GitHub says hello: the webhook is set up');
  });

  return { webhooks, handler, inbox };
}

/** `X-Hub-Signature-256` checked over the raw bytes, so that an unsigned body is never decoded or copied. */
function signedBy(secret: string, body: Buffer, signature: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Every GitHub payload is a JSON object. Parsing it waits for the inbox's drainer, off the
 * path that answers GitHub; a signed body that only looks like one is failed for good there.
 */
function looksLikeJsonObject(body: Buffer): boolean {
  const isSpace = (byte: number) => byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
  let first = 0;
  let last = body.length - 1;
  while (first < last && isSpace(body[first])) first++;
  while (last > first && isSpace(body[last])) last--;
  return body[first] === 0x7b && body[last] === 0x7d;
}
