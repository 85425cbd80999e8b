import { afterEach, describe, expect, it } from 'vitest';
import { answersTo, command, seedRepo } from '../helpers/deploys.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { storeBackends } from '../helpers/stores.ts';

const SERVICES = Array.from({ length: 10 }, (_, i) => `svc${i}`);
const SWEEP_MS = 15_000;
const MINUTE = 60_000;

/** Ten services deploying to staging through GitHub, so ten deploys can queue behind `/lock all`. */
const CONFIG = `
admins: [U0ADMIN]
environments:
  staging:
    channel: C0STAGING
services:
${SERVICES.map((name) => `  ${name}:\n    repo: acme/${name}\n    environments: [staging]\n    deploy: { via: github-deployment }\n`).join('')}`;

const buttonsOf = (message: { blocks?: unknown }) =>
  ((message.blocks ?? []) as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>)
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? []);

for (const backend of storeBackends) {
  describe(`GitHub budget on ${backend.name}`, () => {
    let h: Harness;
    afterEach(() => h?.stop());

    async function start() {
      h = await startHarness({ backend, configYaml: CONFIG });
      for (const name of SERVICES) seedRepo(h, `acme/${name}`, ['one']);
    }

    /** `/deploy <service> to staging` refused under a lock, then Queue me clicked. */
    async function queue(user: string, service: string) {
      const sent = await h.slack.slashCommand({
        command: '/deploy',
        text: `${service} to staging`,
        userId: user,
        channelId: 'C0STAGING',
      });
      await h.tugboat.settle();
      const refusal = h.slackApi.responses.find((r) => sent.responseUrl.endsWith(r.id))!;
      const queueMe = buttonsOf(refusal.body as { blocks?: unknown }).find((b) => b.action_id === 'deploy_queue')!;
      await h.slack.blockAction({
        userId: user,
        channelId: 'C0STAGING',
        actionId: 'deploy_queue',
        value: queueMe.value,
      });
      await h.tugboat.settle();
    }

    const sweep = async () => {
      await h.tugboat.jobs.find((j) => j.name === 'deploy-sweep')!.run();
      await h.tugboat.settle();
    };
    const commitLookups = (service: string) =>
      h.githubApi.callsTo('GET /repos/{owner}/{repo}/commits/{ref}').filter((c) => c.params.repo === service);
    const waiting = () => h.db.store.query(`select service from deploy_queue where state = 'waiting'`);

    it('asks GitHub nothing for 10 deploys queued behind /lock all while it holds, then once each when it is released', async () => {
      await start();
      await command(h, 'U0BOB', '/lock all for 1d code freeze', 'C0STAGING');
      for (const service of SERVICES) await queue('U0ALICE', service);
      expect(await waiting()).toHaveLength(10);

      const before = h.githubApi.calls.length;
      for (let tick = 0; tick < 20; tick++) {
        h.clock.advance(SWEEP_MS);
        await sweep();
      }
      expect(h.githubApi.calls.length).toBe(before);
      expect(await waiting()).toHaveLength(10);

      const sinceRelease = h.githubApi.calls.length;
      await command(h, 'U0BOB', '/unlock all', 'C0STAGING');
      await sweep();
      const made = h.githubApi.calls.slice(sinceRelease);
      for (const service of SERVICES) {
        expect(made.filter((c) => c.params.repo === service).map((c) => c.route)).toEqual([
          'GET /repos/{owner}/{repo}/commits/{ref}',
          'POST /repos/{owner}/{repo}/deployments',
        ]);
      }
      expect(await waiting()).toHaveLength(0);
    });

    it.each([403, 429] as const)(
      'with the limit used up (GitHub answering %i), /deploy says so plainly and until when, calls GitHub no more, and queued deploys wait for the reset',
      async (refuseWith) => {
        await start();
        const plan = await h.slack.slashCommand({
          command: '/deploy',
          text: 'svc5 to staging --plan',
          userId: 'U0CAROL',
          channelId: 'C0STAGING',
        });
        await h.tugboat.settle();
        const planned = h.slackApi.responses.find((r) => plan.responseUrl.endsWith(r.id))!;
        const deployButton = buttonsOf(planned.body as { blocks?: unknown }).find(
          (b) => b.action_id === 'deploy_confirm',
        )!;
        await command(h, 'U0BOB', '/lock staging for 1h db migration', 'C0STAGING');
        await queue('U0ALICE', 'svc1');
        const resetAt = new Date(h.clock.now().getTime() + 25 * MINUTE);
        h.githubApi.setRateLimit({ remaining: 0, resetAt, refuseWith });

        const [answer] = await command(h, 'U0CAROL', '/deploy svc2 to staging', 'C0STAGING');
        expect(answer).toBe(
          `GitHub's API limit for tugboat is used up until <!date^${resetAt.getTime() / 1000}^{date_short_pretty} at {time}|2026-11-20 15:25 UTC> (in 25m), so nothing was done; try again then.`,
        );
        const refused = h.githubApi.calls.length;
        expect(h.githubApi.calls.at(-1)!.status).toBe(refuseWith);
        // Known to be used up: the next /deploy does not even ask.
        const sent = await h.slack.slashCommand({
          command: '/deploy',
          text: 'svc3 to staging',
          userId: 'U0CAROL',
          channelId: 'C0STAGING',
        });
        await h.tugboat.settle();
        expect(answersTo(h, sent.responseUrl)).toEqual([
          expect.stringContaining("GitHub's API limit for tugboat is used up until"),
        ]);
        expect(h.githubApi.calls.length).toBe(refused);
        // The same from a plan's Deploy button.
        const click = await h.slack.blockAction({
          userId: 'U0CAROL',
          channelId: 'C0STAGING',
          actionId: 'deploy_confirm',
          value: deployButton.value,
          messageTs: '1.000001',
        });
        await h.tugboat.settle();
        expect(answersTo(h, click.responseUrl)).toEqual([
          expect.stringContaining("GitHub's API limit for tugboat is used up until"),
        ]);
        expect(h.githubApi.calls.length).toBe(refused);
        expect(h.logs.lines.filter((line) => (line.level as number) >= 50)).toEqual([]);

        await command(h, 'U0BOB', '/unlock staging', 'C0STAGING');
        for (let tick = 0; tick < 4; tick++) {
          h.clock.advance(SWEEP_MS);
          await sweep();
        }
        expect(h.githubApi.calls.length).toBe(refused);
        expect(await waiting()).toEqual([{ service: 'svc1' }]);

        h.githubApi.setRateLimit({ remaining: 5000, resetAt: new Date(resetAt.getTime() + 60 * MINUTE) });
        h.clock.current = new Date(resetAt.getTime() + 1000);
        await sweep();
        expect(await waiting()).toEqual([]);
        expect(h.githubApi.deployments('acme/svc1')).toHaveLength(1);
      },
    );

    it('with little left, slows down: queued deploys and the review reconcile wait for the reset while /deploy still works', async () => {
      await start();
      await command(h, 'U0BOB', '/lock staging for 1h db migration', 'C0STAGING');
      const resetAt = new Date(h.clock.now().getTime() + 30 * MINUTE);
      h.githubApi.setRateLimit({ remaining: 60, resetAt });
      await queue('U0ALICE', 'svc1');
      await command(h, 'U0BOB', '/unlock staging', 'C0STAGING');

      const before = h.githubApi.calls.length;
      h.clock.advance(SWEEP_MS);
      await sweep();
      await h.tugboat.jobs.find((j) => j.name === 'review-reconcile')!.run();
      expect(h.githubApi.calls.length).toBe(before);
      expect(await waiting()).toEqual([{ service: 'svc1' }]);
      expect(h.logs.lines.some((line) => String(line.msg).includes('review reconcile skipped this hour'))).toBe(true);

      // Someone waiting on an answer is served from what is left.
      await command(h, 'U0CAROL', '/deploy svc2 to staging', 'C0STAGING');
      expect(h.githubApi.deployments('acme/svc2')).toHaveLength(1);
      expect(commitLookups('svc1')).toHaveLength(1);

      h.clock.current = new Date(resetAt.getTime() + 1000);
      await sweep();
      expect(await waiting()).toEqual([]);
      expect(h.githubApi.deployments('acme/svc1')).toHaveLength(1);
    });
  });
}
