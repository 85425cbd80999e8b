import { afterEach, describe, expect, it } from 'vitest';
import { readyForReviewLogins, saysResolved } from '../../src/reviews/index.ts';
import type { Harness } from '../helpers/harness.ts';
import {
  commentPayload,
  deliver,
  pullRequestPayload,
  REPO,
  replies,
  reviewPayload,
  roots,
  startReviewHarness,
} from '../helpers/reviews.ts';
import { storeBackends } from '../helpers/stores.ts';

describe('ready for review comments', () => {
  it('finds the logins asked, at the start of a line or after punctuation, in any case', () => {
    expect(readyForReviewLogins('Ready for review @bob @carol')).toEqual(['bob', 'carol']);
    expect(readyForReviewLogins('Fixed the tests.\nready for review @bob, @carol and @dana-x')).toEqual([
      'bob',
      'carol',
      'dana-x',
    ]);
    expect(readyForReviewLogins('Done! READY FOR REVIEW @Bob')).toEqual(['Bob']);
    expect(readyForReviewLogins('- ready for review @bob\n- ready for review @BOB @carol')).toEqual(['bob', 'carol']);
  });

  it('ignores mentions that do not ask for review', () => {
    expect(readyForReviewLogins('this is not ready for review @bob')).toEqual([]);
    expect(readyForReviewLogins('ready for review')).toEqual([]);
    expect(readyForReviewLogins('Looks good @bob')).toEqual([]);
    expect(readyForReviewLogins('ready for review @acme/platform')).toEqual([]);
    expect(readyForReviewLogins('ready for review bob@example.com')).toEqual([]);
  });

  it('knows a comment that is, or begins with, resolved', () => {
    expect(saysResolved('resolved')).toBe(true);
    expect(saysResolved('  Resolved, thanks for the review')).toBe(true);
    expect(saysResolved('RESOLVED')).toBe(true);
    expect(saysResolved('not resolved yet')).toBe(false);
    expect(saysResolved('resolvedness')).toBe(false);
  });
});

for (const backend of storeBackends) {
  describe(`PR comments on ${backend.name}`, () => {
    let h: Harness;
    afterEach(() => h?.stop());

    function seedGitHub(number: number) {
      h.githubApi.addRepo(REPO, { defaultBranch: 'main' });
      for (const login of ['octocat', 'bob', 'carol']) h.githubApi.addUser({ login });
      h.githubApi.addPullRequest(REPO, {
        number,
        title: `Change ${number}`,
        user: 'octocat',
        head: { ref: 'feature', sha: 'a'.repeat(40) },
      });
    }

    it('pings the people asked, records them, asks GitHub for their review and reacts to the comment', async () => {
      h = await startReviewHarness({ backend });
      seedGitHub(20);
      await deliver(h, 'pull_request', pullRequestPayload('opened', { number: 20, reviewers: ['bob'] }));
      h.clock.advance(60_000);
      await deliver(
        h,
        'issue_comment',
        commentPayload({
          number: 20,
          by: 'octocat',
          id: 9001,
          body: 'Fixed the flaky test.\nReady for review @carol @bob',
        }),
      );

      expect(replies(h).at(-1)).toBe(
        ':wave: <@U0CAROL> and <@U0BOB>: *octocat* says this is <https://github.com/acme/api/pull/20#issuecomment-9001|ready for your review>.',
      );
      const [asked] = h.githubApi.callsTo('POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers');
      expect(asked.body).toEqual({ reviewers: ['carol', 'bob'] });
      expect(h.githubApi.reactions(REPO)).toEqual([expect.objectContaining({ comment_id: 9001, content: 'eyes' })]);
      const reviewers = await h.db.store.query<{ reviewer: string; state: string; requested_at: Date }>(
        'select reviewer, state, requested_at from pull_request_reviewers where number = 20 order by reviewer',
      );
      expect(reviewers.map((r) => [r.reviewer, r.state, new Date(r.requested_at).getTime()])).toEqual([
        ['bob', 'requested', h.clock.now().getTime() - 60_000],
        ['carol', 'requested', h.clock.now().getTime()],
      ]);
      expect(roots(h)[0].text).toContain('<@U0CAROL> :hourglass_flowing_sand: requested');

      // GitHub answers the request with a review_requested webhook: carol has already been pinged.
      await deliver(
        h,
        'pull_request',
        pullRequestPayload('review_requested', { number: 20, reviewers: ['bob', 'carol'] }, { reviewer: 'carol' }),
      );
      expect(replies(h)).toHaveLength(2);
    });

    it('starts the thread of a pull request it did not know yet, from GitHub', async () => {
      h = await startReviewHarness({ backend });
      seedGitHub(21);
      await deliver(
        h,
        'issue_comment',
        commentPayload({ number: 21, by: 'octocat', id: 9002, body: 'ready for review @bob' }),
      );

      const [root] = roots(h);
      expect(root.text).toContain('|Change 21>* #21');
      expect(root.text).toContain('by <@U0ALICE>');
      expect(replies(h)).toEqual([
        ':wave: <@U0BOB>: *octocat* says this is <https://github.com/acme/api/pull/21#issuecomment-9002|ready for your review>.',
      ]);
    });

    it('posts nothing for other comments, even ones that mention people', async () => {
      h = await startReviewHarness({ backend });
      seedGitHub(22);
      await deliver(h, 'pull_request', pullRequestPayload('opened', { number: 22, reviewers: ['bob'] }));
      const before = h.slackApi.callsTo('chat.postMessage').length;
      let id = 9100;
      for (const body of ['Looks good @bob', 'this is not ready for review @carol', 'ready for review', 'resolved']) {
        await deliver(h, 'issue_comment', commentPayload({ number: 22, by: 'octocat', id: id++, body }));
      }
      await deliver(h, 'issue_comment', commentPayload({ number: 23, by: 'octocat', id: id++, body: 'resolved' }));

      expect(h.slackApi.callsTo('chat.postMessage')).toHaveLength(before);
      expect(h.githubApi.callsTo('POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers')).toEqual([]);
      expect(h.githubApi.reactions(REPO)).toEqual([]);
    });

    it('tells the reviewers who asked for changes when the author says resolved, once', async () => {
      h = await startReviewHarness({ backend });
      seedGitHub(24);
      await deliver(h, 'pull_request', pullRequestPayload('opened', { number: 24, reviewers: ['bob', 'carol'] }));
      await deliver(
        h,
        'pull_request_review',
        reviewPayload({ number: 24, reviewer: 'bob', state: 'changes_requested', id: 901 }),
      );
      const resolved = commentPayload({ number: 24, by: 'octocat', id: 9200, body: 'Resolved: renamed everything' });
      await deliver(h, 'issue_comment', resolved, 'comment-delivery-1');
      await deliver(h, 'issue_comment', resolved, 'comment-delivery-2');

      expect(replies(h).slice(2)).toEqual([
        ':heavy_check_mark: <@U0BOB>: *octocat* <https://github.com/acme/api/pull/24#issuecomment-9200|resolved> the changes you asked for.',
      ]);
      expect(await h.db.store.query('select 1 from pull_request_author_nudges where number = 24')).toEqual([]);
    });
  });
}
