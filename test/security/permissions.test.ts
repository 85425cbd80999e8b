import { afterEach, describe, expect, it } from 'vitest';
import type { SlackChannel } from '../../src/fakes/slack-api.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { channelMessages, command, seedRepo, sha } from '../helpers/deploys.ts';
import { storeBackends } from '../helpers/stores.ts';
import {
  check,
  incidentChannels,
  incidentConfig,
  runChecks,
  startIncidentHarness,
  startVersionedService,
  type VersionedService,
} from '../incidents/helpers.ts';

// In these configs `api` is owned by Alice, Bob is production's one deployer and U0ADMIN the admin;
// Carol (and Mallory, in the fixture) may do none of it.
const STRANGER = 'U0CAROL';

type Button = { action_id: string; value: string };
const buttonsOf = (message: { blocks?: unknown }) =>
  ((message.blocks ?? []) as Array<{ type: string; elements?: Button[] }>)
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? []);

/** Clicks a button and returns what only the clicker was told (not the removal of the message clicked in), checking it was only them. */
async function click(
  h: Harness,
  input: { userId: string; channelId: string; actionId: string; value?: string; messageTs?: string },
): Promise<string[]> {
  const sent = await h.slack.blockAction(input);
  expect(sent.status).toBe(200);
  await h.tugboat.settle();
  const answers = h.slackApi.responses.filter((r) => sent.responseUrl.endsWith(r.id) && !r.body.delete_original);
  for (const answer of answers) expect(answer.body.response_type ?? 'ephemeral').toBe('ephemeral');
  return answers.map((r) => String(r.body.text));
}

