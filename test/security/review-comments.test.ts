import { afterEach, describe, expect, it } from 'vitest';
import { parseLockArgs } from '../../commands/lock.ts';
import { parseDuration } from '../../src/config/index.ts';
import { linkCodeIn, MAX_LOGINS_PER_COMMENT, readyForReviewLogins, saysResolved } from '../../src/reviews/index.ts';
import type { Harness } from '../helpers/harness.ts';
import {
  commentPayload,
  deliver,
  pullRequestPayload,
  REPO,
  replies,
  roots,
  startReviewHarness,
} from '../helpers/reviews.ts';
import { storeBackends } from '../helpers/stores.ts';

/** GitHub's limit on a comment's length, and so the size of every adversarial comment here. */
const GITHUB_MAX_COMMENT = 65_536;
/** Generous for a slow CI machine, yet far below what quadratic matching of 65,536 characters takes (seconds). */
const FEW_MS = 50;

const filled = (head: string, unit: string) =>
  (head + unit.repeat(Math.ceil(GITHUB_MAX_COMMENT / unit.length))).slice(0, GITHUB_MAX_COMMENT);

const ADVERSARIAL: Record<string, string> = {
  'spaces after ready for review': filled('ready for review', ' '),
  'tabs after ready for review': filled('ready for review', '\t'),
  'spaces, then a comma': filled('ready for review', ' ').slice(0, -1) + ',',
  'a comma run': filled('ready for review', ','),
  'comma and space runs': filled('ready for review', ' , '),
  'an @ run': filled('ready for review ', '@'),
  'an and run': filled('ready for review ', 'and '),
  'and and and without spaces': filled('ready for review ', 'and'),
  '@a@a@a…': filled('ready for review ', '@a'),
  'logins that never end': filled('ready for review @', 'a-'),
  'ready for review over and over': filled('', 'ready for review '),
  'ready for review after punctuation over and over': filled('', '.ready for review @a-'),
  mixed: filled('ready for review', ' , and @a@ ,\t@-,and\tand @'),
  'line breaks and spaces': filled('', '\n \t'),
  'spaces before resolved': filled('', ' ').slice(0, -8) + 'resolved',
  'tugboat-link over and over': filled('', 'tugboat-link '),
};

/** The best of three runs, so a garbage collection or a busy CI machine does not fail a linear parser. */
function elapsedMs(parse: () => unknown): number {
  const runs = [0, 1, 2].map(() => {
    const started = performance.now();
    parse();
    return performance.now() - started;
  });
  return Math.min(...runs);
}

