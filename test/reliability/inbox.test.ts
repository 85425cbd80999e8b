import { afterEach, describe, expect, it } from 'vitest';
import { webhookExample } from '../../src/fakes/webhook-examples.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { postgresBackend, storeBackends, type TestDatabase } from '../helpers/stores.ts';
import { waitUntil } from '../helpers/wait.ts';

interface DeliveryRow {
  delivery_id: string;
  status: string;
  attempts: number;
  payload: Uint8Array | null;
  error: string | null;
}

const rowOf = async (h: Harness, deliveryId: string) =>
  (
    await h.db.store.query<DeliveryRow>(
      'select delivery_id, status, attempts, payload, error from github_deliveries where delivery_id = $1',
      [deliveryId],
    )
  )[0];

/** A promise the test resolves when it chooses: a handler that is still running. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** A delivery left behind by a replica that died while handling it: claimed, its lease lapsing `leaseEndsInMs` from now. */
async function orphanedDelivery(h: Harness, deliveryId: string, payload: unknown, leaseEndsInMs: number) {
  await h.db.store.query(
    `insert into github_deliveries (hook_id, delivery_id, event, status, payload, attempts, lease_until)
     values ('1', $1, 'pull_request', 'processing', $2, 1, now() + $3 * interval '1 millisecond')`,
    [deliveryId, Buffer.from(JSON.stringify(payload)), leaseEndsInMs],
  );
}

const metricValue = async (h: Harness, name: string) => {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
};

