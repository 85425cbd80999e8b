import { afterEach, describe, expect, it } from 'vitest';
import { addNotes, claimRoot, keyOf, reviewRequested, trackPullRequest } from '../../src/reviews/index.ts';
import { flushOrphanedNotes } from '../../src/slack/review-threads.ts';
import type { Harness } from '../helpers/harness.ts';
import {
  deliver,
  pullRequestPayload,
  replies,
  reviewPayload,
  REVIEW_CHANNEL,
  roots,
  startReviewHarness,
} from '../helpers/reviews.ts';
import { storeBackends } from '../helpers/stores.ts';

for (const backend of storeBackends) {
  describe(`review threads on ${backend.name}`, () => {
    let h: Harness;
    afterEach(() => h?.stop());

    it('posts one root per pull request with reviewers, and pings them in its thread', async () => {
      h = await startReviewHarness({ backend });
      await deliver(
        h,
        'pull_request',
        pullRequestPayload('opened', {
          number: 7,
          title: 'Faster <builds> & tests',
          author: 'octocat',
          reviewers: ['bob', 'carol'],
          additions: 120,
          deletions: 45,
        }),
      );

      const [root] = roots(h);
      expect(root.text).toContain('*<https://github.com/acme/api/pull/7|Faster &lt;builds&gt; &amp; tests>* #7');
      expect(root.text).toContain('by <@U0ALICE> · +120 / −45 · :large_green_circle: Open');
      expect(root.text).toContain(
        '<@U0BOB> :hourglass_flowing_sand: requested · <@U0CAROL> :hourglass_flowing_sand: requested',
      );
      expect(replies(h)).toEqual(
        ['*octocat* asked <@U0BOB> and <@U0CAROL> for a review.'].map((line) => `:eyes: ${line}`),
      );
      expect(h.slackApi.messages('C0STAGING')).toEqual([]);
    });

    it('does not post for a pull request without reviewers, a repo without a review channel, or a repo of no service (logged once)', async () => {
      h = await startReviewHarness({ backend });
      await deliver(h, 'pull_request', pullRequestPayload('opened', { number: 1 }));
      await deliver(
        h,
        'pull_request',
        pullRequestPayload('opened', { number: 2, reviewers: ['bob'], repo: 'acme/web' }),
      );
      await deliver(
        h,
        'pull_request',
        pullRequestPayload('opened', { number: 3, reviewers: ['bob'], repo: 'someone/else' }),
      );
      await deliver(
        h,
        'pull_request',
        pullRequestPayload('review_requested', { number: 3, repo: 'someone/else' }, { reviewer: 'bob' }),
      );
      await deliver(h, 'pull_request_review', reviewPayload({ number: 1, reviewer: 'bob', state: 'approved', id: 1 }));

      expect(h.slackApi.callsTo('chat.postMessage')).toEqual([]);
      expect(
        h.logs.lines.filter((l) => l.repo === 'someone/else' && String(l.msg).includes('belongs to no service')),
      ).toHaveLength(1);
    });

    it('starts the thread on a review request and pings only the reviewer that event names', async () => {
      h = await startReviewHarness({ backend });
      // GitHub's payload lists everyone requested so far; carol's own event comes separately.
      await deliver(
        h,
        'pull_request',
        pullRequestPayload('review_requested', { number: 8, reviewers: ['bob', 'carol'] }, { reviewer: 'bob' }),
      );
      expect(roots(h)).toHaveLength(1);
      expect(replies(h)).toEqual([':eyes: *octocat* asked <@U0BOB> for a review.']);

      await deliver(
        h,
        'pull_request',
        pullRequestPayload('review_requested', { number: 8, reviewers: ['bob', 'carol'] }, { reviewer: 'carol' }),
      );
      expect(replies(h).at(-1)).toBe(':eyes: *octocat* asked <@U0CAROL> for a review.');
      expect(roots(h)[0].text).toContain(
        '<@U0BOB> :hourglass_flowing_sand: requested · <@U0CAROL> :hourglass_flowing_sand: requested',
      );
    });

    it('never posts twice for a redelivery or for the same fact delivered again', async () => {
      h = await startReviewHarness({ backend });
      const opened = pullRequestPayload('opened', { number: 9, reviewers: ['bob'] });
      await deliver(h, 'pull_request', opened, 'delivery-1');
      expect((await deliver(h, 'pull_request', opened, 'delivery-1')).status).toBe(200);
      await deliver(
        h,
        'pull_request',
        pullRequestPayload('review_requested', { number: 9, reviewers: ['bob'] }, { reviewer: 'bob' }),
      );
      const approval = reviewPayload({ number: 9, reviewer: 'bob', state: 'approved', id: 501 });
      await deliver(h, 'pull_request_review', approval, 'delivery-2');
      await deliver(h, 'pull_request_review', approval, 'delivery-3');
      await deliver(h, 'pull_request', pullRequestPayload('closed', { number: 9, merged: true }));
      await deliver(h, 'pull_request', pullRequestPayload('closed', { number: 9, merged: true }));

      expect(roots(h)).toHaveLength(1);
      expect(replies(h)).toEqual([
        ':eyes: *octocat* asked <@U0BOB> for a review.',
        ':white_check_mark: *bob* <https://github.com/acme/api/pull/9#pullrequestreview-501|approved> this, <@U0ALICE>.',
        ':purple_heart: *octocat* merged this.',
      ]);
    });

    it('folds ten review requests arriving at once into one root and one reply', async () => {
      h = await startReviewHarness({ backend, foldMs: 400 });
      const reviewers = Array.from({ length: 10 }, (_, i) => `dev${i}`);
      await Promise.all(
        reviewers.map((reviewer) =>
          h.github.deliver(
            'pull_request',
            pullRequestPayload('review_requested', { number: 10, reviewers }, { reviewer }),
          ),
        ),
      );
      await h.tugboat.settle();

      expect(roots(h)).toHaveLength(1);
      const [reply, ...more] = replies(h);
      expect(more).toEqual([]);
      expect(reply).toMatch(/^:eyes: \*octocat\* asked (@dev\d, ){8}@dev\d and @dev\d for a review\./);
      for (const reviewer of reviewers) expect(reply).toContain(`@${reviewer}`);
      expect(h.slackApi.callsTo('chat.postMessage')).toHaveLength(2);
    });

    it('reports verdicts, pings the author for approvals and change requests only, and ignores the author’s own reviews', async () => {
      h = await startReviewHarness({ backend });
      await deliver(
        h,
        'pull_request',
        pullRequestPayload('opened', { number: 11, author: 'octocat', reviewers: ['bob', 'carol'] }),
      );
      await deliver(
        h,
        'pull_request_review',
        reviewPayload({ number: 11, reviewer: 'bob', state: 'changes_requested', id: 601 }),
      );
      await deliver(
        h,
        'pull_request_review',
        reviewPayload({ number: 11, reviewer: 'carol', state: 'approved', id: 602 }),
      );
      await deliver(
        h,
        'pull_request_review',
        reviewPayload({ number: 11, reviewer: 'dana', state: 'commented', id: 603 }),
      );
      await deliver(
        h,
        'pull_request_review',
        reviewPayload({ number: 11, reviewer: 'octocat', state: 'commented', id: 604 }),
      );

      expect(replies(h).slice(1)).toEqual([
        ':raised_hand: *bob* <https://github.com/acme/api/pull/11#pullrequestreview-601|asked for changes>, <@U0ALICE>.',
        ':white_check_mark: *carol* <https://github.com/acme/api/pull/11#pullrequestreview-602|approved> this, <@U0ALICE>.',
        ':speech_balloon: *dana* <https://github.com/acme/api/pull/11#pullrequestreview-603|commented>.\n' +
          ':bulb: @dana is not linked to a Slack user yet. If that is you, run `/tugboat link dana` so tugboat can mention you.',
      ]);
      expect(roots(h)[0].text).toContain(
        '<@U0BOB> :raised_hand: changes requested · <@U0CAROL> :white_check_mark: approved · @dana :speech_balloon: commented',
      );
      const owes = await h.db.store.query('select 1 from pull_request_author_nudges where repo = $1 and number = 11', [
        'acme/api',
      ]);
      expect(owes).toHaveLength(1);
    });

    it('tells a reviewer who asked for changes about new commits once per review, and updates the size', async () => {
      h = await startReviewHarness({ backend });
      await deliver(h, 'pull_request', pullRequestPayload('opened', { number: 12, reviewers: ['bob'] }));
      await deliver(h, 'pull_request', pullRequestPayload('synchronize', { number: 12, additions: 13 }));
      await deliver(
        h,
        'pull_request_review',
        reviewPayload({ number: 12, reviewer: 'bob', state: 'changes_requested', id: 701 }),
      );
      for (let push = 0; push < 3; push++)
        await deliver(h, 'pull_request', pullRequestPayload('synchronize', { number: 12, additions: 20 + push }));
      await deliver(
        h,
        'pull_request_review',
        reviewPayload({ number: 12, reviewer: 'bob', state: 'changes_requested', id: 702 }),
      );
      await deliver(h, 'pull_request', pullRequestPayload('synchronize', { number: 12, additions: 30 }));

      const told = replies(h).filter((r) => r.includes('pushed new commits'));
      expect(told).toEqual([
        ':arrows_clockwise: *octocat* pushed new commits since <@U0BOB> asked for changes.',
        ':arrows_clockwise: *octocat* pushed new commits since <@U0BOB> asked for changes.',
      ]);
      expect(replies(h)).toHaveLength(5);
      expect(roots(h)[0].text).toContain('+30 / −3');
    });

    it('follows the pull request through draft, ready, a withdrawn request and a close, updating the root in place', async () => {
      h = await startReviewHarness({ backend });
      await deliver(h, 'pull_request', pullRequestPayload('opened', { number: 13, reviewers: ['bob', 'carol'] }));
      await deliver(h, 'pull_request', pullRequestPayload('converted_to_draft', { number: 13, draft: true }));
      expect(roots(h)[0].text).toContain(':construction: Draft');
      await deliver(h, 'pull_request', pullRequestPayload('ready_for_review', { number: 13 }));
      await deliver(
        h,
        'pull_request',
        pullRequestPayload('review_request_removed', { number: 13, sender: 'octocat' }, { reviewer: 'carol' }),
      );
      await deliver(h, 'pull_request', pullRequestPayload('closed', { number: 13, merged: false }));

      expect(replies(h).slice(1)).toEqual([
        ':construction: *octocat* turned this back into a draft; nudges pause until it is ready.',
        ':rocket: *octocat* marked this ready for review. Over to you, <@U0BOB> and <@U0CAROL>.',
        ':heavy_minus_sign: *octocat* withdrew the review request for *carol*.',
        ':no_entry_sign: *octocat* closed this without merging.',
      ]);
      const [root] = roots(h);
      expect(root.text).toContain(':no_entry_sign: Closed');
      expect(root.text).not.toContain('U0CAROL');
      expect(h.slackApi.callsTo('chat.update').every((c) => c.args.ts === root.ts)).toBe(true);
    });

    it('shows an unmapped login as @login with a one-time hint per thread to run /tugboat link', async () => {
      h = await startReviewHarness({ backend });
      await deliver(h, 'pull_request', pullRequestPayload('opened', { number: 14, author: 'zed', reviewers: ['bob'] }));
      await deliver(
        h,
        'pull_request',
        pullRequestPayload('review_requested', { number: 14, author: 'zed', sender: 'zed' }, { reviewer: 'yuki' }),
      );
      await deliver(
        h,
        'pull_request_review',
        reviewPayload({ number: 14, reviewer: 'bob', state: 'approved', id: 801, author: 'zed' }),
      );

      const [root] = roots(h);
      expect(root.text).toContain('by @zed');
      expect(root.text).not.toMatch(/<@zed|<@yuki/);
      expect(replies(h)).toEqual([
        ':eyes: *zed* asked <@U0BOB> for a review.\n' +
          ':bulb: @zed is not linked to a Slack user yet. If that is you, run `/tugboat link zed` so tugboat can mention you.',
        ':eyes: *zed* asked @yuki for a review.\n' +
          ':bulb: @yuki is not linked to a Slack user yet. If that is you, run `/tugboat link yuki` so tugboat can mention you.',
        ':white_check_mark: *bob* <https://github.com/acme/api/pull/14#pullrequestreview-801|approved> this, @zed.',
      ]);
    });

    it('shows a requested team as @org/team when none of its members can be mentioned', async () => {
      h = await startReviewHarness({ backend });
      await deliver(h, 'pull_request', pullRequestPayload('review_requested', { number: 15 }, { team: 'platform' }));
      expect(replies(h)).toEqual([':eyes: *octocat* asked @acme/platform for a review.']);
      expect(roots(h)[0].text).toContain('@acme/platform :hourglass_flowing_sand: requested');
      expect(
        h.slackApi.thread(REVIEW_CHANNEL, roots(h)[0].ts).some((m) => String(m.text).includes('/tugboat link')),
      ).toBe(false);
    });

    it('posts, from the periodic flush, what a process that died had claimed and written but not posted', async () => {
      h = await startReviewHarness({ backend });
      const { store } = h.tugboat.deps;
      const key = keyOf('acme/api', 16);
      const snapshot = {
        title: 'Orphaned',
        url: 'https://github.com/acme/api/pull/16',
        author: 'octocat',
        state: 'open' as const,
        additions: 1,
        deletions: 1,
        headSha: null,
        openedAt: h.clock.now(),
      };
      await trackPullRequest(store, key, { service: 'api', channel: REVIEW_CHANNEL }, snapshot, h.clock.now());
      await addNotes(store, key, await reviewRequested(store, key, 'octocat', 'bob', h.clock.now()), h.clock.now());
      expect(await claimRoot(store, key, h.clock.now(), 60_000)).toBe(true);

      h.clock.advance(20_000);
      await flushOrphanedNotes(h.tugboat.deps);
      expect(h.slackApi.callsTo('chat.postMessage')).toEqual([]);

      h.clock.advance(10 * 60_000);
      await flushOrphanedNotes(h.tugboat.deps);
      expect(roots(h)).toHaveLength(1);
      expect(replies(h)).toEqual([':eyes: *octocat* asked <@U0BOB> for a review.']);
      await flushOrphanedNotes(h.tugboat.deps);
      expect(h.slackApi.callsTo('chat.postMessage')).toHaveLength(2);
    });
  });
}