describe.each(storeBackends)('who may act on an incident, on $name', (backend) => {
  let h: Harness;
  let service: VersionedService;
  afterEach(async () => {
    await h?.stop();
    await service?.server.close();
    h = undefined!;
  });

  /** `null`: production has no deployers list. */
  async function start(productionDeployers: string[] | null = ['U0BOB']) {
    service = await startVersionedService();
    const checks = check('health', `${service.origin}/health`);
    h = await startIncidentHarness({
      backend,
      configYaml: incidentConfig(service, checks, { productionDeployers: productionDeployers ?? undefined }),
    });
  }

  async function openIncident(): Promise<{ channel: SlackChannel; id: number; ts: string }> {
    const before = incidentChannels(h).length;
    service.down = true;
    await runChecks(h, 3);
    const channel = incidentChannels(h)[before];
    const [{ id }] = await h.db.store.query<{ id: number }>(`select id from incidents where status = 'open'`);
    return { channel, id: Number(id), ts: channelMessages(h, channel.id)[0].ts };
  }

  const incidentRow = async (id: number) =>
    (
      await h.db.store.query<{ status: string; resolved_by: string | null }>(
        'select status, resolved_by from incidents where id = $1',
        [id],
      )
    )[0];
  const eventKinds = async (id: number) =>
    (
      await h.db.store.query<{ kind: string }>('select kind from incident_events where incident_id = $1 order by id', [
        id,
      ])
    ).map((e) => e.kind);

  /** Resolve, then Resolve anyway in the ephemeral message that offers it. */
  async function resolveWhileFailing(userId: string, incident: { channel: SlackChannel; ts: string }) {
    const asked = await click(h, {
      userId,
      channelId: incident.channel.id,
      actionId: 'incident_resolve',
      messageTs: incident.ts,
    });
    expect(asked).toEqual([expect.stringContaining('Resolve anyway?')]);
    const offer = h.slackApi.ephemerals(userId).at(-1)!;
    expect(
      await click(h, {
        userId,
        channelId: incident.channel.id,
        actionId: 'incident_resolve_confirm',
        messageTs: offer.ts,
      }),
    ).toEqual([]);
  }

  it('refuses a stranger’s Resolve and Resolve anyway with one sentence naming who may, and changes nothing', async () => {
    await start();
    const incident = await openIncident();
    const sentence =
      'Only the owners of *api*, the deployers of *production* and admins can resolve this incident; ask <@U0ALICE>, <@U0BOB> or <@U0ADMIN>.';

    const resolve = await click(h, {
      userId: STRANGER,
      channelId: incident.channel.id,
      actionId: 'incident_resolve',
      messageTs: incident.ts,
    });
    expect(resolve).toEqual([sentence]);
    const anyway = await click(h, {
      userId: STRANGER,
      channelId: incident.channel.id,
      actionId: 'incident_resolve_confirm',
      value: String(incident.id),
      messageTs: incident.ts,
    });
    expect(anyway).toEqual([sentence]);

    expect(await incidentRow(incident.id)).toEqual({ status: 'open', resolved_by: null });
    expect(await eventKinds(incident.id)).not.toContain('resolved');
    expect(await h.db.store.query('select alerting from smoke_check_state')).toEqual([{ alerting: true }]);
    expect(
      channelMessages(h, incident.channel.id)
        .map((m) => m.text)
        .join('\n'),
    ).not.toContain('resolved the incident');
  });

  it('lets the service’s owner, a deployer of the environment and an admin resolve', async () => {
    await start();
    for (const userId of ['U0ALICE', 'U0BOB', 'U0ADMIN']) {
      const incident = await openIncident();
      service.down = false;
      await runChecks(h, 2);
      expect(
        await click(h, {
          userId,
          channelId: incident.channel.id,
          actionId: 'incident_resolve',
          messageTs: incident.ts,
        }),
      ).toEqual([]);
      expect(await incidentRow(incident.id)).toEqual({ status: 'resolved', resolved_by: userId });
    }
    expect(incidentChannels(h)).toHaveLength(3);
  });

  it('lets anyone resolve where the environment has no deployers list, but still only owners and admins archive', async () => {
    await start(null);
    const incident = await openIncident();
    await resolveWhileFailing(STRANGER, incident);
    expect(await incidentRow(incident.id)).toEqual({ status: 'resolved', resolved_by: STRANGER });

    h.clock.advance(14 * 24 * 60 * 60_000);
    await h.tugboat.incidents.offerArchives();
    const offer = channelMessages(h, incident.channel.id).find((m) => m.text.includes('Archive this channel?'))!;
    expect(
      await click(h, {
        userId: STRANGER,
        channelId: incident.channel.id,
        actionId: 'incident_archive',
        messageTs: offer.ts,
      }),
    ).toEqual([
      "Only the owners of *api* and admins can archive this incident's channel; ask <@U0ALICE> or <@U0ADMIN>.",
    ]);
    expect(h.slackApi.channel(incident.channel.id)!.is_archived).toBeFalsy();
  });

  it('archives the channel for the owner or an admin only, telling a deployer and a stranger who may', async () => {
    await start();
    const incident = await openIncident();
    await resolveWhileFailing('U0BOB', incident);
    h.clock.advance(14 * 24 * 60 * 60_000);
    await h.tugboat.incidents.offerArchives();
    const offer = channelMessages(h, incident.channel.id).find((m) => m.text.includes('Archive this channel?'))!;
    const archive = (userId: string) =>
      click(h, { userId, channelId: incident.channel.id, actionId: 'incident_archive', messageTs: offer.ts });

    for (const userId of [STRANGER, 'U0BOB']) {
      expect(await archive(userId)).toEqual([
        "Only the owners of *api* and admins can archive this incident's channel; ask <@U0ALICE> or <@U0ADMIN>.",
      ]);
      expect(h.slackApi.channel(incident.channel.id)!.is_archived).toBeFalsy();
    }
    expect(await archive('U0ALICE')).toEqual([]);
    expect(h.slackApi.channel(incident.channel.id)!.is_archived).toBe(true);
  });

  it('lets anyone acknowledge, and records who did', async () => {
    await start();
    const incident = await openIncident();
    expect(
      await click(h, {
        userId: STRANGER,
        channelId: incident.channel.id,
        actionId: 'incident_acknowledge',
        messageTs: incident.ts,
      }),
    ).toEqual([]);
    expect(
      await click(h, {
        userId: 'U0ONCALL',
        channelId: incident.channel.id,
        actionId: 'incident_acknowledge',
        messageTs: incident.ts,
      }),
    ).toEqual([expect.stringContaining('<@U0CAROL> already acknowledged')]);
    const rows = await h.db.store.query<{ actor: string }>(
      `select actor from incident_events where incident_id = $1 and kind = 'acknowledged'`,
      [incident.id],
    );
    expect(rows).toEqual([{ actor: STRANGER }]);
    expect((await h.db.store.query('select acknowledged_by from incidents where id = $1', [incident.id]))[0]).toEqual({
      acknowledged_by: STRANGER,
    });
  });

  it('after resolving while a check still fails, exactly failures_before_alert more failures open a new incident in a new channel', async () => {
    await start();
    const first = await openIncident();
    await resolveWhileFailing('U0BOB', first);
    expect(await incidentRow(first.id)).toEqual({ status: 'resolved', resolved_by: 'U0BOB' });
    expect(await h.db.store.query('select alerting from smoke_check_state')).toEqual([{ alerting: false }]);

    await runChecks(h, 2);
    expect(incidentChannels(h)).toHaveLength(1);
    expect(await h.db.store.query(`select id from incidents where status = 'open'`)).toEqual([]);

    await runChecks(h, 1);
    const channels = incidentChannels(h);
    expect(channels.map((c) => c.name)).toEqual(['inc-20261122-api-production', 'inc-20261122-api-production-2']);
    const incidents = await h.db.store.query<{ id: number; status: string }>(
      'select id, status from incidents order by id',
    );
    expect(incidents.map((i) => i.status)).toEqual(['resolved', 'open']);
    // The new incident counts from the resolve: its first failure is the first one after it.
    expect(channelMessages(h, channels[1].id)[0].text).toContain('health since 2026-11-22T10:00:03.000Z');
  });

  it('refuses a stranger’s Roll back, on the incident and on a deploy, as /rollback would', async () => {
    await start();
    await command(h, 'U0BOB', `/deploy api ${sha('v1')} to production`, 'C0DEPLOYS');
    h.clock.advance(10 * 60_000);
    service.broken.add(sha('v2'));
    await command(h, 'U0BOB', `/deploy api ${sha('v2')} to production`, 'C0DEPLOYS');
    const deploys = async () => (await h.db.store.query<{ n: number }>('select count(*)::int as n from deploys'))[0].n;
    expect(await deploys()).toBe(2);

    // The post-deploy checks failed: the deploy's thread offers Roll back.
    const onDeploy = await click(h, {
      userId: STRANGER,
      channelId: 'C0DEPLOYS',
      actionId: 'deploy_rollback',
      value: '2',
    });
    expect(onDeploy).toEqual([expect.stringContaining('not on the deployers list for *production*')]);

    const incident = await openIncident();
    const rollback = buttonsOf(channelMessages(h, incident.channel.id)[0]).find(
      (b) => b.action_id === 'incident_rollback',
    )!;
    const onIncident = await click(h, {
      userId: STRANGER,
      channelId: incident.channel.id,
      actionId: 'incident_rollback',
      value: rollback.value,
      messageTs: incident.ts,
    });
    expect(onIncident).toEqual([expect.stringContaining('not on the deployers list for *production*')]);
    expect(await deploys()).toBe(2);
    expect(await eventKinds(incident.id)).not.toContain('rollback_started');

    expect(
      await click(h, {
        userId: 'U0BOB',
        channelId: incident.channel.id,
        actionId: 'incident_rollback',
        value: rollback.value,
        messageTs: incident.ts,
      }),
    ).toEqual([]);
    expect(await deploys()).toBe(3);
  });
});

