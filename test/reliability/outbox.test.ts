import { WebClient } from '@slack/web-api';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepNudges } from '../../src/jobs/reviews.ts';
import { Recipients, trackPullRequest } from '../../src/reviews/index.ts';
import { enqueue } from '../../src/slack/outbox.ts';
import type { PosterOptions } from '../../src/slack/poster.ts';
import { TestClock } from '../helpers/clock.ts';
import { SECRETS, startHarness, type Harness } from '../helpers/harness.ts';
import { pullRequestPayload, replies, REVIEW_CHANNEL, REVIEWS_TEST_CONFIG } from '../helpers/reviews.ts';
import { postgresBackend, storeBackends, type TestDatabase } from '../helpers/stores.ts';
import { addReviewPeople, REVIEWS_CONFIG, threadReplies, trackPull } from '../reviews/tracked.ts';

/** Retries and looks around in tenths of a second rather than production's seconds. */
const FAST: Partial<PosterOptions> = { retryBaseMs: 100, maxRetryDelayMs: 200, pollMs: 50, orphanedAfterMs: 300 };

let current: Harness | undefined;

/** Polls `condition`; on timeout, says what the outbox held, which is where a stuck message shows. */
async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      const rows = await current?.db.store.query(
        'select id, channel, method, status, attempts, error, next_attempt_at, now() as now from slack_outbox order by id',
      );
      throw new Error(`timed out waiting until ${what}; the outbox: ${JSON.stringify(rows)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Messages Slack accepted into a channel, as tugboat sent them, oldest first. */
const accepted = (h: Harness, channel: string, method = 'chat.postMessage') =>
  h.slackApi.callsTo(method).filter((call) => call.response.ok && call.args.channel === channel);
const texts = (h: Harness, channel: string) => accepted(h, channel).map((call) => String(call.args.text));

/** A slash command sent without waiting for tugboat to finish (it waits for Slack while Slack is down). */
async function send(h: Harness, userId: string, line: string, channelId: string) {
  const [name, ...rest] = line.split(' ');
  const sent = await h.slack.slashCommand({ command: name, text: rest.join(' '), userId, channelId });
  expect(sent.status).toBe(200);
  return sent;
}

const outboxRows = (h: Harness) =>
  h.db.store.query<{ status: string; method: string; attempts: number }>(
    'select status, method, attempts from slack_outbox order by id',
  );

for (const backend of storeBackends) {
  describe(`the Slack outbox on ${backend.name}`, () => {
    let h: Harness | undefined;
    let db: TestDatabase | undefined;
    afterEach(async () => {
      await h?.stop();
      await db?.close();
      h = db = undefined;
    });

    it('sends every message once, in order per channel, after Slack answered 500 for a while', async () => {
      h = current = await startHarness({ backend, poster: FAST });
      h.slackApi.startOutage({ status: 500 });
      await send(h, 'U0ALICE', '/lock staging first', 'C0STAGING');
      await waitUntil('Slack refused the first announcement', () => h!.slackApi.failed.length > 0);
      await send(h, 'U0ALICE', '/unlock staging', 'C0STAGING');
      await send(h, 'U0BOB', '/lock prod second', 'C0DEPLOYS');
      // Commands run after their ack: unlock only once the lock (and its announcement's row) exists.
      await waitUntil(
        'the production lock was announced into the outbox',
        async () => (await outboxRows(h!)).length >= 3,
      );
      await send(h, 'U0BOB', '/unlock prod', 'C0DEPLOYS');
      await waitUntil(
        'every message was refused at least twice',
        () => h!.slackApi.failed.filter((call) => call.method === 'chat.postMessage').length >= 4,
      );
      expect(h.slackApi.callsTo('chat.postMessage')).toEqual([]);

      h.slackApi.endOutage();
      await waitUntil('all four arrived', () => texts(h!, 'C0STAGING').length + texts(h!, 'C0DEPLOYS').length >= 4);
      await h.tugboat.settle();

      expect(texts(h, 'C0STAGING')).toEqual([
        expect.stringContaining('locked *staging*'),
        expect.stringContaining('released *staging*'),
      ]);
      expect(texts(h, 'C0DEPLOYS')).toEqual([
        expect.stringContaining('locked *production*'),
        expect.stringContaining('released *production*'),
      ]);
      expect(h.slackApi.callsTo('chat.postMessage')).toHaveLength(4);
      expect((await outboxRows(h)).map((row) => row.status)).toEqual(['sent', 'sent', 'sent', 'sent']);
    });

    it('waits out a 429’s Retry-After in that channel only', async () => {
      h = current = await startHarness({ backend, poster: FAST });
      h.slackApi.rateLimit({ method: 'chat.postMessage', channel: 'C0STAGING', retryAfterSeconds: 1 });
      await send(h, 'U0ALICE', '/lock staging', 'C0STAGING');
      await send(h, 'U0BOB', '/lock prod', 'C0DEPLOYS');
      await waitUntil('both arrived', () => texts(h!, 'C0STAGING').length === 1 && texts(h!, 'C0DEPLOYS').length === 1);

      const [refused] = h.slackApi.rateLimited;
      const [staging] = accepted(h, 'C0STAGING');
      const [production] = accepted(h, 'C0DEPLOYS');
      expect(staging.at - refused.at).toBeGreaterThanOrEqual(1000);
      expect(production.at - refused.at).toBeLessThan(1000);
      expect(h.slackApi.callsTo('chat.postMessage')).toHaveLength(2);
    });

    it('sends the rows of a process that died before sending them, once, and tells their owner the ts', async () => {
      db = await backend.open();
      const now = new Date('2026-11-20T15:00:00Z');
      const key = { repo: 'acme/api', number: 21 };
      await trackPullRequest(db.store, key, { service: 'api', channel: REVIEW_CHANNEL }, pullSnapshot(21, now), now);
      // What the dead process wrote: a root it had started sending, and a line it never tried.
      const root = await enqueue(db.store, {
        channel: REVIEW_CHANNEL,
        method: 'chat.postMessage',
        args: { channel: REVIEW_CHANNEL, text: 'the thread of acme/api#21' },
        onSent: { pullRequest: key },
      });
      await db.store.query(`update slack_outbox set status = 'sending', attempts = 1 where id = $1`, [root]);
      await enqueue(db.store, {
        channel: 'C0STAGING',
        method: 'chat.postMessage',
        args: { channel: 'C0STAGING', text: 'left behind' },
      });

      h = current = await startHarness({ backend, db, poster: FAST, configYaml: REVIEWS_TEST_CONFIG });
      await waitUntil(
        'both were sent by the new process',
        () => texts(h!, REVIEW_CHANNEL).length === 1 && texts(h!, 'C0STAGING').length === 1,
      );
      // Slack has them a moment before the database records them (the root now after a look for an earlier attempt).
      await waitUntil(
        'both were recorded as sent',
        async () => (await db!.store.query(`select 1 from slack_outbox where status = 'sent'`)).length === 2,
      );

      const [posted] = h.slackApi.messages(REVIEW_CHANNEL);
      expect(posted.text).toBe('the thread of acme/api#21');
      const [pr] = await db.store.query<{ thread_ts: string }>('select thread_ts from pull_requests where number = 21');
      expect(pr.thread_ts).toBe(posted.ts);
      expect(texts(h, 'C0STAGING')).toEqual(['left behind']);
      expect(h.logs.lines.some((line) => String(line.msg).includes('stopped mid-call'))).toBe(true);
    });

    it('does not post again what a replica killed after Slack took it had sent: finds it by its metadata and tells its owner the ts', async () => {
      db = await backend.open();
      const now = new Date('2026-11-20T15:00:00Z');
      const key = { repo: 'acme/api', number: 22 };
      await trackPullRequest(db.store, key, { service: 'api', channel: REVIEW_CHANNEL }, pullSnapshot(22, now), now);
      h = current = await startHarness({ backend, db, poster: FAST, configYaml: REVIEWS_TEST_CONFIG });
      const store = db.store;

      // What a replica killed (kill -9) right after Slack took its posts leaves: each post in Slack, with its row's id
      // in the metadata, and the row still `sending`, as startSending left it: an attempt started, its outcome unknown.
      const slack = new WebClient(SECRETS.botToken, { slackApiUrl: h.slackApi.url, retryConfig: { retries: 0 } });
      const deadReplicaPosts = async (args: { channel: string; text: string; thread_ts?: string }, onSent?: object) => {
        const [{ id }] = await store.query<{ id: string }>(`select nextval('slack_outbox_id_seq') as id`);
        const attemptStarted = new Date();
        const posted = await slack.chat.postMessage({
          ...args,
          metadata: { event_type: 'tugboat_outbox', event_payload: { row: Number(id) } },
        });
        await store.query(
          `insert into slack_outbox (id, channel, method, args, on_sent, status, attempts, first_attempt_at, maybe_in_slack)
           values ($1, $2, 'chat.postMessage', $3, $4, 'sending', 1, $5, true)`,
          [id, args.channel, JSON.stringify(args), onSent ? JSON.stringify(onSent) : null, attemptStarted],
        );
        return { id: Number(id), ts: posted.ts! };
      };
      const root = await deadReplicaPosts(
        { channel: REVIEW_CHANNEL, text: 'the thread of acme/api#22' },
        { pullRequest: key },
      );
      const reply = await deadReplicaPosts({ channel: REVIEW_CHANNEL, text: 'a review ping', thread_ts: root.ts });

      const rowsSent = async () => (await store.query(`select 1 from slack_outbox where status = 'sent'`)).length === 2;
      await waitUntil('a live replica settled both rows', rowsSent);
      await h.tugboat.settle();

      // One root and one reply in Slack, the two the dead replica sent: nothing posted again.
      expect(h.slackApi.messages(REVIEW_CHANNEL).map((message) => message.text)).toEqual(['the thread of acme/api#22']);
      expect(h.slackApi.thread(REVIEW_CHANNEL, root.ts).map((message) => message.text)).toEqual([
        'the thread of acme/api#22',
        'a review ping',
      ]);
      expect(accepted(h, REVIEW_CHANNEL)).toHaveLength(2);
      const sent = await store.query<{ id: string; result: { ts: string } }>(
        `select id, result from slack_outbox order by id`,
      );
      expect(sent.map((row) => [Number(row.id), row.result.ts])).toEqual([
        [root.id, root.ts],
        [reply.id, reply.ts],
      ]);
      const [pr] = await store.query<{ thread_ts: string }>('select thread_ts from pull_requests where number = 22');
      expect(pr.thread_ts).toBe(root.ts);
      expect(h.logs.lines.filter((line) => String(line.msg).includes('slack already had a post'))).toHaveLength(2);
      // The channel was looked in (tugboat posts there without being a member: it joined to read), the thread through its replies.
      expect(h.slackApi.callsTo('conversations.history').filter((call) => call.response.ok)).toHaveLength(1);
      expect(h.slackApi.callsTo('conversations.replies').filter((call) => call.response.ok)).toHaveLength(1);

      // A row never tried before is posted without a lookup, carrying its row id.
      const lookups = () => h!.slackApi.calls.filter((call) => call.method.startsWith('conversations.')).length;
      const before = lookups();
      const fresh = await enqueue(store, {
        channel: REVIEW_CHANNEL,
        method: 'chat.postMessage',
        args: { channel: REVIEW_CHANNEL, text: 'a fresh line' },
      });
      await waitUntil('the fresh line was posted', () => texts(h!, REVIEW_CHANNEL).includes('a fresh line'));
      expect(lookups()).toBe(before);
      expect(h.slackApi.messages(REVIEW_CHANNEL).at(-1)!.metadata).toEqual({
        event_type: 'tugboat_outbox',
        event_payload: { row: fresh },
      });
    });

    it('does not post again a message Slack took when its answer was lost (a dropped connection): looks first, records the ts it finds', async () => {
      h = current = await startHarness({ backend, poster: FAST });
      h.slackApi.startOutage({ method: 'chat.postMessage', channel: 'C0STAGING', dropAnswer: true, times: 1 });
      await send(h, 'U0ALICE', '/lock staging', 'C0STAGING');
      const staging = async () =>
        h!.db.store.query<{ status: string; attempts: number; result: { ts?: string } | null }>(
          `select status, attempts, result from slack_outbox where channel = 'C0STAGING'`,
        );
      await waitUntil('the announcement was recorded as sent', async () =>
        (await staging()).some((row) => row.status === 'sent'),
      );
      await h.tugboat.settle();

      const messages = h.slackApi.messages('C0STAGING');
      expect(messages.map((message) => message.text)).toEqual([expect.stringContaining('locked *staging*')]);
      expect(h.slackApi.failed.map((call) => call.status)).toEqual([0]);
      expect(accepted(h, 'C0STAGING')).toHaveLength(1);
      expect(await staging()).toEqual([
        { status: 'sent', attempts: 2, result: expect.objectContaining({ ts: messages[0].ts }) },
      ]);
      expect(h.slackApi.callsTo('conversations.history').filter((call) => call.response.ok)).toHaveLength(1);
    });

    it('posts again, with no lookup, a message Slack refused with a 500 (it took nothing)', async () => {
      h = current = await startHarness({ backend, poster: FAST });
      h.slackApi.startOutage({ method: 'chat.postMessage', channel: 'C0STAGING', status: 500, times: 1 });
      await send(h, 'U0ALICE', '/lock staging', 'C0STAGING');
      await waitUntil('the announcement arrived', () => texts(h!, 'C0STAGING').length === 1);
      await h.tugboat.settle();
      expect(h.slackApi.failed.map((call) => call.status)).toEqual([500]);
      expect(
        h.slackApi.calls.filter(
          (call) => call.method === 'conversations.history' || call.method === 'conversations.replies',
        ),
      ).toEqual([]);
    });

    it('coalesces the updates of one message made while Slack is down: one chat.update with the latest', async () => {
      h = current = await startHarness({
        backend,
        poster: FAST,
        configYaml: REVIEWS_CONFIG,
        clock: new TestClock(new Date('2026-11-18T15:00:00Z')),
      });
      addReviewPeople(h);
      const { threadTs } = await trackPull(h, {
        number: 5,
        reviewers: [{ login: 'bob', requestedAt: new Date('2026-11-18T10:00:00Z') }],
      });
      await sweepNudges(h.tugboat.deps, new Recipients(h.tugboat.deps));
      const [nudge] = threadReplies(h, threadTs);

      h.slackApi.startOutage({ method: 'chat.update' });
      await h.slack.blockAction({
        userId: 'U0BOB',
        channelId: 'C0REVIEWS',
        actionId: 'review_snooze:4h',
        messageTs: nudge.ts,
      });
      await waitUntil('the first snooze was refused', () => h!.slackApi.failed.length > 0);
      await h.slack.blockAction({
        userId: 'U0BOB',
        channelId: 'C0REVIEWS',
        actionId: 'review_snooze:next-business-day',
        messageTs: nudge.ts,
      });
      await waitUntil(
        'the second snooze is written',
        async () =>
          (await outboxRows(h!)).filter((row) => row.method === 'chat.update').length > 0 &&
          h!.slackApi.failed.length >= 2,
      );
      h.slackApi.endOutage();
      await waitUntil('the nudge shows a snooze', () => accepted(h!, 'C0REVIEWS', 'chat.update').length > 0);
      await h.tugboat.settle();

      const updates = accepted(h, 'C0REVIEWS', 'chat.update');
      expect(updates).toHaveLength(1);
      // The next business day opens Thursday 09:00 in New York; four hours from now would be today.
      expect(JSON.stringify(h.slackApi.message('C0REVIEWS', nudge.ts)!.blocks)).toContain(
        String(Date.parse('2026-11-19T14:00:00Z') / 1000),
      );
    });

    it('gives up on a channel Slack will not take messages into: a metric, a log line and a note to the admins, no retries', async () => {
      h = current = await startHarness({ backend, poster: FAST });
      h.slackApi.addUser({ id: 'U0ADMIN', name: 'admin' });
      h.slackApi.channel('C0STAGING')!.is_archived = true; // someone archived it
      await send(h, 'U0ALICE', '/lock staging', 'C0RANDOM');
      await waitUntil('the admin is told', () =>
        h!.slackApi.callsTo('chat.postMessage').some((call) => call.args.channel === 'U0ADMIN' && call.response.ok),
      );
      await h.tugboat.settle();
      await new Promise((resolve) => setTimeout(resolve, 500));

      expect(
        h.slackApi
          .callsTo('chat.postMessage')
          .filter((call) => call.args.channel === 'C0STAGING')
          .map((call) => call.response.error),
      ).toEqual(['is_archived']);
      const [note] = h.slackApi.messages('U0ADMIN');
      expect(note.text).toContain('could not post to <#C0STAGING> (`is_archived`)');
      expect(note.text).toContain('locked *staging*');
      expect(
        h.logs.lines.filter(
          (line) => line.level === 50 && line.channel === 'C0STAGING' && line.error === 'is_archived',
        ),
      ).toHaveLength(1);
      const metrics = await (await fetch(`${h.url}/metrics`, { headers: { connection: 'close' } })).text();
      expect(metrics).toContain('tugboat_slack_outbox_given_up_total{method="chat.postMessage",error="is_archived"} 1');

      // Another refusal within the hour is counted and logged, but the admins are not told again.
      await send(h, 'U0ALICE', '/unlock staging', 'C0RANDOM');
      await waitUntil(
        'the second refusal',
        () => h!.slackApi.callsTo('chat.postMessage').filter((call) => call.args.channel === 'C0STAGING').length === 2,
      );
      await h.tugboat.settle();
      expect(h.slackApi.messages('U0ADMIN')).toHaveLength(1);
    });

    it('keeps a review reply whose post Slack refused when it was due, and posts it later, once', async () => {
      h = current = await startHarness({ backend, poster: FAST, configYaml: REVIEWS_CONFIG });
      await h.github.deliver(
        'pull_request',
        pullRequestPayload('opened', { number: 8, author: 'octocat', reviewers: ['bob'] }),
      );
      await h.tugboat.settle();
      expect(replies(h)).toHaveLength(1);

      h.slackApi.startOutage({ method: 'chat.postMessage' });
      await h.github.deliver(
        'pull_request',
        pullRequestPayload('review_requested', { number: 8, reviewers: ['bob', 'dana'] }, { reviewer: 'dana' }),
      );
      await waitUntil('Slack refused the reply', () =>
        h!.slackApi.failed.some((call) => call.method === 'chat.postMessage'),
      );
      const unsent = await h.db.store.query(`select 1 from slack_outbox where status in ('pending', 'sending')`);
      expect(unsent).toHaveLength(1);
      expect(await h.db.store.query('select 1 from review_thread_notes')).toEqual([]);

      h.slackApi.endOutage();
      await waitUntil('the reply arrived', () => replies(h!).length === 2);
      await h.tugboat.settle();
      expect(replies(h)).toEqual([
        expect.stringContaining('<@U0BOB>'),
        ':eyes: *octocat* asked <@U0DANA> for a review.',
      ]);
      expect(accepted(h, REVIEW_CHANNEL).filter((call) => String(call.args.text).includes('U0DANA'))).toHaveLength(1);
    });
  });
}

describe.skipIf(!postgresBackend)('the Slack outbox across two replicas', () => {
  let replicas: Harness[] = [];
  let db: TestDatabase | undefined;
  afterEach(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    replicas = [];
    await db?.close();
  });

  it('keeps a channel while a Slack call hangs for longer than the lease: the other replica does not send the message again', async () => {
    db = await postgresBackend!.open();
    const poster = { ...FAST, leaseMs: 600 };
    const a = await startHarness({ backend: postgresBackend!, db, poster });
    const b = await startHarness({ backend: postgresBackend!, db: { ...db, store: await db.openAnother() }, poster });
    replicas = [a, b];
    for (const replica of replicas) replica.slackApi.startOutage({ method: 'chat.postMessage', hang: true });
    await send(a, 'U0ALICE', '/lock staging', 'C0STAGING');
    await waitUntil('Slack leaves the post hanging', () => a.slackApi.failed.length === 1);
    // Three leases go by while the call hangs, and the other replica looks for channels to send every 50 ms.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (const replica of replicas) replica.slackApi.endOutage();
    await waitUntil('the lock is announced', () => texts(a, 'C0STAGING').length + texts(b, 'C0STAGING').length > 0);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect([...texts(a, 'C0STAGING'), ...texts(b, 'C0STAGING')]).toEqual([expect.stringContaining('locked *staging*')]);
    expect(b.slackApi.failed).toEqual([]);
  }, 30_000);
});

function pullSnapshot(number: number, at: Date) {
  return {
    title: `Change ${number}`,
    url: `https://github.com/acme/api/pull/${number}`,
    author: 'octocat',
    state: 'open' as const,
    headSha: number.toString(16).padStart(40, '0'),
    additions: 1,
    deletions: 1,
    openedAt: at,
  };
}
