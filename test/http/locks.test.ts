import { afterEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { storeBackends } from '../helpers/stores.ts';

/** Messages tugboat posted that Slack accepted. */
const posts = (h: Harness, channel?: string) =>
  h.slackApi
    .callsTo('chat.postMessage')
    .filter((c) => c.response.ok && (channel === undefined || c.args.channel === channel));
const postTexts = (h: Harness, channel?: string) => posts(h, channel).map((c) => String(c.args.text));

/** Sends a slash command, waits until tugboat has finished with it, and returns its ephemeral answers. */
async function command(h: Harness, userId: string, line: string, channelId = 'C0RANDOM') {
  const [name, ...rest] = line.split(' ');
  const sent = await h.slack.slashCommand({ command: name, text: rest.join(' '), userId, channelId });
  expect(sent.status).toBe(200);
  await h.tugboat.settle();
  return h.slackApi.responses.filter((r) => sent.responseUrl.endsWith(r.id)).map((r) => String(r.body.text));
}

for (const backend of storeBackends) {
  describe(`/lock, /unlock, /locks over HTTP on ${backend.name}`, () => {
    let h: Harness;
    afterEach(async () => {
      const refused = h?.slackApi.calls.filter((c) => !c.response.ok) ?? [];
      await h?.stop();
      expect(refused.map((c) => `${c.method} ${String(c.args.channel)}: ${String(c.response.error)}`)).toEqual([]);
    });

    it('announces a lock in the channel it was taken in and in the environment channel', async () => {
      h = await startHarness({ backend });
      expect(await command(h, 'U0ALICE', '/lock prod for 30m running the migration')).toEqual([]);
      expect(postTexts(h, 'C0RANDOM')).toHaveLength(1);
      expect(postTexts(h, 'C0DEPLOYS')).toHaveLength(1);
      const [text] = postTexts(h, 'C0DEPLOYS');
      expect(text).toContain('<@U0ALICE> locked *production*');
      expect(text).toContain('running the migration');
      expect(text).toContain('in 30m');
    });

    it('announces once when taken in the environment channel itself', async () => {
      h = await startHarness({ backend });
      await command(h, 'U0ALICE', '/lock staging', 'C0STAGING');
      expect(posts(h)).toHaveLength(1);
      expect(postTexts(h, 'C0STAGING')[0]).toContain('*staging*');
    });

    it('tells a second person who holds the lock, why, and until when', async () => {
      h = await startHarness({ backend });
      await command(h, 'U0ALICE', '/lock prod for 2h hotfix');
      const [refusal] = await command(h, 'U0BOB', '/lock api@prod');
      expect(refusal).toContain('*production* is locked by <@U0ALICE>');
      expect(refusal).toContain('hotfix');
      expect(refusal).toMatch(/until <!date\^\d+\^/);
      expect(refusal).toContain('in 2h');
      expect(posts(h)).toHaveLength(2);
    });

    it('gives api@staging to exactly one of 20 people locking at once', async () => {
      h = await startHarness({ backend });
      const users = Array.from({ length: 20 }, (_, i) => `U0RACE${i}`);
      const sent = await Promise.all(
        users.map((userId) =>
          h.slack.slashCommand({ command: '/lock', text: 'api@staging', userId, channelId: 'C0STAGING' }),
        ),
      );
      expect(sent.every((s) => s.status === 200)).toBe(true);
      await h.tugboat.settle();
      expect(posts(h)).toHaveLength(1);
      const winner = /<@(U0RACE\d+)>/.exec(postTexts(h)[0])![1];
      const refusals = h.slackApi.responses.map((r) => String(r.body.text));
      expect(refusals).toHaveLength(19);
      expect(refusals.every((r) => r.includes(`locked by <@${winner}>`))).toBe(true);
    });

    it('uses the channel binding when no target is given, and says what to do without one', async () => {
      h = await startHarness({ backend });
      await command(h, 'U0ALICE', '/lock', 'C0APIDEPLOY');
      expect(postTexts(h, 'C0APIDEPLOY')[0]).toContain('locked *api@production*');
      const [refusal] = await command(h, 'U0ALICE', '/lock', 'C0RANDOM');
      expect(refusal).toContain('Say what to lock');
    });

    it('lists the valid names, with a did-you-mean, for an unknown environment', async () => {
      h = await startHarness({ backend });
      const [unknownEnv] = await command(h, 'U0ALICE', '/lock prdo');
      expect(unknownEnv).toContain('Did you mean `prod`?');
      expect(unknownEnv).toContain('`staging`');
      const [unknownService] = await command(h, 'U0ALICE', '/lock apii@staging');
      expect(unknownService).toContain('Did you mean `api`?');
      const [bareService] = await command(h, 'U0ALICE', '/lock api');
      expect(bareService).toContain('`/lock api@staging`');
      const [badDuration] = await command(h, 'U0ALICE', '/lock staging for soon');
      expect(badDuration).toContain('/lock staging for 2h');
      expect(posts(h)).toHaveLength(0);
    });

    it('refuses people outside the environment’s deployers', async () => {
      h = await startHarness({ backend });
      const [refusal] = await command(h, 'U0MALLORY', '/lock prod');
      expect(refusal).toContain('not on the deployers list');
      expect(posts(h)).toHaveLength(0);
    });

    it('lets only the holder unlock, and an admin with --force, announced with who forced it', async () => {
      h = await startHarness({ backend });
      await command(h, 'U0ALICE', '/lock prod deploying');
      expect((await command(h, 'U0BOB', '/unlock prod'))[0]).toContain('locked by <@U0ALICE>, not you');
      expect((await command(h, 'U0BOB', '/unlock prod --force'))[0]).toContain('Only admins');
      expect((await command(h, 'U0ADMIN', '/unlock prod'))[0]).toContain('--force');
      expect(await command(h, 'U0ADMIN', '/unlock prod --force')).toEqual([]);
      expect(postTexts(h, 'C0DEPLOYS').at(-1)).toContain(
        '<@U0ADMIN> force-released *production*, which <@U0ALICE> held',
      );
      expect((await command(h, 'U0BOB', '/locks'))[0]).toBe('No locks are held.');
    });

    it('releases and announces once when three /unlocks race', async () => {
      h = await startHarness({ backend });
      await command(h, 'U0ALICE', '/lock prod', 'C0DEPLOYS');
      const sent = await Promise.all(
        [1, 2, 3].map(() =>
          h.slack.slashCommand({ command: '/unlock', text: 'prod', userId: 'U0ALICE', channelId: 'C0DEPLOYS' }),
        ),
      );
      await h.tugboat.settle();
      expect(postTexts(h, 'C0DEPLOYS').filter((t) => t.includes('released'))).toHaveLength(1);
      const answers = h.slackApi.responses.filter((r) => sent.some((s) => s.responseUrl.endsWith(r.id)));
      expect(answers.map((a) => String(a.body.text))).toEqual([
        expect.stringContaining('Nothing to unlock'),
        expect.stringContaining('Nothing to unlock'),
      ]);
    });

    it('freezes everything with all, and lists locks widest first', async () => {
      h = await startHarness({ backend });
      await command(h, 'U0ALICE', '/lock api@staging');
      const [refusal] = await command(h, 'U0ADMIN', '/lock all code freeze');
      expect(refusal).toContain('*api@staging* is locked by <@U0ALICE>');
      await command(h, 'U0ALICE', '/unlock api@staging');
      await command(h, 'U0ADMIN', '/lock all for 1d code freeze');
      expect(postTexts(h, 'C0STAGING').at(-1)).toContain('froze *every environment*');
      expect(postTexts(h, 'C0DEPLOYS').at(-1)).toContain('froze *every environment*');
      const [list] = await command(h, 'U0BOB', '/locks');
      expect(list).toContain('• *all*: <@U0ADMIN>');
      expect(list).toContain('code freeze');
    });

    it('announces an expiry once, where the lock was announced, even when sweeps overlap', async () => {
      h = await startHarness({ backend });
      await command(h, 'U0ALICE', '/lock prod for 20m');
      h.clock.advance(21 * 60_000);
      const sweep = h.tugboat.jobs.find((j) => j.name === 'lock-sweep')!;
      await Promise.all([sweep.run(), sweep.run()]);
      await sweep.run();
      const expiries = posts(h).filter((c) => String(c.args.text).includes('expired'));
      expect(expiries.map((c) => c.args.channel).sort()).toEqual(['C0DEPLOYS', 'C0RANDOM']);
      expect(await command(h, 'U0BOB', '/lock prod')).toEqual([]);
    });

    it('reminds the holder ten minutes before expiry with Extend and Release buttons that act once', async () => {
      h = await startHarness({ backend });
      await command(h, 'U0ALICE', '/lock prod for 1h release train', 'C0DEPLOYS');
      const sweep = h.tugboat.jobs.find((j) => j.name === 'lock-sweep')!;
      h.clock.advance(45 * 60_000);
      await sweep.run();
      expect(posts(h, 'U0ALICE')).toHaveLength(0);
      h.clock.advance(6 * 60_000);
      await sweep.run();
      await sweep.run();
      const [reminder] = posts(h, 'U0ALICE');
      expect(posts(h, 'U0ALICE')).toHaveLength(1);
      expect(String(reminder.args.text)).toContain('expires in 9m');
      const buttons = (reminder.args.blocks as Array<{ elements?: Array<{ action_id: string; value: string }> }>)[1]
        .elements!;
      const extend = buttons.find((b) => b.action_id === 'lock_extend')!;
      const dm = String(reminder.response.channel);
      const click = () =>
        h.slack.blockAction({
          userId: 'U0ALICE',
          channelId: dm,
          actionId: 'lock_extend',
          value: extend.value,
          messageTs: String(reminder.response.ts),
        });
      await Promise.all([click(), click()]);
      await h.tugboat.settle();
      expect(postTexts(h, 'C0DEPLOYS').filter((t) => t.includes('extended'))).toHaveLength(1);
      const [list] = await command(h, 'U0ALICE', '/locks');
      expect(list).toContain('in 1h 9m');
      const release = buttons.find((b) => b.action_id === 'lock_release')!;
      const byBob = await h.slack.blockAction({
        userId: 'U0BOB',
        channelId: 'C0DEPLOYS',
        actionId: 'lock_release',
        value: release.value,
        messageTs: '1.000001',
      });
      await h.tugboat.settle();
      expect(
        h.slackApi.responses.filter((r) => byBob.responseUrl.endsWith(r.id)).map((r) => String(r.body.text)),
      ).toEqual([expect.stringContaining('locked by <@U0ALICE>, not you')]);
      await h.slack.blockAction({
        userId: 'U0ALICE',
        channelId: dm,
        actionId: 'lock_release',
        value: release.value,
        messageTs: String(reminder.response.ts),
      });
      await h.tugboat.settle();
      expect(postTexts(h, 'C0DEPLOYS').at(-1)).toBe(':unlock: <@U0ALICE> released *production*.');
    });

    it('keeps an audit row for every lock change, with who, what and where', async () => {
      h = await startHarness({ backend });
      await command(h, 'U0ALICE', '/lock prod', 'C0DEPLOYS');
      await command(h, 'U0ADMIN', '/unlock prod --force', 'C0ADMINS');
      const rows = await h.db.store.query<{ action: string; actor: string; channel: string }>(
        'select action, actor, channel from lock_events order by id',
      );
      expect(rows).toEqual([
        { action: 'acquired', actor: 'U0ALICE', channel: 'C0DEPLOYS' },
        { action: 'forced', actor: 'U0ADMIN', channel: 'C0ADMINS' },
      ]);
    });
  });
}