describe.each(storeBackends)('who may click deploy and lock buttons, on $name', (backend) => {
  let h: Harness;
  afterEach(async () => {
    await h?.stop();
    h = undefined!;
  });

  /** What `/deploy …` answered its caller, buttons included. */
  async function deployAnswer(userId: string, text: string) {
    const sent = await h.slack.slashCommand({ command: '/deploy', text, userId, channelId: 'C0DEPLOYS' });
    await h.tugboat.settle();
    return h.slackApi.responses.find((r) => sent.responseUrl.endsWith(r.id))!.body as {
      text: string;
      blocks?: unknown;
    };
  }
  const deployments = () => h.githubApi.deployments('acme/api');
  const notADeployer = 'You are not on the deployers list for *production*. Ask an admin or one of its deployers.';

  it('refuses Queue me to someone who may not deploy there, and queues nothing', async () => {
    h = await startHarness({ backend });
    seedRepo(h, 'acme/api', ['one']);
    await command(h, 'U0BOB', '/lock prod for 1h', 'C0DEPLOYS');
    const queueMe = buttonsOf(await deployAnswer('U0ALICE', 'api to prod')).find(
      (b) => b.action_id === 'deploy_queue',
    )!;

    expect(
      await click(h, {
        userId: 'U0MALLORY',
        channelId: 'C0DEPLOYS',
        actionId: 'deploy_queue',
        value: queueMe.value,
        messageTs: '1.000001',
      }),
    ).toEqual([notADeployer]);
    expect(await h.db.store.query('select * from deploy_queue')).toEqual([]);
    expect(
      await click(h, {
        userId: 'U0ALICE',
        channelId: 'C0DEPLOYS',
        actionId: 'deploy_queue',
        value: queueMe.value,
        messageTs: '1.000001',
      }),
    ).toEqual([expect.stringContaining('position 1')]);
  });

  it('refuses a plan’s Deploy to someone who may not deploy, and a forced one to anyone but an admin', async () => {
    h = await startHarness({ backend });
    seedRepo(h, 'acme/api', ['one']);
    const deploy = buttonsOf(await deployAnswer('U0ALICE', 'api to prod --plan')).find(
      (b) => b.action_id === 'deploy_confirm',
    )!;
    const byMallory = await click(h, {
      userId: 'U0MALLORY',
      channelId: 'C0DEPLOYS',
      actionId: 'deploy_confirm',
      value: deploy.value,
      messageTs: '1.000001',
    });
    expect(byMallory).toEqual([expect.stringContaining(notADeployer)]);
    expect(deployments()).toHaveLength(0);

    h.githubApi.setCheckRun('acme/api', sha('one'), {
      name: 'integration',
      status: 'completed',
      conclusion: 'failure',
      html_url: 'https://ci.example.com/int/7',
    });
    const forced = buttonsOf(await deployAnswer('U0ADMIN', 'api to prod --plan --force')).find(
      (b) => b.action_id === 'deploy_confirm',
    )!;
    expect(JSON.parse(forced.value)).toMatchObject({ force: true });
    const byAlice = await click(h, {
      userId: 'U0ALICE',
      channelId: 'C0DEPLOYS',
      actionId: 'deploy_confirm',
      value: forced.value,
      messageTs: '1.000001',
    });
    expect(byAlice).toEqual([
      'Only admins (`admins:` in tugboat.yml) can deploy past red CI with `--force`; ask one of them, or fix CI.',
    ]);
    expect(deployments()).toHaveLength(0);
    await click(h, {
      userId: 'U0ADMIN',
      channelId: 'C0DEPLOYS',
      actionId: 'deploy_confirm',
      value: forced.value,
      messageTs: '1.000001',
    });
    expect(deployments()).toHaveLength(1);
  });

  it('lets only the holder use a lock reminder’s Extend and Release, admins included', async () => {
    h = await startHarness({ backend });
    await command(h, 'U0ALICE', '/lock prod for 1h release train', 'C0DEPLOYS');
    h.clock.advance(51 * 60_000);
    await h.tugboat.jobs.find((j) => j.name === 'lock-sweep')!.run();
    const reminder = h.slackApi.callsTo('chat.postMessage').find((c) => c.args.channel === 'U0ALICE')!;
    const buttons = buttonsOf(reminder.args as { blocks?: unknown });
    const value = (actionId: string) => buttons.find((b) => b.action_id === actionId)!.value;

    for (const actionId of ['lock_extend', 'lock_release']) {
      const byBob = await click(h, {
        userId: 'U0BOB',
        channelId: 'C0DEPLOYS',
        actionId,
        value: value(actionId),
        messageTs: '1.000001',
      });
      expect(byBob).toEqual([
        expect.stringMatching(/locked by <@U0ALICE>, not you\. Ask them, or an admin, to release it\.$/),
      ]);
      const byAdmin = await click(h, {
        userId: 'U0ADMIN',
        channelId: 'C0DEPLOYS',
        actionId,
        value: value(actionId),
        messageTs: '1.000001',
      });
      expect(byAdmin).toEqual([
        expect.stringMatching(/locked by <@U0ALICE>, not you\. As an admin you can .*--force.*; it is announced\.$/),
      ]);
    }
    const [locks] = await command(h, 'U0BOB', '/locks');
    expect(locks).toContain('in 9m');
    const audit = await h.db.store.query<{ action: string }>('select action from lock_events order by id');
    expect(audit.map((a) => a.action)).toEqual(['acquired']);
  });
});
