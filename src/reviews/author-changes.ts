import type { Queryable } from '../store/index.ts';
import type { PullRequestKey } from './pull-requests.ts';

/**
 * After a changes_requested review the author owes changes: the pull request waits on them,
 * not on the reviewers, until they say `resolved`, ask for review again, the reviewers
 * approve, or the pull request closes.
 */
export async function authorOwesChanges(db: Queryable, key: PullRequestKey, since: Date): Promise<void> {
  await db.query(
    'insert into pull_request_author_nudges (repo, number, waiting_since) values ($1, $2, $3) on conflict (repo, number) do nothing',
    [key.repo, key.number, since],
  );
}

export async function authorOwesNothing(db: Queryable, key: PullRequestKey): Promise<void> {
  await db.query('delete from pull_request_author_nudges where repo = $1 and number = $2', [key.repo, key.number]);
}

/** Ends the author's debt once no reviewer's latest verdict asks for changes any more. */
export async function settleAuthorDebt(db: Queryable, key: PullRequestKey): Promise<void> {
  await db.query(
    `delete from pull_request_author_nudges a where a.repo = $1 and a.number = $2
       and not exists (select 1 from pull_request_reviewers r where r.repo = a.repo and r.number = a.number and r.state = 'changes_requested')`,
    [key.repo, key.number],
  );
}
