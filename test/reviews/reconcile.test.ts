import { afterEach, describe, expect, it } from 'vitest';
import { sweepNudges } from '../../src/jobs/reviews.ts';
import { Recipients, reconcilePullRequests, type RepairedPullRequest } from '../../src/reviews/index.ts';
import { TestClock } from '../helpers/clock.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { storeBackends } from '../helpers/stores.ts';
import { REVIEWS_CONFIG, addReviewPeople, headSha, threadReplies, trackPull, type TrackedPull } from './tracked.ts';

const HOUR = 3_600_000;

for (const backend of storeBackends) {
  describe(`reconciling pull requests with GitHub on ${backend.name}`, () => {
    let h: Harness;
    afterEach(() => h?.stop());

    /** Wednesday 10:00 in New York. */
    async function start() {
      h = await startHarness({
        backend,
        configYaml: REVIEWS_CONFIG,
        clock: new TestClock(new Date('2026-11-18T15:00:00Z')),
      });
      addReviewPeople(h);
      h.githubApi.addRepo('acme/api', { defaultBranch: 'main' });
      const repaired: RepairedPullRequest[] = [];
      const reconcile = () => reconcilePullRequests(h.tugboat.deps, async (pr) => void repaired.push(pr));
      return { repaired, reconcile };
    }

    /** Tracked by tugboat as given, and on GitHub as requested there (the same, unless the test changes it). */
    async function trackOnBoth(pull: TrackedPull & { requestedOnGitHub?: string[] }) {
      const tracked = await trackPull(h, pull);
      h.githubApi.addPullRequest('acme/api', {
        number: pull.number,
        title: pull.title ?? `Change ${pull.number}`,
        user: 'octocat',
        head: { ref: `change-${pull.number}`, sha: headSha(pull.number) },
        draft: pull.state === 'draft',
        requested_reviewers:
          pull.requestedOnGitHub ??
          pull.reviewers.filter((r) => (r.state ?? 'requested') === 'requested').map((r) => r.login),
      });
      return tracked;
    }

    const reviewerStates = async (number: number) =>
      Object.fromEntries(
        (
          await h.tugboat.deps.store.query<{ reviewer: string; state: string }>(
            'select reviewer, state from pull_request_reviewers where number = $1 order by reviewer',
            [number],
          )
        ).map((row) => [row.reviewer, row.state]),
      );
    const pullState = async (number: number) =>
      (
        await h.tugboat.deps.store.query<{ state: string }>('select state from pull_requests where number = $1', [
          number,
        ])
      )[0].state;

    it('repairs a missed review, a missed close and a missed ready-for-review quietly, and reports only the PRs it changed', async () => {
      const { repaired, reconcile } = await start();
      const requestedAt = new Date(h.clock.now().getTime() - 5 * HOUR);
      const reviewed = await trackOnBoth({
        number: 21,
        reviewers: [
          { login: 'bob', requestedAt },
          { login: 'dana', requestedAt },
        ],
      });
      const closed = await trackOnBoth({ number: 22, reviewers: [{ login: 'bob', requestedAt }] });
      await trackOnBoth({ number: 23, reviewers: [{ login: 'dana', requestedAt }] });
      await trackOnBoth({ number: 24, state: 'draft', reviewers: [{ login: 'dana', requestedAt }] });
      h.githubApi.addReview('acme/api', 21, { user: 'bob', state: 'APPROVED' });
      Object.assign(h.githubApi.pullRequest('acme/api', 22), { state: 'closed', merged: true });
      h.githubApi.pullRequest('acme/api', 24).draft = false;
      const slackCallsBefore = h.slackApi.calls.length;

      await reconcile();

      expect(repaired.map((pr) => pr.number)).toEqual([21, 22, 24]);
      expect(repaired[0]).toEqual({ repo: 'acme/api', number: 21, channel: 'C0REVIEWS', threadTs: reviewed.threadTs });
      expect(await reviewerStates(21)).toEqual({ bob: 'approved', dana: 'requested' });
      expect(await pullState(22)).toBe('merged');
      expect(await pullState(24)).toBe('open');
      expect(h.slackApi.calls.length).toBe(slackCallsBefore);

      await reconcile();
      expect(repaired).toHaveLength(3);

      await sweepNudges(h.tugboat.deps, new Recipients(h.tugboat.deps));
      expect(threadReplies(h, reviewed.threadTs).map((m) => m.text)).toEqual([expect.stringContaining('<@U0DANA>')]);
      expect(threadReplies(h, closed.threadTs)).toEqual([]);
    });

    it('makes the author the one nudged after a missed request for changes, and gives the wait back on a missed re-request', async () => {
      const { reconcile } = await start();
      await trackOnBoth({ number: 31, reviewers: [{ login: 'bob', requestedAt: new Date('2026-11-17T15:00:00Z') }] });
      h.githubApi.addReview('acme/api', 31, {
        user: 'bob',
        state: 'CHANGES_REQUESTED',
        submitted_at: '2026-11-18T10:00:00Z',
      });
      const authorNudge = () =>
        h.tugboat.deps.store.query<{ waiting_since: Date }>(
          'select waiting_since from pull_request_author_nudges where number = 31',
        );

      await reconcile();
      expect(await reviewerStates(31)).toEqual({ bob: 'changes_requested' });
      expect((await authorNudge()).map((row) => new Date(row.waiting_since))).toEqual([
        new Date('2026-11-18T10:00:00Z'),
      ]);

      h.githubApi.pullRequest('acme/api', 31).requested_reviewers.push('bob');
      h.clock.advance(HOUR);
      await reconcile();
      expect(await reviewerStates(31)).toEqual({ bob: 'requested' });
      expect(await authorNudge()).toEqual([]);
      const [bob] = await h.tugboat.deps.store.query<{ requested_at: Date }>(
        'select requested_at from pull_request_reviewers where number = 31',
      );
      expect(new Date(bob.requested_at)).toEqual(h.clock.now());
    });

    it('tracks a missed request and a drive-by review, marks a request gone from GitHub removed, and ignores the author’s own replies', async () => {
      const { reconcile } = await start();
      await trackOnBoth({
        number: 41,
        reviewers: [{ login: 'bob', requestedAt: h.clock.now() }],
        requestedOnGitHub: ['kenji'],
      });
      h.githubApi.addReview('acme/api', 41, { user: 'carol', state: 'APPROVED' });
      h.githubApi.addReview('acme/api', 41, { user: 'carol', state: 'COMMENTED' });
      h.githubApi.addReview('acme/api', 41, { user: 'octocat', state: 'COMMENTED' });
      await reconcile();
      expect(await reviewerStates(41)).toEqual({ bob: 'removed', carol: 'approved', kenji: 'requested' });
    });

    it('goes on with the other PRs when GitHub fails for one', async () => {
      const { repaired, reconcile } = await start();
      const requestedAt = h.clock.now();
      await trackOnBoth({ number: 51, reviewers: [{ login: 'bob', requestedAt }] });
      await trackOnBoth({ number: 52, reviewers: [{ login: 'bob', requestedAt }] });
      for (const number of [51, 52]) h.githubApi.addReview('acme/api', number, { user: 'bob', state: 'APPROVED' });
      h.githubApi.failNext({ method: 'GET', path: /\/pulls\/51$/, status: 502 });
      await reconcile();
      expect(repaired.map((pr) => pr.number)).toEqual([52]);
      expect(h.logs.lines).toContainEqual(
        expect.objectContaining({
          msg: 'could not reconcile a pull request with GitHub',
          repo: 'acme/api',
          number: 51,
        }),
      );
    });
  });
}
