import { afterEach, describe, expect, it } from 'vitest';
import {
  channelMessages,
  deliveryRow,
  githubDeployments,
  pushToMain,
  reportDeploymentStatus,
  seedRepo,
  sha,
} from '../helpers/deploys.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { storeBackends } from '../helpers/stores.ts';
import { waitUntil } from '../helpers/wait.ts';

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
