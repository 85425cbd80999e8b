import { afterEach, describe, expect, it } from 'vitest';
import { githubWebhookHeaders } from '../../src/fakes/signing.ts';
import { webhookExample } from '../../src/fakes/webhook-examples.ts';
import { SECRETS, startHarness, type Harness } from '../helpers/harness.ts';
import { storeBackends } from '../helpers/stores.ts';

for (const backend of storeBackends) {
  describe(`/github/webhooks on ${backend.name}`, () => {
    let h: Harness;
    afterEach(() => h?.stop());

    it('handles a signed delivery once, and acknowledges a redelivery without handling it again', async () => {
      h = await startHarness({ backend });
      const handled: string[] = [];
      h.tugboat.webhooks.on('pull_request', ({ id }) => void handled.push(id));
      const payload = webhookExample('pull_request', 'review_requested');
      const first = await h.github.deliver('pull_request', payload, { deliveryId: 'd-1', hookId: '42' });
      expect(first.status).toBe(202);
      const again = await h.github.deliver('pull_request', payload, { deliveryId: 'd-1', hookId: '42' });
      expect(again.status).toBe(200);
      expect(again.body).toContain('duplicate');
      await h.tugboat.settle();
      expect(handled).toEqual(['d-1']);
      const other = await h.github.deliver('pull_request', payload, { deliveryId: 'd-1', hookId: '43' });
      expect(other.status).toBe(202);
      await h.tugboat.settle();
      expect(handled).toEqual(['d-1', 'd-1']);
    });

    it('handles a delivery once when GitHub and a person redeliver it at the same moment', async () => {
      h = await startHarness({ backend });
      const handled: string[] = [];
      h.tugboat.webhooks.on('pull_request', ({ id }) => void handled.push(id));
      const payload = webhookExample('pull_request', 'closed');
      const results = await Promise.all(
        [1, 2, 3, 4].map(() => h.github.deliver('pull_request', payload, { deliveryId: 'd-same' })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 202]);
      await h.tugboat.settle();
      expect(handled).toEqual(['d-same']);
    });

    it('handles a redelivery again when the delivery failed for good', async () => {
      h = await startHarness({ backend, inbox: { maxAttempts: 1 } });
      let attempts = 0;
      h.tugboat.webhooks.on('pull_request', () => {
        attempts++;
        if (attempts === 1) throw new Error('Slack was down');
      });
      const payload = webhookExample('pull_request', 'opened');
      await h.github.deliver('pull_request', payload, { deliveryId: 'd-2' });
      await h.tugboat.settle();
      const retry = await h.github.deliver('pull_request', payload, { deliveryId: 'd-2' });
      expect(retry.status).toBe(202);
      await h.tugboat.settle();
      expect(attempts).toBe(2);
      const [row] = await h.db.store.query<{ status: string }>(
        `select status from github_deliveries where delivery_id = 'd-2'`,
      );
      expect(row.status).toBe('done');
    });
  });
}

describe('/github/webhooks refusals', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  it('rejects forged signatures, wrong content types, missing headers and garbage without handling them', async () => {
    h = await startHarness({ backend: storeBackends[0] });
    const handled: string[] = [];
    h.tugboat.webhooks.onAny(({ id }) => void handled.push(id));
    const body = JSON.stringify(webhookExample('ping'));
    const post = (headers: Record<string, string>, payload = body) =>
      fetch(`${h.url}/github/webhooks`, { method: 'POST', headers, body: payload });
    const base = { 'x-github-event': 'ping', 'x-github-delivery': 'd-x', 'content-type': 'application/json' };
    expect((await post({ ...base, 'x-hub-signature-256': 'sha256=' + 'a'.repeat(64) })).status).toBe(401);
    expect((await post({ ...base, 'x-hub-signature-256': 'garbage' })).status).toBe(401);
    expect((await post({ 'x-github-event': 'ping', 'content-type': 'application/json' })).status).toBe(400);
    const signed = (raw: string, deliveryId: string) =>
      githubWebhookHeaders({ secret: SECRETS.webhookSecret, event: 'ping', deliveryId, body: raw });
    const form = await h.github.send(body, {
      ...signed(body, 'd-y'),
      'Content-Type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    const notJson = await h.github.send('{not json', signed('{not json', 'd-z'));
    expect(notJson.status).toBe(400);
    expect((await fetch(`${h.url}/github/webhooks`)).status).toBe(405);
    await h.tugboat.settle();
    expect(handled).toEqual([]);
    expect(await h.db.store.query('select * from github_deliveries')).toEqual([]);
  });
});
