import type { Queryable } from '../store/index.ts';
import { authorOwesChanges, authorOwesNothing, settleAuthorDebt } from './author-changes.ts';
import type { ThreadNote } from './notes.ts';
import { moveState, type PullRequestKey } from './pull-requests.ts';
import {
  claimNewCommitNotices,
  recordReview,
  requestReview,
  requestReviewsIfNew,
  restartReviewClocks,
  reviewersAwaitingChanges,
  withdrawReviewRequest,
  type SubmittedReview,
} from './reviewers.ts';

/*
 * What each GitHub event changes in a tracked pull request, and what is to be said about it
 * in the thread. Every function is safe to run twice for the same fact: the second run
 * changes nothing and says nothing. So each runs in the transaction that writes its notes
 * (`ReviewThreads.record`): a change made without its notes would never be told.
 */

const lower = (logins: string[]) => logins.map((login) => login.toLowerCase());

export async function openedForReview(
  db: Queryable,
  key: PullRequestKey,
  by: string,
  reviewers: string[],
  now: Date,
): Promise<ThreadNote[]> {
  const added = await requestReviewsIfNew(db, key, reviewers, now);
  return added.length > 0 ? [{ kind: 'requested', by, reviewers: added }] : [{ kind: 'refresh' }];
}

/** A request (or a re-request, after a review) of one reviewer or team. */
export async function reviewRequested(
  db: Queryable,
  key: PullRequestKey,
  by: string,
  reviewer: string,
  now: Date,
): Promise<ThreadNote[]> {
  if (!(await requestReview(db, key, reviewer, now))) return [];
  await settleAuthorDebt(db, key);
  return [{ kind: 'requested', by, reviewers: lower([reviewer]) }];
}

export async function reviewRequestRemoved(
  db: Queryable,
  key: PullRequestKey,
  by: string,
  reviewer: string,
  now: Date,
): Promise<ThreadNote[]> {
  if (!(await withdrawReviewRequest(db, key, reviewer, now))) return [];
  return [{ kind: 'request_removed', by, reviewer: reviewer.toLowerCase() }];
}

/** Out of draft: the reviewers it waits on are told, and their wait starts now. */
export async function markedReady(db: Queryable, key: PullRequestKey, by: string, now: Date): Promise<ThreadNote[]> {
  if (!(await moveState(db, key, ['draft'], 'open', now))) return [];
  return [{ kind: 'ready', by, reviewers: await restartReviewClocks(db, key, now) }];
}

export async function convertedToDraft(
  db: Queryable,
  key: PullRequestKey,
  by: string,
  now: Date,
): Promise<ThreadNote[]> {
  return (await moveState(db, key, ['open'], 'draft', now)) ? [{ kind: 'draft', by }] : [];
}

export async function closed(
  db: Queryable,
  key: PullRequestKey,
  by: string,
  merged: boolean,
  now: Date,
): Promise<ThreadNote[]> {
  if (!(await moveState(db, key, ['open', 'draft'], merged ? 'merged' : 'closed', now))) return [];
  await authorOwesNothing(db, key);
  return [{ kind: 'closed', by, merged }];
}

export async function reopened(
  db: Queryable,
  key: PullRequestKey,
  by: string,
  draft: boolean,
  now: Date,
): Promise<ThreadNote[]> {
  return (await moveState(db, key, ['closed'], draft ? 'draft' : 'open', now)) ? [{ kind: 'reopened', by }] : [];
}

/** New commits: each reviewer who asked for changes hears of it once per such review; the root shows the new size. */
export async function pushed(db: Queryable, key: PullRequestKey, by: string, now: Date): Promise<ThreadNote[]> {
  const reviewers = await claimNewCommitNotices(db, key, now);
  return reviewers.length > 0 ? [{ kind: 'new_commits', by, reviewers }] : [{ kind: 'refresh' }];
}

/** A review by someone other than the author; the author is pinged for a verdict, not for a comment. */
export async function reviewSubmitted(
  db: Queryable,
  key: PullRequestKey,
  review: SubmittedReview & { url: string },
  author: string,
  now: Date,
): Promise<ThreadNote[]> {
  if (review.reviewer.toLowerCase() === author.toLowerCase()) return [];
  if (!(await recordReview(db, key, review, now))) return [];
  if (review.verdict === 'changes_requested') await authorOwesChanges(db, key, now);
  if (review.verdict === 'approved') await settleAuthorDebt(db, key);
  const ping = review.verdict === 'commented' ? {} : { author };
  return [
    { kind: 'review', reviewer: review.reviewer.toLowerCase(), verdict: review.verdict, url: review.url, ...ping },
  ];
}

/** `ready for review @a @b` in a comment: they are asked (again) and pinged. */
export async function askedForReviewInComment(
  db: Queryable,
  key: PullRequestKey,
  comment: { by: string; url: string; reviewers: string[] },
  now: Date,
): Promise<ThreadNote[]> {
  for (const reviewer of comment.reviewers) await requestReview(db, key, reviewer, now);
  await settleAuthorDebt(db, key);
  return [{ kind: 'ready_comment', by: comment.by, reviewers: lower(comment.reviewers), url: comment.url }];
}

/** `resolved` in a comment: the reviewers who asked for changes are told, and the author owes nothing more. */
export async function saidResolved(
  db: Queryable,
  key: PullRequestKey,
  comment: { by: string; url: string },
): Promise<ThreadNote[]> {
  const reviewers = await reviewersAwaitingChanges(db, key);
  if (reviewers.length === 0) return [];
  await authorOwesNothing(db, key);
  return [{ kind: 'resolved', by: comment.by, reviewers, url: comment.url }];
}