for (const backend of storeBackends) {
  describe(`the webhook inbox on ${backend.name}`, () => {
    let h: Harness;
    afterEach(() => h?.stop());

    it('stores a delivery, body included, before answering 202, then handles it once and keeps no body', async () => {
      h = await startHarness({ backend });
      const handling = gate();
      const handled: Array<{ id: string; title: string }> = [];
      h.tugboat.webhooks.on('pull_request', async ({ id, payload }) => {
        await handling.opened;
        handled.push({ id, title: payload.pull_request.title });
      });
      const payload = webhookExample('pull_request', 'opened');

      const response = await h.github.deliver('pull_request', payload, { deliveryId: 'd-stored' });

      expect(response.status).toBe(202);
      const stored = await rowOf(h, 'd-stored');
      expect(stored).toMatchObject({ status: 'processing', attempts: 1 });
      expect(JSON.parse(Buffer.from(stored.payload!).toString('utf8'))).toEqual(payload);
      handling.open();
      await h.tugboat.settle();
      expect(handled).toEqual([{ id: 'd-stored', title: payload.pull_request.title }]);
      expect(await rowOf(h, 'd-stored')).toMatchObject({ status: 'done', attempts: 1, payload: null, error: null });
    });

    it('retries a handler that throws, waiting longer each time, until it succeeds', async () => {
      h = await startHarness({ backend, inbox: { retryBaseMs: 200, pollMs: 20 } });
      h.tugboat.startJobs();
      const attemptedAt: number[] = [];
      h.tugboat.webhooks.on('pull_request', () => {
        attemptedAt.push(Date.now());
        if (attemptedAt.length < 3) throw new Error('Slack answered 503');
      });

      expect(
        (await h.github.deliver('pull_request', webhookExample('pull_request', 'opened'), { deliveryId: 'd-flaky' }))
          .status,
      ).toBe(202);

      await waitUntil('the delivery is done', async () => (await rowOf(h, 'd-flaky')).status === 'done');
      expect(await rowOf(h, 'd-flaky')).toMatchObject({ status: 'done', attempts: 3, error: null });
      expect(attemptedAt).toHaveLength(3);
      expect(attemptedAt[1] - attemptedAt[0]).toBeGreaterThanOrEqual(200);
      expect(attemptedAt[2] - attemptedAt[1]).toBeGreaterThanOrEqual(400);
      const retries = h.logs.lines.filter((line) => line.msg === 'webhook handler failed; it will be retried');
      expect(retries.map((line) => [line.attempt, line.retryInMs])).toEqual([
        [1, 200],
        [2, 400],
      ]);
    });

    it('fails a delivery for good after its last attempt; Redeliver runs it again, and is ignored once it is done', async () => {
      h = await startHarness({ backend, inbox: { maxAttempts: 2, retryBaseMs: 20, pollMs: 20 } });
      h.tugboat.startJobs();
      let slackDown = true;
      let runs = 0;
      h.tugboat.webhooks.on('pull_request', () => {
        runs++;
        if (slackDown) throw new Error('Slack answered 503');
      });
      const payload = webhookExample('pull_request', 'opened');

      await h.github.deliver('pull_request', payload, { deliveryId: 'd-redeliver' });
      await waitUntil(
        'the delivery has failed for good',
        async () => (await rowOf(h, 'd-redeliver')).status === 'failed',
      );
      expect(await rowOf(h, 'd-redeliver')).toMatchObject({ attempts: 2, error: 'Slack answered 503' });
      expect(
        h.logs.lines.filter(
          (line) => line.msg === 'webhook handler failed for good; Redeliver in GitHub runs it again',
        ),
      ).toHaveLength(1);
      expect(runs).toBe(2);

      slackDown = false;
      const redelivered = await h.github.deliver('pull_request', payload, { deliveryId: 'd-redeliver' });
      expect(redelivered.status).toBe(202);
      await waitUntil('the redelivery is done', async () => (await rowOf(h, 'd-redeliver')).status === 'done');
      expect(runs).toBe(3);

      const again = await h.github.deliver('pull_request', payload, { deliveryId: 'd-redeliver' });
      expect(again.status).toBe(200);
      expect(again.body).toContain('duplicate');
      await h.tugboat.settle();
      expect(runs).toBe(3);
      expect(await rowOf(h, 'd-redeliver')).toMatchObject({ status: 'done', attempts: 1 });
    });

    it('hands a delivery whose replica died to another once its lease lapses, and not before', async () => {
      h = await startHarness({ backend, inbox: { pollMs: 20 } });
      const handled: string[] = [];
      h.tugboat.webhooks.on('pull_request', ({ id }) => void handled.push(id));
      await orphanedDelivery(h, 'd-lapsed', webhookExample('pull_request', 'opened'), -1_000);
      await orphanedDelivery(h, 'd-leased', webhookExample('pull_request', 'closed'), 1_500);

      h.tugboat.startJobs();

      await waitUntil('the lapsed delivery is done', async () => (await rowOf(h, 'd-lapsed')).status === 'done');
      expect(await rowOf(h, 'd-lapsed')).toMatchObject({ attempts: 2 });
      expect(handled).toEqual(['d-lapsed']);
      expect(await rowOf(h, 'd-leased')).toMatchObject({ status: 'processing', attempts: 1 });
      await waitUntil(
        'the other lease lapses and its delivery is done',
        async () => (await rowOf(h, 'd-leased')).status === 'done',
      );
      expect(handled).toEqual(['d-lapsed', 'd-leased']);
    });

    it('keeps a delivery whose handler runs longer than its lease: renewed, it is not claimed again meanwhile', async () => {
      h = await startHarness({ backend, inbox: { leaseMs: 300, renewMs: 100, pollMs: 20 } });
      h.tugboat.startJobs();
      const handling = gate();
      const attempts: string[] = [];
      h.tugboat.webhooks.on('pull_request', async ({ id }) => {
        attempts.push(id);
        await handling.opened;
      });

      expect(
        (await h.github.deliver('pull_request', webhookExample('pull_request', 'opened'), { deliveryId: 'd-long' }))
          .status,
      ).toBe(202);
      // Five leases' time, with the poll looking for lapsed leases every 20 ms.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(await rowOf(h, 'd-long')).toMatchObject({ status: 'processing', attempts: 1 });
      handling.open();

      await waitUntil('the delivery is done', async () => (await rowOf(h, 'd-long')).status === 'done');
      expect(attempts).toEqual(['d-long']);
      expect(await rowOf(h, 'd-long')).toMatchObject({ attempts: 1, error: null });
    });

    it('shows the inbox depth and the age of its oldest delivery in /metrics', async () => {
      h = await startHarness({ backend });
      const handling = gate();
      h.tugboat.webhooks.on('pull_request', () => handling.opened);
      expect(await metricValue(h, 'tugboat_webhook_inbox_depth')).toBe(0);
      expect(await metricValue(h, 'tugboat_webhook_inbox_oldest_age_seconds')).toBe(0);
      await h.db.store.query(
        `insert into github_deliveries (hook_id, delivery_id, event, status, payload, received_at, next_attempt_at)
         values ('1', 'd-waiting', 'pull_request', 'pending', $1, now() - interval '90 seconds', now() + interval '1 hour')`,
        [Buffer.from('{}')],
      );
      await h.github.deliver('pull_request', webhookExample('pull_request', 'opened'), { deliveryId: 'd-handling' });

      expect(await metricValue(h, 'tugboat_webhook_inbox_depth')).toBe(2);
      const age = await metricValue(h, 'tugboat_webhook_inbox_oldest_age_seconds');
      expect(age).toBeGreaterThanOrEqual(90);
      expect(age).toBeLessThan(120);
      handling.open();
      await h.tugboat.settle();
      expect(await metricValue(h, 'tugboat_webhook_inbox_depth')).toBe(1);
    });
  });
}

