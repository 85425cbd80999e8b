import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import {
  answersTo,
  channelMessages,
  command,
  githubDeployments,
  pushToMain,
  reportDeploymentStatus,
  seedRepo,
  sha,
} from '../helpers/deploys.ts';
import { storeBackends } from '../helpers/stores.ts';

const DAY = 24 * 60 * 60_000;

/** Deploys `commit` of acme/api to staging and has GitHub report `outcome`. */
async function ship(h: Harness, commit: string, outcome: 'success' | 'failure' = 'success', user = 'U0ALICE') {
  await command(h, user, `/deploy api ${sha(commit)} to staging`, 'C0STAGING');
  const deployment = githubDeployments(h, 'acme/api').at(-1)!;
  await reportDeploymentStatus(h, 'acme/api', deployment.id, outcome);
  return deployment;
}

const lastDeployedSha = (h: Harness) => githubDeployments(h, 'acme/api').at(-1)!.sha;

for (const backend of storeBackends) {
  describe(`/rollback on ${backend.name}`, () => {
    let h: Harness;
    afterEach(() => h?.stop());

    it('deploys the release before the current one, pinned to its SHA, and marks the undone SHA bad', async () => {
      h = await startHarness({ backend });
      seedRepo(h, 'acme/api', ['v1', 'v2', 'v3']);
      await ship(h, 'v1');
      await ship(h, 'v2');
      await ship(h, 'v2');
      await ship(h, 'v3');
      expect(await command(h, 'U0BOB', '/rollback api staging', 'C0STAGING')).toEqual([]);
      expect(lastDeployedSha(h)).toBe(sha('v2'));
      const rollback = channelMessages(h, 'C0STAGING').at(-1)!;
      expect(rollback.text).toContain('a rollback of *api* (undoing #4)');

      await reportDeploymentStatus(h, 'acme/api', githubDeployments(h, 'acme/api').at(-1)!.id, 'success');
      const [confirm] = await command(h, 'U0ALICE', `/deploy api ${sha('v3')} to staging`);
      expect(confirm).toContain(`\`${sha('v3').slice(0, 7)}\` was rolled back from (#4)`);
      expect(githubDeployments(h, 'acme/api')).toHaveLength(5);

      const [history] = await command(h, 'U0ALICE', '/tugboat history api staging');
      expect(history.split('\n')[1]).toMatch(/#5 `\w{7}` .* succeeded \(rollback of #4\)/);
      expect(history.split('\n')).toHaveLength(6);
    });

    it('skips releases whose post-deploy smoke checks failed and refuses beyond the policy', async () => {
      h = await startHarness({ backend });
      seedRepo(h, 'acme/api', ['v1', 'v2', 'v3', 'v4', 'v5', 'v6']);
      for (const v of ['v1', 'v2', 'v3', 'v4', 'v5', 'v6']) await ship(h, v);
      await h.db.store.query(`update deploys set smoke_status = 'failed' where sha = $1`, [sha('v5')]);
      expect((await command(h, 'U0BOB', '/rollback api staging to #1'))[0]).toContain('more than 3 releases back');
      expect((await command(h, 'U0BOB', '/rollback api staging to nonsense'))[0]).toContain(
        '`nonsense` is not an earlier successful release',
      );
      await command(h, 'U0BOB', '/rollback api staging');
      expect(lastDeployedSha(h)).toBe(sha('v4'));
    });

    it('refuses a release older than max_age', async () => {
      h = await startHarness({ backend });
      seedRepo(h, 'acme/api', ['v1', 'v2']);
      await ship(h, 'v1');
      h.clock.advance(15 * DAY);
      await ship(h, 'v2');
      const [refusal] = await command(h, 'U0BOB', '/rollback api staging');
      expect(refusal).toContain('older than the rollback policy allows (14d)');
      expect(githubDeployments(h, 'acme/api')).toHaveLength(2);
    });

    it('supersedes the deploy it undoes when that one is still in flight, instead of waiting behind it', async () => {
      h = await startHarness({ backend });
      seedRepo(h, 'acme/api', ['v1', 'v2']);
      await ship(h, 'v1');
      await command(h, 'U0ALICE', `/deploy api ${sha('v2')} to staging`, 'C0STAGING');
      const stuck = githubDeployments(h, 'acme/api').at(-1)!;
      await command(h, 'U0BOB', '/rollback api staging', 'C0STAGING');
      expect(lastDeployedSha(h)).toBe(sha('v1'));
      const [, superseded] = channelMessages(h, 'C0STAGING');
      expect(JSON.stringify(superseded.blocks)).toContain('superseded by a rollback');
      await reportDeploymentStatus(h, 'acme/api', stuck.id, 'success');
      const [row] = await h.db.store.query<{ status: string }>('select status from deploys where id = 2');
      expect(row.status).toBe('failed');
    });

    it('rolls back once from a double-clicked Roll back button, and not from a stale one', async () => {
      h = await startHarness({ backend });
      seedRepo(h, 'acme/api', ['v1', 'v2']);
      await ship(h, 'v1');
      await ship(h, 'v2', 'failure');
      const failed = channelMessages(h, 'C0STAGING').at(-1)!;
      const click = () =>
        h.slack.blockAction({
          userId: 'U0BOB',
          channelId: 'C0STAGING',
          actionId: 'deploy_rollback',
          messageTs: failed.ts,
        });
      const clicks = await Promise.all([click(), click()]);
      await h.tugboat.settle();
      expect(githubDeployments(h, 'acme/api').map((d) => d.sha)).toEqual([sha('v1'), sha('v2'), sha('v1')]);
      const answers = clicks.flatMap((c) => answersTo(h, c.responseUrl));
      expect(answers).toEqual([
        expect.stringMatching(/already (in flight|deploying)|already rolled back|is already deploying/),
      ]);
      const late = await click();
      await h.tugboat.settle();
      expect(answersTo(h, late.responseUrl)[0]).toMatch(/#2 was already rolled back by #3|already in flight/);
    });

    it('auto-deploys a push to the branch, skips a rolled-back SHA, and says why in the channel', async () => {
      h = await startHarness({ backend });
      seedRepo(h, 'acme/api', ['v1', 'v2']);
      const push = (after: string, deliveryId: string) => pushToMain(h, after, deliveryId);
      await push(sha('v1'), 'p1');
      await h.tugboat.settle();
      await reportDeploymentStatus(h, 'acme/api', githubDeployments(h, 'acme/api')[0].id, 'success');
      expect(channelMessages(h, 'C0STAGING')[0].text).toContain('<@U0ALICE> deployed *api*');

      await push(sha('v2'), 'p2');
      await h.tugboat.settle();
      await reportDeploymentStatus(h, 'acme/api', githubDeployments(h, 'acme/api')[1].id, 'success');
      await command(h, 'U0BOB', '/rollback api staging');
      await reportDeploymentStatus(h, 'acme/api', githubDeployments(h, 'acme/api')[2].id, 'success');

      await push(sha('v2'), 'p3');
      await h.tugboat.settle();
      expect(githubDeployments(h, 'acme/api')).toHaveLength(3);
      expect(channelMessages(h, 'C0STAGING').at(-1)!.text).toContain('Auto-deploy of *api*');
      expect(channelMessages(h, 'C0STAGING').at(-1)!.text).toContain('was rolled back from');

      await command(h, 'U0CAROL', '/lock staging', 'C0STAGING');
      h.githubApi.addCommit('acme/api', { sha: sha('v3') });
      await push(sha('v3'), 'p4');
      await h.tugboat.settle();
      expect(channelMessages(h, 'C0STAGING').at(-1)!.text).toMatch(/Auto-deploy of \*api\*[\s\S]*locked by <@U0CAROL>/);
    });
  });
}
