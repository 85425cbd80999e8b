import type { Config } from '../config/index.ts';
import type { ColumnsOf, Queryable } from '../store/index.ts';

export type PullRequestState = 'open' | 'draft' | 'merged' | 'closed';

/** A pull request by its repository (owner/name, lower case) and number. */
export interface PullRequestKey {
  repo: string;
  number: number;
}

/** What GitHub says a pull request is now. */
export interface PullRequestSnapshot {
  title: string;
  url: string;
  author: string;
  state: PullRequestState;
  additions: number;
  deletions: number;
  headSha: string | null;
  openedAt: Date;
}

export interface TrackedPullRequest extends PullRequestKey, Omit<PullRequestSnapshot, 'openedAt'> {
  service: string;
  channel: string;
  threadTs: string | null;
}

type PullRequestRow = ColumnsOf<TrackedPullRequest>;

const toPullRequest = (row: PullRequestRow): TrackedPullRequest => ({
  repo: row.repo,
  number: row.number,
  service: row.service,
  channel: row.channel,
  threadTs: row.thread_ts,
  title: row.title,
  url: row.url,
  author: row.author,
  state: row.state,
  additions: row.additions,
  deletions: row.deletions,
  headSha: row.head_sha,
});

export const keyOf = (repo: string, number: number): PullRequestKey => ({ repo: repo.toLowerCase(), number });

/** Where a repo's pull requests are discussed: the first service of that repo with a `review_channel`. */
export function reviewHomeOf(config: Config, repo: string): { service: string; channel: string } | undefined {
  const services = Object.entries(config.services).filter(([, s]) => s.repo.toLowerCase() === repo.toLowerCase());
  const withChannel = services.find(([, s]) => s.review_channel);
  return withChannel && { service: withChannel[0], channel: withChannel[1].review_channel! };
}

export const repoHasService = (config: Config, repo: string) =>
  Object.values(config.services).some((s) => s.repo.toLowerCase() === repo.toLowerCase());

/** True the first time a repo with no service is seen, so it is logged once rather than on every delivery. */
export async function firstSightOfUntrackedRepo(db: Queryable, repo: string, now: Date): Promise<boolean> {
  const rows = await db.query(
    'insert into untracked_repos (repo, first_seen) values ($1, $2) on conflict (repo) do nothing returning repo',
    [repo.toLowerCase(), now],
  );
  return rows.length > 0;
}

export async function getPullRequest(db: Queryable, key: PullRequestKey): Promise<TrackedPullRequest | undefined> {
  const [row] = await db.query<PullRequestRow>('select * from pull_requests where repo = $1 and number = $2', [
    key.repo,
    key.number,
  ]);
  return row && toPullRequest(row);
}

/** Starts tracking a pull request (its thread is posted later), or refreshes what is known of it. */
export async function trackPullRequest(
  db: Queryable,
  key: PullRequestKey,
  home: { service: string; channel: string },
  snapshot: PullRequestSnapshot,
  now: Date,
): Promise<TrackedPullRequest> {
  const [row] = await db.query<PullRequestRow>(
    `insert into pull_requests (repo, number, service, channel, title, url, author, state, additions, deletions, head_sha, opened_at, updated_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
     on conflict (repo, number) do update set title = excluded.title, url = excluded.url, additions = excluded.additions,
       deletions = excluded.deletions, head_sha = excluded.head_sha, updated_at = excluded.updated_at
     returning *`,
    [
      key.repo,
      key.number,
      home.service,
      home.channel,
      snapshot.title,
      snapshot.url,
      snapshot.author,
      snapshot.state,
      snapshot.additions,
      snapshot.deletions,
      snapshot.headSha,
      snapshot.openedAt,
      now,
    ],
  );
  return toPullRequest(row);
}

/**
 * The title, size and head of a tracked pull request, as a newer event says. Its state is
 * left alone: only the events that change it move it (see `moveState`), so a late event
 * carrying an older snapshot does not undo a close.
 */
export async function refreshPullRequest(
  db: Queryable,
  key: PullRequestKey,
  snapshot: PullRequestSnapshot,
  now: Date,
): Promise<void> {
  await db.query(
    `update pull_requests set title = $3, url = $4, additions = $5, deletions = $6, head_sha = $7, updated_at = $8
     where repo = $1 and number = $2`,
    [key.repo, key.number, snapshot.title, snapshot.url, snapshot.additions, snapshot.deletions, snapshot.headSha, now],
  );
}

/** Moves the state if it is one of `from`; false when it was not (already moved, or another replica moved it). */
export async function moveState(
  db: Queryable,
  key: PullRequestKey,
  from: PullRequestState[],
  to: PullRequestState,
  now: Date,
): Promise<boolean> {
  const rows = await db.query(
    'update pull_requests set state = $4, updated_at = $5 where repo = $1 and number = $2 and state = any($3) returning number',
    [key.repo, key.number, from, to, now],
  );
  return rows.length > 0;
}

/**
 * Claims the right to post the root message. Exactly one of several racing processes wins;
 * a claim older than `ttlMs` without a posted root belongs to a process that died, and may be taken over.
 */
export async function claimRoot(db: Queryable, key: PullRequestKey, now: Date, ttlMs: number): Promise<boolean> {
  const rows = await db.query(
    `update pull_requests set root_claimed_at = $3
     where repo = $1 and number = $2 and thread_ts is null and (root_claimed_at is null or root_claimed_at < $4)
     returning number`,
    [key.repo, key.number, now, new Date(now.getTime() - ttlMs)],
  );
  return rows.length > 0;
}

export async function setThreadTs(db: Queryable, key: PullRequestKey, ts: string): Promise<void> {
  await db.query('update pull_requests set thread_ts = $3 where repo = $1 and number = $2', [key.repo, key.number, ts]);
}