describe.skipIf(!postgresBackend)('the webhook inbox on two replicas of one PostgreSQL', () => {
  let replicas: Harness[] = [];
  let db: TestDatabase;
  afterEach(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    replicas = [];
    await db?.close();
  });

  async function twoReplicas(inbox: { concurrency?: number; leaseMs?: number }) {
    db = await postgresBackend!.open();
    const another = { ...db, store: await db.openAnother() };
    replicas = [
      await startHarness({ backend: postgresBackend!, db, inbox: { pollMs: 20, ...inbox } }),
      await startHarness({ backend: postgresBackend!, db: another, inbox: { pollMs: 20, ...inbox } }),
    ];
    return replicas;
  }

  it('handles every delivery once when both replicas take and drain deliveries at the same time', async () => {
    // One handler each: most deliveries wait in the inbox, and both replicas claim from it.
    const [a, b] = await twoReplicas({ concurrency: 1 });
    a.tugboat.startJobs();
    b.tugboat.startJobs();
    const runs: string[] = [];
    for (const replica of [a, b]) {
      replica.tugboat.webhooks.on('pull_request', async ({ id }) => {
        runs.push(id);
        await new Promise((resolve) => setTimeout(resolve, 5));
      });
    }
    const payload = webhookExample('pull_request', 'opened');
    const ids = Array.from({ length: 40 }, (_, i) => `d-${i}`);

    const answers = await Promise.all(
      ids.map((id, i) => (i % 2 === 0 ? a : b).github.deliver('pull_request', payload, { deliveryId: id })),
    );

    expect(answers.every((answer) => answer.status === 202)).toBe(true);
    const done = async () =>
      (await db.store.query<{ n: number }>(`select count(*)::int as n from github_deliveries where status = 'done'`))[0]
        .n;
    await waitUntil('every delivery is done', async () => (await done()) === ids.length);
    await Promise.all([a.tugboat.settle(), b.tugboat.settle()]);
    expect([...runs].sort()).toEqual([...ids].sort());
  });

  it('lets the other replica handle a delivery whose replica stopped mid-way, and keeps the first outcome', async () => {
    const [a, b] = await twoReplicas({ leaseMs: 300 });
    // Replica a takes the delivery, then hangs as if its process had died; only b looks for work.
    b.tugboat.startJobs();
    const stuck = gate();
    const runs: string[] = [];
    a.tugboat.webhooks.on('pull_request', async () => {
      runs.push('a');
      await stuck.opened;
      throw new Error('replica a was frozen');
    });
    b.tugboat.webhooks.on('pull_request', () => void runs.push('b'));

    expect(
      (await a.github.deliver('pull_request', webhookExample('pull_request', 'opened'), { deliveryId: 'd-frozen' }))
        .status,
    ).toBe(202);

    await waitUntil('replica b has handled it', async () => (await rowOf(a, 'd-frozen')).status === 'done');
    expect(runs).toEqual(['a', 'b']);
    stuck.open();
    await a.tugboat.settle();
    // Replica a's late failure does not undo b's outcome: its claim had lapsed.
    expect(await rowOf(a, 'd-frozen')).toMatchObject({ status: 'done', attempts: 2, error: null });
  });
});
