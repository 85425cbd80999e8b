import { afterEach, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.ts';
import { storeBackends } from '../helpers/stores.ts';
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

const CHECKS = 20;
const SECONDS = 6;
/** What Slack allows into one channel; the poster's production spacing. */
const ONE_PER_SECOND = { minIntervalMs: 1000 };
/** Timers may fire a few milliseconds early; anything this close to a second is one per second. */
const SLACK_MS = 30;

describe('failures streaming into an incident channel', () => {
  let h: Harness;
  let service: VersionedService;
  afterEach(async () => {
    await h?.stop();
    await service?.server.close();
  });

  it(`folds ${CHECKS} checks failing every second into one message per check per minute, at most one call a second, losing nothing`, async () => {
    service = await startVersionedService();
    const checks = Array.from({ length: CHECKS }, (_, index) => check(`c${index}`, `${service.origin}/health`)).join(
      '',
    );
    h = await startIncidentHarness({
      backend: storeBackends[0],
      configYaml: incidentConfig(service, checks),
      poster: ONE_PER_SECOND,
    });
    service.down = true;

    await runChecks(h, 3);
    const [channel] = incidentChannels(h);
    // Every second, every check fails again, while the channel is still being posted to.
    for (let second = 0; second < SECONDS; second++) {
      const started = Date.now();
      await runChecks(h, 1);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 1000 - (Date.now() - started))));
    }

    const intoChannel = h.slackApi.calls.filter(
      (call) => call.args.channel === channel.id && call.method !== 'conversations.invite',
    );
    const gaps = intoChannel.slice(1).map((call, index) => call.at - intoChannel[index].at);
    expect(intoChannel.length).toBeGreaterThan(SECONDS - 1);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000 - SLACK_MS);

    // Folded: the 19 checks that joined are told in one message, and each check's failures of this minute go to one message.
    const messages = h.slackApi.messages(channel.id);
    expect(messages.filter((m) => m.text.includes('failing too')).map((m) => m.text.split('\n')[0])).toEqual([
      ':red_circle: 19 more checks are failing too:',
    ]);
    const streamed = messages.filter((m) => m.text.startsWith(':x:'));
    expect(new Set(streamed.map((m) => /`(c\d+)`/.exec(m.text)![1])).size).toBe(streamed.length);

    // Nothing is lost from the database, whatever Slack has been shown so far.
    const [{ failures }] = await h.db.store.query<{ failures: number }>(
      'select coalesce(sum(failures), 0)::int as failures from incident_stream',
    );
    expect(failures).toBe(CHECKS * SECONDS);

    // Given time, the messages catch up with the rows: every check's count, updated in place.
    await waitUntil(
      'every check has its message with the full count',
      () =>
        h.slackApi.messages(channel.id).filter((m) => m.text.includes(`${SECONDS} failures in the minute`)).length ===
        CHECKS,
      40_000,
    );
  }, 60_000);
});
