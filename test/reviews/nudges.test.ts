import { afterEach, describe, expect, it } from 'vitest';
import { cronForInterval } from '../../src/jobs/cron-interval.ts';
import { sweepNudges } from '../../src/jobs/reviews.ts';
import { isBusinessTime, nextBusinessDayStart, Recipients } from '../../src/reviews/index.ts';
import type { SlackMessage } from '../../src/fakes/slack-api.ts';
import { TestClock } from '../helpers/clock.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { storeBackends } from '../helpers/stores.ts';
import { REVIEWS_CONFIG, addReviewPeople, threadReplies, trackPull } from './tracked.ts';
import { answersTo } from '../helpers/deploys.ts';

const HOUR = 3_600_000;
const hoursBefore = (date: Date, hours: number) => new Date(date.getTime() - hours * HOUR);
const businessTime = {
  business_hours: '09:00-18:00',
  business_days: ['mon', 'tue', 'wed', 'thu', 'fri'] as Array<'mon' | 'tue' | 'wed' | 'thu' | 'fri'>,
};

describe('cronForInterval', () => {
  it('turns intervals that divide a minute, an hour or a day into node-cron schedules', () => {
    expect(cronForInterval(30_000)).toBe('*/30 * * * * *');
    expect(cronForInterval(60_000)).toBe('0 * * * * *');
    expect(cronForInterval(5 * 60_000)).toBe('0 */5 * * * *');
    expect(cronForInterval(HOUR)).toBe('0 0 * * * *');
    expect(cronForInterval(6 * HOUR)).toBe('0 0 */6 * * *');
    expect(cronForInterval(24 * HOUR)).toBe('0 0 0 * * *');
  });

  it('refuses intervals cron cannot repeat evenly', () => {
    for (const ms of [500, 45_000, 7 * 60_000, 90 * 60_000, 5 * HOUR, 48 * HOUR]) {
      expect(() => cronForInterval(ms)).toThrow(/cannot run every .* on a cron schedule/);
    }
  });
});

describe('business hours', () => {
  it('reads the wall clock of the zone given, weekends excluded', () => {
    const wednesday15utc = new Date('2026-11-18T15:00:00Z');
    expect(isBusinessTime(wednesday15utc, 'America/New_York', businessTime)).toBe(true); // 10:00
    expect(isBusinessTime(wednesday15utc, 'Asia/Tokyo', businessTime)).toBe(false); // 00:00 Thursday
    expect(isBusinessTime(new Date('2026-11-21T15:00:00Z'), 'America/New_York', businessTime)).toBe(false); // Saturday
    expect(isBusinessTime(new Date('2026-11-18T23:00:00Z'), 'America/New_York', businessTime)).toBe(false); // 18:00, closed
  });

  it('finds the opening of the next business day, over a weekend and in the zone given', () => {
    const friday = new Date('2026-11-20T21:00:00Z'); // 16:00 in New York, 06:00 Saturday in Tokyo
    expect(nextBusinessDayStart(friday, 'America/New_York', businessTime)).toEqual(new Date('2026-11-23T14:00:00Z'));
    expect(nextBusinessDayStart(friday, 'Asia/Tokyo', businessTime)).toEqual(new Date('2026-11-23T00:00:00Z'));
  });
});

