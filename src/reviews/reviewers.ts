import type { Queryable } from '../store/index.ts';
import type { PullRequestKey } from './pull-requests.ts';

export type ReviewerState = 'requested' | 'approved' | 'changes_requested' | 'commented' | 'removed';
export type Verdict = 'approved' | 'changes_requested' | 'commented';

/** A reviewer is a GitHub login, or `org/team` for a team asked as a whole; lower case either way. */
export interface Reviewer {
  reviewer: string;
  state: ReviewerState;
}

export interface SubmittedReview {
  id: number;
  reviewer: string;
  verdict: Verdict;
  submittedAt: Date;
}

export const isTeam = (reviewer: string) => reviewer.includes('/');

export async function listReviewers(db: Queryable, key: PullRequestKey): Promise<Reviewer[]> {
  return db.query<Reviewer>(
    `select reviewer, state from pull_request_reviewers where repo = $1 and number = $2 and state <> 'removed' order by reviewer`,
    [key.repo, key.number],
  );
}

/** Starts waiting on a reviewer (the nudge clock starts now); false when already waiting on them. */
export async function requestReview(db: Queryable, key: PullRequestKey, reviewer: string, now: Date): Promise<boolean> {
  const rows = await db.query(
    `insert into pull_request_reviewers (repo, number, reviewer, state, requested_at, updated_at) values ($1, $2, $3, 'requested', $4, $4)
     on conflict (repo, number, reviewer) do update set state = 'requested', requested_at = excluded.requested_at,
       last_nudged_at = null, snoozed_until = null, updated_at = excluded.updated_at
     where pull_request_reviewers.state <> 'requested'
     returning reviewer`,
    [key.repo, key.number, reviewer.toLowerCase(), now],
  );
  return rows.length > 0;
}

/** Reviewers a pull request was opened with, except those tugboat already knows (their own events may have come first). */
export async function requestReviewsIfNew(
  db: Queryable,
  key: PullRequestKey,
  reviewers: string[],
  now: Date,
): Promise<string[]> {
  const rows = await db.query<{ reviewer: string }>(
    `insert into pull_request_reviewers (repo, number, reviewer, state, requested_at, updated_at)
     select $1, $2, reviewer, 'requested', $4, $4 from unnest($3::text[]) as t (reviewer)
     on conflict (repo, number, reviewer) do nothing
     returning reviewer`,
    [key.repo, key.number, [...new Set(reviewers.map((r) => r.toLowerCase()))], now],
  );
  return rows.map((row) => row.reviewer);
}

/** False when the reviewer was not waited on. */
export async function withdrawReviewRequest(
  db: Queryable,
  key: PullRequestKey,
  reviewer: string,
  now: Date,
): Promise<boolean> {
  const rows = await db.query(
    `update pull_request_reviewers set state = 'removed', requested_at = null, updated_at = $4
     where repo = $1 and number = $2 and reviewer = $3 and state = 'requested' returning reviewer`,
    [key.repo, key.number, reviewer.toLowerCase(), now],
  );
  return rows.length > 0;
}

/**
 * Records a submitted review once (false when it was already recorded) and what it makes of
 * its reviewer: approved or changes requested; a comment counts only where there was no verdict.
 * Run it in a transaction (the one that writes what the thread is told): its two writes go together.
 */
export async function recordReview(
  tx: Queryable,
  key: PullRequestKey,
  review: SubmittedReview,
  now: Date,
): Promise<boolean> {
  const inserted = await tx.query(
    `insert into pull_request_reviews (repo, number, review_id, reviewer, state, submitted_at) values ($1, $2, $3, $4, $5, $6)
     on conflict (repo, review_id) do nothing returning review_id`,
    [key.repo, key.number, review.id, review.reviewer.toLowerCase(), review.verdict, review.submittedAt],
  );
  if (inserted.length === 0) return false;
  await tx.query(
    `insert into pull_request_reviewers (repo, number, reviewer, state, updated_at) values ($1, $2, $3, $4, $5)
     on conflict (repo, number, reviewer) do update set state = excluded.state, requested_at = null, updated_at = excluded.updated_at
     where excluded.state <> 'commented' or pull_request_reviewers.state in ('requested', 'removed')`,
    [key.repo, key.number, review.reviewer.toLowerCase(), review.verdict, now],
  );
  return true;
}

/** Reviewers whose latest verdict is changes requested. */
export async function reviewersAwaitingChanges(db: Queryable, key: PullRequestKey): Promise<string[]> {
  const rows = await db.query<{ reviewer: string }>(
    `select reviewer from pull_request_reviewers where repo = $1 and number = $2 and state = 'changes_requested' order by reviewer`,
    [key.repo, key.number],
  );
  return rows.map((row) => row.reviewer);
}

/**
 * The reviewers still awaiting changes who have not yet been told of new commits since
 * their changes_requested review; each such review is claimed, so it is told once.
 */
export async function claimNewCommitNotices(db: Queryable, key: PullRequestKey, now: Date): Promise<string[]> {
  const rows = await db.query<{ reviewer: string }>(
    `update pull_request_reviews v set new_commits_told_at = $3
     from pull_request_reviewers r
     where v.repo = $1 and v.number = $2 and v.state = 'changes_requested' and v.new_commits_told_at is null
       and r.repo = v.repo and r.number = v.number and r.reviewer = v.reviewer and r.state = 'changes_requested'
     returning v.reviewer`,
    [key.repo, key.number, now],
  );
  return [...new Set(rows.map((row) => row.reviewer))].sort();
}

/** The reviewers still waited on, their wait (and nudges) starting over now; returns them. */
export async function restartReviewClocks(db: Queryable, key: PullRequestKey, now: Date): Promise<string[]> {
  const rows = await db.query<{ reviewer: string }>(
    `update pull_request_reviewers set requested_at = $3, last_nudged_at = null, snoozed_until = null, updated_at = $3
     where repo = $1 and number = $2 and state = 'requested' returning reviewer`,
    [key.repo, key.number, now],
  );
  return rows.map((row) => row.reviewer).sort();
}