describe('review comments are read in linear time', () => {
  // Compiled and warmed up before anything is timed.
  readyForReviewLogins('ready for review @bob');
  saysResolved('resolved');
  linkCodeIn('tugboat-link 4F7K2Q9X');

  for (const [name, body] of Object.entries(ADVERSARIAL)) {
    it(`parses a 65,536-character comment of ${name} in a few milliseconds`, () => {
      expect(body).toHaveLength(GITHUB_MAX_COMMENT);
      expect(elapsedMs(() => readyForReviewLogins(body))).toBeLessThan(FEW_MS);
      expect(elapsedMs(() => saysResolved(body))).toBeLessThan(FEW_MS);
      expect(elapsedMs(() => linkCodeIn(body))).toBeLessThan(FEW_MS);
    });
  }

  it('still reads what those comments say', () => {
    expect(readyForReviewLogins(ADVERSARIAL['spaces after ready for review'])).toEqual([]);
    expect(readyForReviewLogins(ADVERSARIAL['@a@a@a…'])).toEqual([]);
    expect(readyForReviewLogins(ADVERSARIAL['ready for review after punctuation over and over'])).toEqual([]);
    expect(readyForReviewLogins(`ready for review${' '.repeat(32_000)}@bob`)).toEqual(['bob']);
    expect(readyForReviewLogins(`ready for review${' , '.repeat(3)}and @bob`)).toEqual([]);
    expect(saysResolved(ADVERSARIAL['spaces before resolved'])).toBe(true);
  });

  it('reads ready for review as before', () => {
    expect(readyForReviewLogins('Fixed it.\nready for review @bob, @carol and @dana-x')).toEqual([
      'bob',
      'carol',
      'dana-x',
    ]);
    expect(readyForReviewLogins('ready for review\t,\tAND\t@bob')).toEqual(['bob']);
    expect(readyForReviewLogins('> ready for review @bob')).toEqual(['bob']);
    expect(readyForReviewLogins('Ready for review @bob @carol. Ready for review @dana @BOB')).toEqual([
      'bob',
      'carol',
      'dana',
    ]);
    expect(readyForReviewLogins('İstanbul ready? ready for review @bob')).toEqual(['bob']);
    expect(readyForReviewLogins(`ready for review @${'a'.repeat(39)}`)).toEqual(['a'.repeat(39)]);
    for (const asksNoOne of [
      'ready for review @bob_x',
      'ready for review @-bob',
      'ready for review @bob-',
      `ready for review @${'a'.repeat(40)}`,
      'ready for review @bob@example.com',
    ]) {
      expect(readyForReviewLogins(asksNoOne), asksNoOne).toEqual([]);
    }
  });

  it(`honours at most ${MAX_LOGINS_PER_COMMENT} logins per comment, the first ones asked`, () => {
    const logins = Array.from({ length: 15 }, (_, i) => `person-${i}`);
    expect(readyForReviewLogins(`ready for review ${logins.map((l) => `@${l}`).join(' ')}`)).toEqual(
      logins.slice(0, 10),
    );
    expect(readyForReviewLogins(logins.map((l) => `ready for review @${l} @bob`).join('\n'))).toEqual([
      'person-0',
      'bob',
      ...logins.slice(1, 9),
    ]);
    expect(readyForReviewLogins(`ready for review ${'@bob @BOB '.repeat(20)}@carol`)).toEqual(['bob', 'carol']);
  });

  it('reads only the first 65,536 characters, as GitHub allows no longer comment', () => {
    expect(readyForReviewLogins(`${' '.repeat(GITHUB_MAX_COMMENT)}\nready for review @bob`)).toEqual([]);
    expect(linkCodeIn(`${' '.repeat(GITHUB_MAX_COMMENT)} tugboat-link 4F7K2Q9X`)).toBeUndefined();
  });

  it('finds a link code only as tugboat gives it out', () => {
    expect(linkCodeIn('Here: tugboat-link 4F7K2Q9X')).toBe('4F7K2Q9X');
    expect(linkCodeIn('TUGBOAT-LINK 4f7k2q9x.')).toBe('4F7K2Q9X');
    expect(linkCodeIn('tugboat-link 4F7K2Q9')).toBeUndefined();
    expect(linkCodeIn('tugboat-link 4F7K2Q9XY')).toBeUndefined();
    expect(linkCodeIn('tugboat-link 4F7K2Q9I')).toBeUndefined();
  });

  it('parses slash command text in linear time too', () => {
    const words = filled('api ', 'for ');
    expect(elapsedMs(() => parseLockArgs(words))).toBeLessThan(FEW_MS);
    expect(elapsedMs(() => parseLockArgs(filled('', ' \t')))).toBeLessThan(FEW_MS);
    expect(elapsedMs(() => expect(() => parseDuration(filled('', '1'))).toThrow())).toBeLessThan(FEW_MS);
    expect(elapsedMs(() => expect(() => parseDuration(`${filled('', '9').slice(1)}x`)).toThrow())).toBeLessThan(FEW_MS);
  });
});

