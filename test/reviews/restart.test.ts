import { afterEach, describe, expect, it } from 'vitest';
import type { Harness } from '../helpers/harness.ts';
import {
  deliver,
  pullRequestPayload,
  REVIEW_CHANNEL,
  reviewPayload,
  roots,
  startReviewHarness,
} from '../helpers/reviews.ts';
import { postgresBackend, type TestDatabase } from '../helpers/stores.ts';

const rootPosts = (h: Harness) => h.slackApi.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === undefined);
const replyTexts = (h: Harness) =>
  h.slackApi
    .callsTo('chat.postMessage')
    .filter((c) => c.args.thread_ts !== undefined)
    .map((c) => String(c.args.text));

describe.skipIf(!postgresBackend)('review threads across restarts and replicas, on PostgreSQL', () => {
  const backend = postgresBackend!;
  let db: TestDatabase;
  const harnesses: Harness[] = [];
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((h) => h.stop()));
    await db?.close();
  });

  it('continues the same thread after a restart', async () => {
    db = await backend.open();
    const first = await startReviewHarness({ backend, db });
    harnesses.push(first);
    await deliver(first, 'pull_request', pullRequestPayload('opened', { number: 30, reviewers: ['bob'] }));
    const [root] = roots(first);
    await first.stop();
    harnesses.pop();

    const second = await startReviewHarness({ backend, db });
    harnesses.push(second);
    await deliver(
      second,
      'pull_request_review',
      reviewPayload({ number: 30, reviewer: 'bob', state: 'approved', id: 3001 }),
    );

    expect(rootPosts(second)).toEqual([]);
    const [reply] = second.slackApi.callsTo('chat.postMessage');
    expect(reply.args).toMatchObject({ channel: REVIEW_CHANNEL, thread_ts: root.ts });
    expect(String(reply.args.text)).toContain(
      '*bob* <https://github.com/acme/api/pull/30#pullrequestreview-3001|approved> this, <@U0ALICE>.',
    );
    expect(second.slackApi.callsTo('chat.update')[0].args).toMatchObject({ channel: REVIEW_CHANNEL, ts: root.ts });
  });

  it('posts one root when two replicas get the first events of a pull request at once', async () => {
    db = await backend.open();
    const replicas = [
      await startReviewHarness({ backend, db, foldMs: 200 }),
      await startReviewHarness({ backend, db, foldMs: 200 }),
    ];
    harnesses.push(...replicas);
    await Promise.all(
      ['bob', 'carol'].map((reviewer, i) =>
        replicas[i].github.deliver(
          'pull_request',
          pullRequestPayload('review_requested', { number: 31, reviewers: ['bob', 'carol'] }, { reviewer }),
        ),
      ),
    );
    await Promise.all(replicas.map((h) => h.tugboat.settle()));

    expect(replicas.flatMap(rootPosts)).toHaveLength(1);
    const replies = replicas.flatMap(replyTexts).join('\n');
    expect(replies).toContain('<@U0BOB>');
    expect(replies).toContain('<@U0CAROL>');
    const [pr] = await db.store.query<{ thread_ts: string }>('select thread_ts from pull_requests where number = 31');
    expect(
      replicas
        .flatMap((h) => h.slackApi.callsTo('chat.postMessage'))
        .every((c) => (c.args.thread_ts ?? pr.thread_ts) === pr.thread_ts),
    ).toBe(true);
  });
});
