import { afterEach, describe, expect, it } from 'vitest';
import { webhookExample } from '../../src/fakes/webhook-examples.ts';
import { channelMessages, githubDeployments, reportDeploymentStatus, seedRepo, sha } from '../helpers/deploys.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { storeBackends } from '../helpers/stores.ts';

/** A signed push of `after` to acme/api's main branch, which auto-deploys to staging (test/fixtures/tugboat.yml). */
function pushToMain(h: Harness, after: string, deliveryId: string) {
  const payload = webhookExample('push') as unknown as Record<string, unknown> & {
    repository: Record<string, unknown>;
    pusher: Record<string, unknown>;
  };
  Object.assign(payload, { ref: 'refs/heads/main', after, deleted: false });
  payload.repository.full_name = 'acme/api';
  payload.pusher.name = 'octocat';
  return h.github.deliver('push', payload, { deliveryId });
}

const deliveryRow = async (h: Harness, deliveryId: string) =>
  (
    await h.db.store.query<{ status: string; attempts: number }>(
      'select status, attempts from github_deliveries where delivery_id = $1',
      [deliveryId],
    )
  )[0];

async function waitUntil(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

for (const backend of storeBackends) {
  describe(`auto-deploy on push, handled again, on ${backend.name}`, () => {
    let h: Harness;
    afterEach(() => h?.stop());

    it('starts one deploy when the push is retried after a failure part-way, even once the first deploy has finished', async () => {
      h = await startHarness({ backend, inbox: { retryBaseMs: 100, pollMs: 20 } });
      h.tugboat.startJobs();
      seedRepo(h, 'acme/api', ['v1']);
      // Another subscriber to pushes fails the first attempt, after the deploy started and finished.
      let failures = 0;
      h.tugboat.webhooks.on('push', async () => {
        if (failures > 0) return;
        await waitUntil('the auto-deploy reached GitHub', () => githubDeployments(h, 'acme/api').length === 1);
        await reportDeploymentStatus(h, 'acme/api', githubDeployments(h, 'acme/api')[0].id, 'success');
        failures++;
        throw new Error('Slack answered 503');
      });

      expect((await pushToMain(h, sha('v1'), 'push-1')).status).toBe(202);

      await waitUntil('the retry is done', async () => (await deliveryRow(h, 'push-1'))?.status === 'done');
      await h.tugboat.settle();
      expect(await deliveryRow(h, 'push-1')).toEqual({ status: 'done', attempts: 2 });
      expect(githubDeployments(h, 'acme/api')).toHaveLength(1);
      expect(
        channelMessages(h, 'C0STAGING')
          .map((m) => m.text)
          .join('\n'),
      ).not.toContain('Auto-deploy of *api*');
    });
  });
}
