import { Webhooks } from '@octokit/webhooks';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Deps } from '../deps.ts';
import { send, type Handler } from '../http/server.ts';
import type { InFlight } from '../in-flight.ts';
import { DeliveryLedger, type Delivery } from './deliveries.ts';

const header = (req: IncomingMessage, name: string) => {
  const value = req.headers[name];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
};

/**
 * `POST /github/webhooks`: verifies `X-Hub-Signature-256`, records `X-GitHub-Delivery`
 * (a redelivery is acknowledged and ignored), answers 202 at once and runs the handlers
 * registered on `webhooks` after the response, well inside GitHub's 10-second limit.
 */
export function createGitHubWebhooks(secret: string, deps: Deps, inFlight: InFlight): { webhooks: Webhooks; handler: Handler } {
  const webhooks = new Webhooks({ secret });
  const log = deps.log.child({ component: 'github-webhooks' });
  const ledger = new DeliveryLedger(deps.store);

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
    if (!event || !id || !signature) return reject(res, 400, event ?? 'unknown', 'missing X-GitHub-Event, X-GitHub-Delivery or X-Hub-Signature-256');
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) {
      return reject(res, 415, event, 'set the webhook content type to application/json');
    }
    // Too large, or no room in the intake budget: the server answers 413 or 503 (src/http/intake.ts).
    const body = await readBody();
    if (!signedBy(secret, body, signature)) return reject(res, 401, event, 'signature does not match');
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString('utf8'));
    } catch {
      return reject(res, 400, event, 'body is not JSON');
    }
    const delivery = { hookId: header(req, 'x-github-hook-id') ?? '', id, event };
    if (!(await ledger.claim(delivery))) {
      deps.metrics.webhookDeliveries.inc({ event, outcome: 'duplicate' });
      log.info({ delivery: id, event }, 'redelivery ignored');
      return send(res, 200, 'duplicate delivery; ignored\n');
    }
    deps.metrics.webhookDeliveries.inc({ event, outcome: 'accepted' });
    send(res, 202, 'accepted\n');
    inFlight.track(process(delivery, payload));
  };

  async function process(delivery: Delivery, payload: unknown) {
    try {
      await webhooks.receive({ id: delivery.id, name: delivery.event, payload } as Parameters<Webhooks['receive']>[0]);
      await ledger.finish(delivery);
    } catch (error) {
      deps.metrics.webhookDeliveries.inc({ event: delivery.event, outcome: 'failed' });
      log.error({ err: error, delivery: delivery.id, event: delivery.event }, 'webhook handler failed');
      await ledger.finish(delivery, error).catch((e) => log.error({ err: e }, 'could not record the failure'));
    }
  }

  webhooks.on('ping', ({ payload }) => {
    log.info({ hook: (payload as { hook_id?: number }).hook_id }, 'GitHub says hello: the webhook is set up');
  });

  return { webhooks, handler };
}

/** `X-Hub-Signature-256` checked over the raw bytes, so that an unsigned body is never decoded or copied. */
function signedBy(secret: string, body: Buffer, signature: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
