import { mkdtemp, writeFile, chmod, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import {
  answersTo,
  channelMessages,
  command,
  githubDeployments,
  reportDeploymentStatus,
  seedRepo,
  sha,
  threadOf,
} from '../helpers/deploys.ts';
import { storeBackends } from '../helpers/stores.ts';

const buttonsOf = (message: { blocks?: unknown }) =>
  (
    (message.blocks ?? []) as Array<{
      type: string;
      elements?: Array<{ action_id: string; value: string; text: { text: string } }>;
    }>
  )
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? []);

async function scriptsDir(script: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tugboat-deploy-'));
  await mkdir(path.join(dir, 'scripts'));
  await writeFile(path.join(dir, 'scripts', 'deploy.sh'), script);
  await chmod(path.join(dir, 'scripts', 'deploy.sh'), 0o755);
  return dir;
}

for (const backend of storeBackends) {
  describe(`/deploy on ${backend.name}`, () => {
    let h: Harness;
    afterEach(() => h?.stop());

    it('creates a GitHub deployment of the resolved SHA and reports its outcome in place, once', async () => {
      h = await startHarness({ backend });
      seedRepo(h, 'acme/api', ['one', 'two']);
      expect(await command(h, 'U0ALICE', '/deploy api to prod', 'C0DEPLOYS')).toEqual([]);
      const [created] = githubDeployments(h, 'acme/api');
      expect(created).toMatchObject({ sha: sha('two'), ref: sha('two'), environment: 'production' });
      expect(created.payload).toMatchObject({ tugboat_deploy_id: 1 });
      const request = h.githubApi.callsTo('POST /repos/{owner}/{repo}/deployments')[0];
      expect(request.body).toMatchObject({ auto_merge: false, ref: sha('two') });

      const [announcement] = channelMessages(h, 'C0DEPLOYS');
      expect(announcement.text).toContain('<@U0ALICE> is deploying *api*');
      expect(announcement.text).toContain(`|${sha('two').slice(0, 7)}>`);
      // In mrkdwn a link's `&` is written `&amp;`, as Slack itself writes it.
      expect(JSON.stringify(announcement.blocks)).toContain(
        '<https://logs.example.com/search?q=service:api%20env:production&amp;from=',
      );

      await reportDeploymentStatus(h, 'acme/api', created.id, 'in_progress', { deliveryId: 'ds-1' });
      await reportDeploymentStatus(h, 'acme/api', created.id, 'success', { deliveryId: 'ds-2' });
      const again = await reportDeploymentStatus(h, 'acme/api', created.id, 'success', { deliveryId: 'ds-2' });
      expect(again.status).toBe(200);
      await reportDeploymentStatus(h, 'acme/api', created.id, 'success', { deliveryId: 'ds-3' });

      const [done] = channelMessages(h, 'C0DEPLOYS');
      expect(done.text).toContain(':white_check_mark: <@U0ALICE> deployed *api*');
      expect(JSON.stringify(done.blocks)).toContain('took ');
      expect(channelMessages(h, 'C0DEPLOYS')).toHaveLength(1);
      const successUpdates = h.slackApi
        .callsTo('chat.update')
        .filter((c) => String(c.args.text).includes('deployed *api*'));
      expect(successUpdates).toHaveLength(1);
      expect(threadOf(h, 'C0DEPLOYS', done.ts).map((m) => m.text)).toEqual([
        expect.stringContaining('Created GitHub deployment'),
        expect.stringContaining('GitHub: in progress'),
      ]);
    });

    it('shows a failure with its reason and a Roll back button', async () => {
      h = await startHarness({ backend });
      seedRepo(h, 'acme/api', ['one']);
      await command(h, 'U0ALICE', '/deploy api to staging');
      await reportDeploymentStatus(h, 'acme/api', githubDeployments(h, 'acme/api')[0].id, 'failure', {
        description: 'health check failed',
      });
      const [failed] = channelMessages(h, 'C0STAGING');
      expect(failed.text).toContain(':x: <@U0ALICE> failed to deploy *api*');
      expect(JSON.stringify(failed.blocks)).toContain('health check failed');
      expect(buttonsOf(failed).map((b) => b.action_id)).toEqual(['deploy_rollback']);
    });

    it('starts exactly one of 20 simultaneous deploys and tells the others who is deploying', async () => {
      h = await startHarness({ backend });
      seedRepo(h, 'acme/api', ['one']);
      const users = Array.from({ length: 20 }, (_, i) => `U0DEV${i}`);
      const sent = await Promise.all(
        users.map((userId) =>
          h.slack.slashCommand({ command: '/deploy', text: 'api to staging', userId, channelId: 'C0STAGING' }),
        ),
      );
      await h.tugboat.settle();
      expect(githubDeployments(h, 'acme/api')).toHaveLength(1);
      const rows = await h.db.store.query('select id from deploys');
      expect(rows).toHaveLength(1);
      const refusals = sent.flatMap((s) => answersTo(h, s.responseUrl));
      expect(refusals).toHaveLength(19);
      expect(refusals.every((r) => /is already deploying \*api\* `\w{7}` to \*staging\* \(#1/.test(r))).toBe(true);
    });

    it('refuses under someone else’s lock, offers Queue me, and starts the queued deploy when the lock goes', async () => {
      h = await startHarness({ backend });
      seedRepo(h, 'acme/api', ['one']);
      await command(h, 'U0BOB', '/lock staging for 1h db migration', 'C0STAGING');
      const sent = await h.slack.slashCommand({
        command: '/deploy',
        text: 'api to staging',
        userId: 'U0ALICE',
        channelId: 'C0STAGING',
      });
      await h.tugboat.settle();
      const refusal = h.slackApi.responses.find((r) => sent.responseUrl.endsWith(r.id))!;
      expect(String(refusal.body.text)).toContain('*staging* is locked by <@U0BOB>');
      expect(String(refusal.body.text)).toContain('db migration');
      expect(githubDeployments(h, 'acme/api')).toHaveLength(0);

      const queueMe = buttonsOf(refusal.body as { blocks?: unknown }).find((b) => b.action_id === 'deploy_queue')!;
      const click = await h.slack.blockAction({
        userId: 'U0ALICE',
        channelId: 'C0STAGING',
        actionId: 'deploy_queue',
        value: queueMe.value,
      });
      await h.tugboat.settle();
      expect(answersTo(h, click.responseUrl)).toEqual([expect.stringContaining('position 1')]);

      await command(h, 'U0BOB', '/tugboat status').then((answers) => expect(answers[0]).toContain('queue: <@U0ALICE>'));
      await command(h, 'U0BOB', '/unlock staging', 'C0STAGING');
      await h.tugboat.jobs.find((j) => j.name === 'deploy-sweep')!.run();
      await h.tugboat.settle();
      expect(githubDeployments(h, 'acme/api')).toHaveLength(1);
      const dm = h.slackApi.callsTo('chat.postMessage').find((c) => c.args.channel === 'U0ALICE');
      expect(String(dm?.args.text)).toContain('Your queued deploy of *api*');
    });

    it('refuses red CI naming the failing check, and lets an admin override it with --force, announced', async () => {
      h = await startHarness({ backend });
      seedRepo(h, 'acme/api', ['one']);
      h.githubApi.setCommitStatus('acme/api', sha('one'), {
        context: 'ci/build',
        state: 'success',
        target_url: 'https://ci.example.com/1',
      });
      h.githubApi.setCheckRun('acme/api', sha('one'), {
        name: 'integration',
        status: 'completed',
        conclusion: 'failure',
        html_url: 'https://ci.example.com/int/7',
      });
      const [refusal] = await command(h, 'U0ALICE', '/deploy api to prod');
      expect(refusal).toContain('CI is not green: <https://ci.example.com/int/7|integration> failed');
      expect((await command(h, 'U0ALICE', '/deploy api to prod --force'))[0]).toContain('Only admins');
      expect(githubDeployments(h, 'acme/api')).toHaveLength(0);
      await command(h, 'U0ADMIN', '/deploy api to prod --force', 'C0DEPLOYS');
      expect(githubDeployments(h, 'acme/api')).toHaveLength(1);
      expect(JSON.stringify(channelMessages(h, 'C0DEPLOYS')[0].blocks)).toContain('CI overridden with --force');
    });

    it('says so for an unknown ref, an unknown service, and someone not allowed', async () => {
      h = await startHarness({ backend });
      seedRepo(h, 'acme/api', ['one']);
      expect((await command(h, 'U0ALICE', '/deploy api nope-branch to staging'))[0]).toContain(
        'GitHub does not know `nope-branch`',
      );
      expect((await command(h, 'U0ALICE', '/deploy apu'))[0]).toContain('Did you mean `api`?');
      expect((await command(h, 'U0MALLORY', '/deploy api to prod'))[0]).toContain(
        'not on the deployers list for *production*',
      );
      expect((await command(h, 'U0ALICE', '/deploy api --yolo'))[0]).toContain('Unknown option `--yolo`');
    });

    it('plans without deploying, and the plan’s Deploy button checks again and deploys', async () => {
      h = await startHarness({ backend });
      seedRepo(h, 'acme/api', ['one']);
      const sent = await h.slack.slashCommand({
        command: '/deploy',
        text: 'api to prod --plan',
        userId: 'U0ALICE',
        channelId: 'C0DEPLOYS',
      });
      await h.tugboat.settle();
      const plan = h.slackApi.responses.find((r) => sent.responseUrl.endsWith(r.id))!;
      expect(String(plan.body.text)).toContain(':white_check_mark: No lock held by someone else');
      expect(String(plan.body.text)).toContain('Everything checks out.');
      expect(githubDeployments(h, 'acme/api')).toHaveLength(0);
      await command(h, 'U0BOB', '/lock prod', 'C0DEPLOYS');
      const deployButton = buttonsOf(plan.body as { blocks?: unknown }).find((b) => b.action_id === 'deploy_confirm')!;
      const blocked = await h.slack.blockAction({
        userId: 'U0ALICE',
        channelId: 'C0DEPLOYS',
        actionId: 'deploy_confirm',
        value: deployButton.value,
        messageTs: '1.000001',
      });
      await h.tugboat.settle();
      expect(answersTo(h, blocked.responseUrl)[0]).toContain('locked by <@U0BOB>');
      await command(h, 'U0BOB', '/unlock prod', 'C0DEPLOYS');
      await h.slack.blockAction({
        userId: 'U0ALICE',
        channelId: 'C0DEPLOYS',
        actionId: 'deploy_confirm',
        value: deployButton.value,
        messageTs: '1.000001',
      });
      await h.tugboat.settle();
      expect(githubDeployments(h, 'acme/api')).toHaveLength(1);
    });

    it('runs a command deploy with TUGBOAT_* variables and puts the output’s tail in the thread', async () => {
      const dir = await scriptsDir(
        '#!/bin/sh\necho "deploying $TUGBOAT_SERVICE $TUGBOAT_SHA to $TUGBOAT_ENV as #$TUGBOAT_DEPLOY_ID"\nexit 0\n',
      );
      h = await startHarness({ backend, commandCwd: dir });
      seedRepo(h, 'acme/web', ['w1']);
      await command(h, 'U0ALICE', '/deploy web to staging', 'C0STAGING');
      const [done] = channelMessages(h, 'C0STAGING');
      expect(done.text).toContain(':white_check_mark: <@U0ALICE> deployed *web*');
      const thread = threadOf(h, 'C0STAGING', done.ts).map((m) => m.text);
      expect(thread.join('\n')).toContain(`deploying web ${sha('w1')} to staging as #1`);
    });

    it('fails a command deploy on a non-zero exit, with the output and a Roll back button', async () => {
      const dir = await scriptsDir('#!/bin/sh\necho "migration 42 failed" >&2\nexit 3\n');
      h = await startHarness({ backend, commandCwd: dir });
      seedRepo(h, 'acme/web', ['w1']);
      await command(h, 'U0ALICE', '/deploy web to staging', 'C0STAGING');
      const [failed] = channelMessages(h, 'C0STAGING');
      expect(JSON.stringify(failed.blocks)).toContain('exited with code 3');
      expect(buttonsOf(failed).map((b) => b.action_id)).toEqual(['deploy_rollback']);
      expect(
        threadOf(h, 'C0STAGING', failed.ts)
          .map((m) => m.text)
          .join('\n'),
      ).toContain('migration 42 failed');
    });
  });
}
