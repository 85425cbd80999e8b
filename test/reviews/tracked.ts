import type { Harness } from '../helpers/harness.ts';

/** A service with a review channel; bob and dana work in New York like the config, kenji in Tokyo. */
export const REVIEWS_CONFIG = `
timezone: America/New_York
environments:
  staging: { channel: C0STAGING }
services:
  api:
    repo: acme/api
    environments: [staging]
    deploy: { via: github-deployment }
    review_channel: C0REVIEWS
people:
  octocat: U0ALICE
  bob: U0BOB
  dana: U0DANA
  kenji: U0KENJI
  carol: U0CAROL
reviews:
  nudge_after: 4h
  nudge_every: 24h
  sweep_every: 1m
  business_hours: "09:00-18:00"
  business_days: [mon, tue, wed, thu, fri]
`;

/** Slack users with their time zones; carol is left out, so Slack cannot say where she is. */
export function addReviewPeople(h: Harness): void {
  h.slackApi.addUser({ id: 'U0ALICE', name: 'alice', tz: 'America/New_York' });
  h.slackApi.addUser({ id: 'U0BOB', name: 'bob', tz: 'America/New_York' });
  h.slackApi.addUser({ id: 'U0DANA', name: 'dana', tz: 'America/New_York' });
  h.slackApi.addUser({ id: 'U0KENJI', name: 'kenji', tz: 'Asia/Tokyo' });
}

export interface TrackedReviewer {
  login: string;
  state?: 'requested' | 'approved' | 'changes_requested' | 'commented' | 'removed';
  requestedAt: Date;
}

export interface TrackedPull {
  number: number;
  title?: string;
  author?: string;
  state?: 'open' | 'draft' | 'merged' | 'closed';
  reviewers: TrackedReviewer[];
  /** When set, the author owes changes since then. */
  authorOwesSince?: Date;
}

/**
 * What the thread handlers would have stored for a pull request, written directly: the root
 * message posted in the review channel, the pull request row and its reviewers.
 */
export async function trackPull(h: Harness, pull: TrackedPull): Promise<{ threadTs: string; url: string }> {
  const { store, slack } = h.tugboat.deps;
  const url = `https://github.com/acme/api/pull/${pull.number}`;
  const root = await slack.post({ channel: 'C0REVIEWS', text: `acme/api#${pull.number}` });
  const threadTs = root.ts!;
  const openedAt = new Date(Math.min(...pull.reviewers.map((r) => r.requestedAt.getTime()), h.clock.now().getTime()));
  await store.query(
    `insert into pull_requests (repo, number, service, channel, thread_ts, title, url, author, state, head_sha, opened_at, updated_at)
     values ('acme/api', $1, 'api', 'C0REVIEWS', $2, $3, $4, $5, $6, $7, $8, $8)`,
    [
      pull.number,
      threadTs,
      pull.title ?? `Change ${pull.number}`,
      url,
      pull.author ?? 'octocat',
      pull.state ?? 'open',
      headSha(pull.number),
      openedAt,
    ],
  );
  for (const reviewer of pull.reviewers) {
    await store.query(
      `insert into pull_request_reviewers (repo, number, reviewer, state, requested_at, updated_at) values ('acme/api', $1, $2, $3, $4, $4)`,
      [pull.number, reviewer.login, reviewer.state ?? 'requested', reviewer.requestedAt],
    );
  }
  if (pull.authorOwesSince) {
    await store.query(
      `insert into pull_request_author_nudges (repo, number, waiting_since) values ('acme/api', $1, $2)`,
      [pull.number, pull.authorOwesSince],
    );
  }
  return { threadTs, url };
}

/** The head SHA `trackPull` stores, for a GitHub fake pull request that matches it. */
export const headSha = (number: number) => number.toString(16).padStart(40, '0');

/** The replies tugboat posted in a pull request's thread. */
export const threadReplies = (h: Harness, threadTs: string) => h.slackApi.thread('C0REVIEWS', threadTs).slice(1);
