import { afterEach, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.ts';
import { channelMessages, command, sha, threadOf } from '../helpers/deploys.ts';
import { storeBackends } from '../helpers/stores.ts';
import { freePort } from '../../src/fakes/http.ts';
import {
  check,
  incidentChannels,
  incidentConfig,
  runChecks,
  startIncidentHarness,
  startVersionedService,
  waitUntil,
  type VersionedService,
} from './helpers.ts';

const HOUR = 60 * 60_000;

describe.each(storeBackends)('incidents on $name', (backend) => {
  let h: Harness;
  let service: VersionedService;
  afterEach(async () => {
    await h?.stop();
    await service?.server.close();
    h = undefined!;
  });

  async function start(
    checks: (service: VersionedService) => string,
    options: Parameters<typeof incidentConfig>[2] = {},
  ) {
    service = await startVersionedService();
    h = await startIncidentHarness({ backend, configYaml: incidentConfig(service, checks(service), options) });
  }

  const health = (s: VersionedService) => check('health', `${s.origin}/health`);
  const deploy = (user: string, version: string) =>
    command(h, user, `/deploy api ${sha(version)} to production`, 'C0DEPLOYS');
  const messageText = (message: { text: string; blocks?: unknown[] }) =>
    `${message.text} ${JSON.stringify(message.blocks ?? [])}`;

  it('opens an incident after exactly N failures: channel, invites, topic, first message and a pointer in the environment channel', async () => {
    await start(health);
    await deploy('U0CAROL', 'v1');
    h.clock.advance(2 * HOUR);
    await deploy('U0BOB', 'v2');
    h.clock.advance(HOUR);
    service.down = true;

    await runChecks(h, 2);
    expect(incidentChannels(h)).toEqual([]);
    await runChecks(h, 1);

    const [channel] = incidentChannels(h);
    expect(channel.name).toBe('inc-20261122-api-production');
    // The owner, the invite list, and whoever deployed the service last.
    expect(channel.members).toEqual(expect.arrayContaining(['U0ALICE', 'U0ONCALL', 'U0BOB']));
    expect(channel.members).not.toContain('U0CAROL');
    expect(channel.topic.value).toContain('Failing: health');
    expect(channel.topic.value).toContain('Not acknowledged');

    const [first] = channelMessages(h, channel.id);
    const firstFailure = new Date('2026-11-22T13:00:00Z');
    expect(first.text).toContain('health since 2026-11-22T13:00:00.000Z: expected a 2xx status, got 503');
    // In mrkdwn a link's `&` is written `&amp;`, as Slack itself writes it; Slack decodes it when the link is opened.
    const logs = /<(https:\/\/logs\.example\.com[^|>]+)\|/
      .exec(JSON.stringify(first.blocks))![1]
      .replaceAll('&amp;', '&');
    const window = new URL(logs).searchParams;
    expect(window.get('from')).toBe(new Date(firstFailure.getTime() - 15 * 60_000).toISOString());
    expect(window.get('to')).toBe('2026-11-22T13:00:02.000Z');
    // Deploys in the two hours before the first failure, each with a Rollback button: v2, not v1.
    const blocks = JSON.stringify(first.blocks);
    expect(blocks).toContain(sha('v2').slice(0, 7));
    expect(blocks).not.toContain(sha('v1').slice(0, 7));
    expect(blocks).toContain('{\\"incident\\":1,\\"before\\":2}');
    expect(blocks).toMatch(/incident_acknowledge.*incident_rollback.*incident_resolve/);

    const pointer = channelMessages(h, 'C0DEPLOYS').at(-1)!;
    expect(pointer.text).toContain(`<#${channel.id}>`);

    // More failures do not open a second incident.
    await runChecks(h, 3);
    expect(incidentChannels(h)).toHaveLength(1);
  });

  it('recovers after exactly M passes, with the duration, in both channels', async () => {
    await start(health);
    service.down = true;
    await runChecks(h, 3);
    const [channel] = incidentChannels(h);
    h.clock.advance(4 * 60_000);
    service.down = false;
    await runChecks(h, 1);
    expect(
      channelMessages(h, channel.id)
        .map((m) => m.text)
        .join('\n'),
    ).not.toContain('recovered');
    await runChecks(h, 1);
    const said = channelMessages(h, channel.id)
      .map((m) => m.text)
      .join('\n');
    expect(said).toContain('health` passes again (failed for 4m 4s)');
    expect(said).toContain('recovered: every check passes again, 4m 4s after the first failure');
    expect(channelMessages(h, 'C0DEPLOYS').at(-1)!.text).toContain('recovered after 4m 4s');
    expect(h.slackApi.channel(channel.id)!.topic.value).toContain('Recovered, not yet resolved');
  });

  it('opens the channel a minute later when Slack would not create it at first', async () => {
    await start(health);
    h.slackApi.rateLimit({ method: 'conversations.create', retryAfterSeconds: 0, times: 6 });
    service.down = true;
    await runChecks(h, 3);
    expect(incidentChannels(h)).toEqual([]);
    await h.tugboat.incidents.retryChannels();
    expect(incidentChannels(h)).toEqual([]);
    h.clock.advance(60_000);
    await h.tugboat.incidents.retryChannels();
    const [channel] = incidentChannels(h);
    expect(channel.name).toBe('inc-20261122-api-production');
    expect(channelMessages(h, channel.id)[0].text).toContain('health since 2026-11-22T10:00:00.000Z');
    h.clock.advance(60_000);
    await h.tugboat.incidents.retryChannels();
    expect(incidentChannels(h)).toHaveLength(1);
  });

  it('adds a suffix when the channel name is taken', async () => {
    await start(health);
    h.slackApi.addChannel({ name: 'inc-20261122-api-production' });
    service.down = true;
    await runChecks(h, 3);
    expect(incidentChannels(h).map((c) => c.name)).toEqual([
      'inc-20261122-api-production',
      'inc-20261122-api-production-2',
    ]);
  });

  it('joins a second failing check of the service to the open incident, and counts a timeout as a failure', async () => {
    await start((s) => health(s) + check('search', `${s.origin}/slow`, '1s'));
    service.server.answer('/slow', 200, 'ok', 2_000);
    service.down = true;
    await runChecks(h, 3);
    const channels = incidentChannels(h);
    expect(channels).toHaveLength(1);
    const said = await waitUntil('the second check is told', () => {
      const text = channelMessages(h, channels[0].id).map(messageText).join('\n');
      return text.includes('Another check is failing too:\n• `search` since') && text;
    });
    expect(said).toContain('timed out after 1s');
    await waitUntil('the topic names both', () =>
      h.slackApi.channel(channels[0].id)!.topic.value.includes('Failing: health, search'),
    );
  });

  it('acknowledges once, refuses to resolve while failing unless confirmed, then posts the timeline and a post-mortem draft', async () => {
    await start(health);
    service.down = true;
    await runChecks(h, 3);
    const [channel] = incidentChannels(h);
    const first = channelMessages(h, channel.id)[0];
    const click = async (user: string, actionId: string, messageTs = first.ts) => {
      const sent = await h.slack.blockAction({ userId: user, channelId: channel.id, actionId, messageTs });
      expect(sent.status).toBe(200);
      await h.tugboat.settle();
      return h.slackApi.responses.filter((r) => sent.responseUrl.endsWith(r.id)).map((r) => String(r.body.text));
    };

    h.clock.advance(2 * 60_000);
    expect(await click('U0CAROL', 'incident_acknowledge')).toEqual([]);
    expect(h.slackApi.channel(channel.id)!.topic.value).toContain('Acknowledged by <@U0CAROL>');
    expect(await click('U0BOB', 'incident_acknowledge')).toEqual([
      expect.stringContaining('<@U0CAROL> already acknowledged'),
    ]);

    // Still failing 30 minutes on: said again in the environment's channel, once.
    h.clock.advance(30 * 60_000);
    await h.tugboat.incidents.remindStillFailing();
    await h.tugboat.incidents.remindStillFailing();
    expect(channelMessages(h, 'C0DEPLOYS').filter((m) => m.text.includes('still failing'))).toHaveLength(1);

    const refused = await click('U0CAROL', 'incident_resolve');
    expect(refused).toEqual([expect.stringContaining('These checks still fail: `health`. Resolve anyway?')]);
    const confirm = h.slackApi.ephemerals('U0CAROL').at(-1)!;
    await h.slack.blockAction({
      userId: 'U0CAROL',
      channelId: channel.id,
      actionId: 'incident_resolve_confirm',
      messageTs: confirm.ts,
    });
    await h.tugboat.settle();

    const summary = channelMessages(h, channel.id).at(-1)!;
    expect(summary.text).toContain('<@U0CAROL> resolved the incident');
    expect(summary.text).toMatch(/Time to alert: 2s · Time to acknowledge: 2m 3s · Time to resolve: 32m 3s/);
    expect(summary.text).toMatch(
      /First failure[\s\S]*Alert: incident opened[\s\S]*Acknowledged by <@U0CAROL>[\s\S]*Resolved by <@U0CAROL>/,
    );
    const draft = threadOf(h, channel.id, summary.ts)[0].text;
    expect(draft).toContain('# Post-mortem: api in production, 2026-11-22');
    expect(draft).toContain('| Acknowledged by <@U0CAROL> |');
    expect(channelMessages(h, 'C0DEPLOYS').at(-1)!.text).toContain('was resolved by <@U0CAROL>');

    // The timeline on demand, in the incident channel only.
    const [timeline] = await command(h, 'U0BOB', '/tugboat incident', channel.id);
    expect(timeline).toMatch(/Timeline of api in production\* \(resolved\)[\s\S]*Still failing after 30 minutes/);
    expect(await command(h, 'U0BOB', '/tugboat incident', 'C0DEPLOYS')).toEqual([
      expect.stringContaining('not an incident channel'),
    ]);

    // Fourteen days after resolution, the channel is offered for archiving, once.
    h.clock.advance(13 * 24 * HOUR);
    await h.tugboat.incidents.offerArchives();
    expect(channelMessages(h, channel.id).at(-1)!.text).not.toContain('Archive');
    h.clock.advance(24 * HOUR);
    await h.tugboat.incidents.offerArchives();
    await h.tugboat.incidents.offerArchives();
    const offers = channelMessages(h, channel.id).filter((m) => m.text.includes('Archive this channel?'));
    expect(offers).toHaveLength(1);
    await click('U0ALICE', 'incident_archive', offers[0].ts);
    expect(h.slackApi.channel(channel.id)!.is_archived).toBe(true);
  });

  it('rolls back from a recent deploy’s button to the previous good SHA, and says whether that fixed it', async () => {
    await start(health);
    await deploy('U0CAROL', 'v1');
    h.clock.advance(10 * 60_000);
    await deploy('U0BOB', 'v2');
    h.clock.advance(10 * 60_000);
    service.broken.add(sha('v2'));
    await runChecks(h, 3);
    const [channel] = incidentChannels(h);
    const first = channelMessages(h, channel.id)[0];

    const click = () =>
      h.slack.blockAction({
        userId: 'U0ALICE',
        channelId: channel.id,
        actionId: 'incident_rollback',
        messageTs: first.ts,
        value: JSON.stringify({ incident: 1, before: 2 }),
      });
    await click();
    await h.tugboat.settle();
    await waitUntil('the rollback is checked', () =>
      channelMessages(h, channel.id).find((m) => m.text.includes('Rollback #3 finished')),
    );

    expect(service.serving).toBe(sha('v1'));
    const said = channelMessages(h, channel.id)
      .map((m) => m.text)
      .join('\n');
    expect(said).toContain(`<@U0ALICE> is rolling api back to \`${sha('v1').slice(0, 7)}\` (rollback #3)`);
    expect(said).toContain('Rollback #3 finished and the checks pass now: the rollback fixed it.');
    // Announced in the environment's channel too, as every rollback is.
    expect(
      channelMessages(h, 'C0DEPLOYS')
        .map((m) => m.text)
        .join('\n'),
    ).toMatch(/rollback of \*api\* \(undoing #2\)/);

    // The same button again does nothing more.
    const again = await click();
    await h.tugboat.settle();
    expect(
      h.slackApi.responses.filter((r) => again.responseUrl.endsWith(r.id)).map((r) => String(r.body.text)),
    ).toEqual([expect.stringContaining('This button already started a rollback (#3')]);
    expect(service.serving).toBe(sha('v1'));
  });

  it('tells the incident channel when the rollback itself fails', async () => {
    await start(health);
    await deploy('U0CAROL', 'v1');
    await deploy('U0BOB', 'v2');
    service.broken.add(sha('v2'));
    service.undeployable.add(sha('v1'));
    await runChecks(h, 3);
    const [channel] = incidentChannels(h);
    await h.slack.blockAction({
      userId: 'U0ALICE',
      channelId: channel.id,
      actionId: 'incident_rollback',
      messageTs: channelMessages(h, channel.id)[0].ts,
    });
    await h.tugboat.settle();
    const failed = await waitUntil('the failure is told', () =>
      channelMessages(h, channel.id).find((m) => m.text.includes('Rollback #3 failed')),
    );
    expect(failed.text).toContain('`/rollback` tries again');
    expect(service.serving).toBe(sha('v2'));
  });

  it('with on_smoke_failure: rollback, rolls a deploy whose checks fail back by itself and locks the environment', async () => {
    await start(health, { onSmokeFailure: 'rollback' });
    await deploy('U0CAROL', 'v1');
    service.broken.add(sha('v2'));
    await deploy('U0BOB', 'v2');
    await waitUntil('the rollback is done', () => service.serving === sha('v1') && h.tugboat.settle().then(() => true));

    const announcement = channelMessages(h, 'C0DEPLOYS').find((m) => m.text.includes(sha('v2').slice(0, 7)))!;
    const reply = threadOf(h, 'C0DEPLOYS', announcement.ts).find((m) => m.text.includes('Smoke checks failed'))!;
    expect(reply.text).toContain('Rolled back automatically (rollback #3');
    expect(reply.text).toContain('*production* is locked by <@U0BOB> until someone runs `/unlock production`');
    expect(reply.blocks ?? []).toEqual([]);
    const [locks] = await command(h, 'U0CAROL', '/locks');
    expect(locks).toMatch(/production.*<@U0BOB>.*smoke checks failed after deploy #2/s);
    // The failure counted toward the alert rule like a scheduled one.
    const [{ count }] = await h.db.store.query<{ count: number }>(
      `select count(*)::int as count from smoke_results where not ok`,
    );
    expect(count).toBe(1);
  });

  it('with on_smoke_failure: off, only reports a failing post-deploy check', async () => {
    await start(health, { onSmokeFailure: 'off' });
    service.broken.add(sha('v1'));
    await deploy('U0BOB', 'v1');
    const [announcement] = channelMessages(h, 'C0DEPLOYS');
    const reply = threadOf(h, 'C0DEPLOYS', announcement.ts).find((m) => m.text.includes('Smoke checks failed'))!;
    expect(reply.blocks ?? []).toEqual([]);
    const [{ count }] = await h.db.store.query<{ count: number }>('select count(*)::int as count from deploys');
    expect(count).toBe(1);
    expect(service.serving).toBe(sha('v1'));
  });

  it('does not count failures while its canary fails too, and says once that monitoring is impaired', async () => {
    const unreachable = await freePort();
    await start(health, { canary: `http://127.0.0.1:${unreachable}/` });
    service.down = true;
    await runChecks(h, 5);
    expect(incidentChannels(h)).toEqual([]);
    const said = channelMessages(h, 'C0DEPLOYS').map((m) => m.text);
    expect(said.filter((text) => text.includes('monitoring itself is impaired'))).toEqual([
      expect.stringContaining('the canary failed too'),
    ]);
    const [status] = await command(h, 'U0BOB', '/tugboat status');
    expect(status).toContain('`health` inconclusive: monitoring impaired');
  });

  it('shows each check’s state and latency in /tugboat status', async () => {
    await start((s) => health(s) + check('search', `${s.origin}/search`));
    service.server.answer('/search', 500, 'nope');
    await runChecks(h, 3);
    const [status] = await command(h, 'U0BOB', '/tugboat status');
    expect(status).toMatch(
      /production: .*\n\s+checks: :large_green_circle: `health` \d+ ms \(.*\) · :red_circle: `search` alerting: expected a 2xx status, got 500/,
    );
    expect(status).toMatch(/staging: nothing deployed by tugboat yet\n/);
  });
});