for (const backend of storeBackends) {
  describe(`review nudges on ${backend.name}`, () => {
    let h: Harness;
    afterEach(async () => {
      const refused = h?.slackApi.calls.filter((c) => !c.response.ok && c.method !== 'users.info') ?? [];
      await h?.stop();
      expect(refused.map((c) => `${c.method}: ${String(c.response.error)}`)).toEqual([]);
    });

    /** Wednesday 10:00 in New York. */
    async function start(at = new Date('2026-11-18T15:00:00Z')) {
      h = await startHarness({ backend, configYaml: REVIEWS_CONFIG, clock: new TestClock(at) });
      addReviewPeople(h);
      const recipients = new Recipients(h.tugboat.deps);
      return { sweep: () => sweepNudges(h.tugboat.deps, recipients) };
    }

    it('nudges a reviewer in the thread once the request is older than nudge_after, then at most every nudge_every', async () => {
      const { sweep } = await start();
      const { threadTs, url } = await trackPull(h, {
        number: 12,
        title: 'Parse <tags> & more',
        reviewers: [{ login: 'bob', requestedAt: hoursBefore(h.clock.now(), 3) }],
      });
      await sweep();
      expect(threadReplies(h, threadTs)).toEqual([]);

      h.clock.advance(HOUR);
      await sweep();
      const [nudge] = threadReplies(h, threadTs);
      expect(nudge.text).toContain('<@U0BOB>');
      expect(nudge.text).toContain(
        `*<${url}|acme/api#12>* Parse &lt;tags&gt; &amp; more has been waiting 4h for your review`,
      );
      expect(nudgeButtons(nudge)).toEqual(['review_snooze:1h', 'review_snooze:4h', 'review_snooze:next-business-day']);

      await sweep();
      h.clock.advance(23 * HOUR);
      await sweep();
      expect(threadReplies(h, threadTs)).toHaveLength(1);

      h.clock.advance(HOUR);
      await sweep();
      expect(threadReplies(h, threadTs).map((m) => m.text)).toEqual([
        expect.any(String),
        expect.stringContaining('has been waiting 1d 4h for your review'),
      ]);
    });

    it('waits for business hours on each reviewer’s own clock: Slack’s time zone, else the config’s', async () => {
      const { sweep } = await start(new Date('2026-11-18T13:00:00Z'));
      const requestedAt = hoursBefore(h.clock.now(), 5);
      const bob = await trackPull(h, { number: 1, reviewers: [{ login: 'bob', requestedAt }] });
      const kenji = await trackPull(h, { number: 2, reviewers: [{ login: 'kenji', requestedAt }] });
      const carol = await trackPull(h, { number: 3, reviewers: [{ login: 'carol', requestedAt }] });
      const nudged = () => [bob, kenji, carol].map((pull) => threadReplies(h, pull.threadTs).length);

      await sweep(); // 08:00 in New York, 22:00 in Tokyo
      expect(nudged()).toEqual([0, 0, 0]);
      h.clock.advance(HOUR); // 09:00 in New York
      await sweep();
      expect(nudged()).toEqual([1, 0, 1]);
      h.clock.current = new Date('2026-11-19T00:00:00Z'); // 19:00 Wednesday in New York, 09:00 Thursday in Tokyo
      await sweep();
      expect(nudged()).toEqual([1, 1, 1]);
      expect(threadReplies(h, kenji.threadTs)[0].text).toContain('<@U0KENJI>');
    });

    it('skips the weekend, and counts the wait on the wall clock', async () => {
      const { sweep } = await start(new Date('2026-11-20T20:00:00Z')); // Friday 15:00 in New York
      const { threadTs } = await trackPull(h, { number: 7, reviewers: [{ login: 'bob', requestedAt: h.clock.now() }] });
      for (const at of [
        '2026-11-20T23:30:00Z',
        '2026-11-21T15:00:00Z',
        '2026-11-22T18:00:00Z',
        '2026-11-23T13:59:00Z',
      ]) {
        h.clock.current = new Date(at);
        await sweep();
      }
      expect(threadReplies(h, threadTs)).toEqual([]);
      h.clock.current = new Date('2026-11-23T14:00:00Z'); // Monday 09:00
      await sweep();
      expect(threadReplies(h, threadTs).map((m) => m.text)).toEqual([
        expect.stringContaining('has been waiting 2d 18h for your review'),
      ]);
    });

    it('stops once the reviewer reviews, the request is removed, the PR turns draft or closes, and never nudges a team', async () => {
      const { sweep } = await start();
      const requestedAt = hoursBefore(h.clock.now(), 5);
      const pulls = await Promise.all(
        [1, 2, 3, 4, 5, 6].map((number) => trackPull(h, { number, reviewers: [{ login: 'bob', requestedAt }] })),
      );
      const { store } = h.tugboat.deps;
      await store.query(`update pull_request_reviewers set state = 'approved' where number = 1`);
      await store.query(`update pull_request_reviewers set state = 'removed' where number = 2`);
      await store.query(`update pull_requests set state = 'draft' where number = 3`);
      await store.query(`update pull_requests set state = 'merged' where number = 4`);
      await store.query(`update pull_request_reviewers set reviewer = 'acme/core' where number = 5`);
      await sweep();
      expect(pulls.map((pull) => threadReplies(h, pull.threadTs).length)).toEqual([0, 0, 0, 0, 0, 1]);
    });

    it('nudges the author, and not the reviewers, while the author owes changes', async () => {
      const { sweep } = await start();
      const { threadTs } = await trackPull(h, {
        number: 9,
        reviewers: [
          { login: 'bob', state: 'changes_requested', requestedAt: hoursBefore(h.clock.now(), 30) },
          { login: 'dana', requestedAt: hoursBefore(h.clock.now(), 30) },
        ],
        authorOwesSince: hoursBefore(h.clock.now(), 5),
      });
      await sweep();
      const [nudge] = threadReplies(h, threadTs);
      expect(nudge.text).toContain('<@U0ALICE>');
      expect(nudge.text).toContain('has been waiting 5h for your changes');
      expect(threadReplies(h, threadTs)).toHaveLength(1);

      await h.tugboat.deps.store.query('delete from pull_request_author_nudges where number = 9');
      await sweep();
      expect(threadReplies(h, threadTs).at(-1)!.text).toContain('<@U0DANA>');
      expect(threadReplies(h, threadTs)).toHaveLength(2);
    });

    it('names an unmapped reviewer as @login with the hint to link', async () => {
      const { sweep } = await start();
      const { threadTs } = await trackPull(h, {
        number: 4,
        reviewers: [{ login: 'zed', requestedAt: hoursBefore(h.clock.now(), 4) }],
      });
      await sweep();
      const [nudge] = threadReplies(h, threadTs);
      expect(nudge.text).toContain('@zed, ');
      expect(nudge.text).toContain('`/tugboat link zed`');
      expect(nudge.text).not.toContain('<@');
    });

    it('lets only the nudged reviewer snooze, replaces the buttons, and nudges again when the snooze ends', async () => {
      const { sweep } = await start();
      const { threadTs } = await trackPull(h, {
        number: 5,
        reviewers: [{ login: 'bob', requestedAt: hoursBefore(h.clock.now(), 4) }],
      });
      await sweep();
      const [nudge] = threadReplies(h, threadTs);

      const refusals = await click(h, 'U0KENJI', nudge, 'review_snooze:4h');
      expect(refusals).toEqual([expect.stringContaining('Only @bob can snooze this nudge')]);
      expect(nudgeButtons(h.slackApi.message('C0REVIEWS', nudge.ts)!)).toHaveLength(3);

      expect(await click(h, 'U0BOB', nudge, 'review_snooze:4h')).toEqual([]);
      const snoozed = h.slackApi.message('C0REVIEWS', nudge.ts)!;
      expect(nudgeButtons(snoozed)).toEqual([]);
      expect(JSON.stringify(snoozed.blocks)).toContain(':zzz: Snoozed until <!date^');

      h.clock.current = new Date('2026-11-18T18:59:00Z'); // 13:59 in New York: a minute short of the snooze's end
      await sweep();
      expect(threadReplies(h, threadTs)).toHaveLength(1);
      h.clock.advance(60_000); // the snooze ends, long before nudge_every
      await sweep();
      expect(threadReplies(h, threadTs).map((m) => m.text)).toEqual([
        expect.any(String),
        expect.stringContaining('has been waiting 8h'),
      ]);
    });

    it('snoozes until the next business day opens where the reviewer is', async () => {
      const { sweep } = await start(new Date('2026-11-20T21:00:00Z')); // Friday 16:00 in New York
      const { threadTs } = await trackPull(h, {
        number: 6,
        reviewers: [{ login: 'bob', requestedAt: hoursBefore(h.clock.now(), 6) }],
      });
      await sweep();
      const [nudge] = threadReplies(h, threadTs);
      await click(h, 'U0BOB', nudge, 'review_snooze:next-business-day');
      const [row] = await h.tugboat.deps.store.query<{ snoozed_until: Date }>(
        'select snoozed_until from pull_request_reviewers where number = 6',
      );
      expect(new Date(row.snoozed_until)).toEqual(new Date('2026-11-23T14:00:00Z'));
    });

    it('says there is nothing to snooze once the reviewer has reviewed', async () => {
      const { sweep } = await start();
      const { threadTs } = await trackPull(h, {
        number: 8,
        reviewers: [{ login: 'bob', requestedAt: hoursBefore(h.clock.now(), 4) }],
      });
      await sweep();
      await h.tugboat.deps.store.query(`update pull_request_reviewers set state = 'approved'`);
      expect(await click(h, 'U0BOB', threadReplies(h, threadTs)[0], 'review_snooze:1h')).toEqual([
        expect.stringContaining('Nothing to snooze'),
      ]);
    });

    it('nudges once when two sweeps run at the same time', async () => {
      const { sweep } = await start();
      const requestedAt = hoursBefore(h.clock.now(), 5);
      const pulls = await Promise.all(
        [1, 2, 3].map((number) => trackPull(h, { number, reviewers: [{ login: 'bob', requestedAt }] })),
      );
      const otherStore = backend.name === 'postgres' ? await h.db.openAnother() : h.tugboat.deps.store;
      const otherReplica = { ...h.tugboat.deps, store: otherStore };
      await Promise.all([sweep(), sweepNudges(otherReplica, new Recipients(otherReplica)), sweep()]);
      expect(pulls.map((pull) => threadReplies(h, pull.threadTs).length)).toEqual([1, 1, 1]);
    });
  });
}

function nudgeButtons(message: SlackMessage): string[] {
  const actions = (message.blocks ?? []) as Array<{ type: string; elements?: Array<{ action_id: string }> }>;
  return actions
    .filter((block) => block.type === 'actions')
    .flatMap((block) => block.elements!.map((element) => element.action_id));
}

/** Clicks a Snooze button of a nudge as `userId`, over HTTP as Slack sends it; returns the answers to the click. */
async function click(h: Harness, userId: string, nudge: SlackMessage, actionId: string): Promise<string[]> {
  const sent = await h.slack.blockAction({ userId, channelId: 'C0REVIEWS', actionId, messageTs: nudge.ts });
  await h.tugboat.settle();
  return answersTo(h, sent.responseUrl);
}