for (const backend of storeBackends) {
  describe(`who may ask for review in a comment, on ${backend.name}`, () => {
    let h: Harness;
    afterEach(() => h?.stop());

    const reviewRequestsOnGitHub = () =>
      h.githubApi.callsTo('POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers');

    async function openPullRequest(number: number) {
      h.githubApi.addRepo(REPO, { defaultBranch: 'main' });
      h.githubApi.addPullRequest(REPO, {
        number,
        title: `Change ${number}`,
        user: 'octocat',
        head: { ref: 'feature', sha: 'a'.repeat(40) },
      });
      await deliver(h, 'pull_request', pullRequestPayload('opened', { number, reviewers: ['bob'] }));
    }

    it('ignores ready for review from someone who is neither the author nor a member, logged at debug', async () => {
      h = await startReviewHarness({ backend });
      await openPullRequest(30);
      const before = replies(h);
      await deliver(
        h,
        'issue_comment',
        commentPayload({ number: 30, by: 'stranger', association: 'NONE', id: 9301, body: 'ready for review @carol' }),
      );
      await deliver(
        h,
        'issue_comment',
        commentPayload({
          number: 30,
          by: 'drive-by',
          association: 'CONTRIBUTOR',
          id: 9302,
          body: 'ready for review @carol',
        }),
      );
      await deliver(
        h,
        'issue_comment',
        commentPayload({ number: 30, by: 'stranger', association: 'NONE', id: 9303, body: 'resolved' }),
      );

      expect(replies(h)).toEqual(before);
      expect(reviewRequestsOnGitHub()).toEqual([]);
      expect(h.githubApi.reactions(REPO)).toEqual([]);
      const ignored = h.logs.lines.filter(
        (line) => line.msg === 'ignoring a comment from someone who may not ask for review',
      );
      expect(ignored.map((line) => [line.level, line.by, line.association])).toEqual([
        [20, 'stranger', 'NONE'],
        [20, 'drive-by', 'CONTRIBUTOR'],
        [20, 'stranger', 'NONE'],
      ]);
    });

    it('pings for the author, whatever their standing, and for owners, members and collaborators', async () => {
      h = await startReviewHarness({ backend });
      await openPullRequest(31);
      let id = 9310;
      const asks: Array<[string, 'NONE' | 'MEMBER' | 'COLLABORATOR' | 'OWNER', string]> = [
        ['octocat', 'NONE', 'carol'],
        ['dana', 'MEMBER', 'bob'],
        ['erin', 'COLLABORATOR', 'carol'],
        ['acme-admin', 'OWNER', 'bob'],
      ];
      for (const [by, association, asked] of asks) {
        await deliver(
          h,
          'issue_comment',
          commentPayload({ number: 31, by, association, id: id++, body: `ready for review @${asked}` }),
        );
      }

      expect(replies(h).slice(1)).toEqual([
        ':wave: <@U0CAROL>: *octocat* says this is <https://github.com/acme/api/pull/31#issuecomment-9310|ready for your review>.',
        ':wave: <@U0BOB>: *dana* says this is <https://github.com/acme/api/pull/31#issuecomment-9311|ready for your review>.',
        ':wave: <@U0CAROL>: *erin* says this is <https://github.com/acme/api/pull/31#issuecomment-9312|ready for your review>.',
        ':wave: <@U0BOB>: *acme-admin* says this is <https://github.com/acme/api/pull/31#issuecomment-9313|ready for your review>.',
      ]);
      expect(reviewRequestsOnGitHub()).toHaveLength(4);
    });

    it('asks at most 10 people from one comment', async () => {
      h = await startReviewHarness({ backend });
      await openPullRequest(32);
      const logins = Array.from({ length: 25 }, (_, i) => `reviewer-${i}`);
      await deliver(
        h,
        'issue_comment',
        commentPayload({
          number: 32,
          by: 'octocat',
          id: 9320,
          body: `ready for review ${logins.map((l) => `@${l}`).join(', ')}`,
        }),
      );

      const [asked] = reviewRequestsOnGitHub();
      expect(asked.body).toEqual({ reviewers: logins.slice(0, 10) });
      const [{ count }] = await h.db.store.query<{ count: number }>(
        'select count(*)::int as count from pull_request_reviewers where number = 32',
      );
      expect(count).toBe(11);
    });

    it('reads no comment on a repository without a review channel, nor on one tugboat does not know', async () => {
      h = await startReviewHarness({ backend });
      for (const repo of ['acme/web', 'acme/elsewhere']) {
        h.githubApi.addRepo(repo, { defaultBranch: 'main' });
        h.githubApi.addPullRequest(repo, {
          number: 33,
          title: 'Change 33',
          user: 'octocat',
          head: { ref: 'feature', sha: 'b'.repeat(40) },
        });
        await deliver(
          h,
          'issue_comment',
          commentPayload({ number: 33, repo, by: 'octocat', id: 9330, body: 'ready for review @bob' }),
        );
      }

      expect(h.githubApi.calls.filter((call) => call.route.startsWith('GET /repos'))).toEqual([]);
      expect(reviewRequestsOnGitHub()).toEqual([]);
      expect(roots(h)).toEqual([]);
    });

    it('answers a 65,536-character adversarial comment at once', async () => {
      h = await startReviewHarness({ backend });
      await openPullRequest(34);
      const started = performance.now();
      await deliver(
        h,
        'issue_comment',
        commentPayload({ number: 34, by: 'octocat', id: 9340, body: ADVERSARIAL['spaces after ready for review'] }),
      );
      expect(performance.now() - started).toBeLessThan(2_000);
      expect(replies(h)).toHaveLength(1);
    });
  });
}
