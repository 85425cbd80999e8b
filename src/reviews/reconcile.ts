import type { Deps } from '../deps.ts';
import {
  fetchPullRequestOnGitHub,
  type PullRequestOnGitHub,
  type PullState,
  type ReviewVerdict,
} from '../github/review-queries.ts';
import type { Queryable } from '../store/index.ts';

type ReviewerState = 'requested' | 'removed' | ReviewVerdict;

/** A tracked pull request whose thread may need re-rendering. */
export interface RepairedPullRequest {
  repo: string;
  number: number;
  channel: string;
  threadTs: string | null;
}

/** Re-renders the root message of a pull request that reconciling changed. */
export type OnRepaired = (pr: RepairedPullRequest) => Promise<void>;

interface PullRow {
  repo: string;
  number: number;
  channel: string;
  thread_ts: string | null;
  state: PullState;
  title: string;
  additions: number;
  deletions: number;
  head_sha: string | null;
}

interface ReviewerChange {
  login: string;
  from: ReviewerState | undefined;
  to: ReviewerState;
}

/**
 * GitHub does not redeliver a webhook that failed, so each open tracked pull request is compared
 * with the API and repaired without a word in its thread; `onRepaired` is called for those that
 * changed. Returns them.
 */
export async function reconcilePullRequests(
  deps: Pick<Deps, 'store' | 'github' | 'now' | 'log'>,
  onRepaired: OnRepaired,
): Promise<RepairedPullRequest[]> {
  const rows = await deps.store.query<PullRow>(
    `select repo, number, channel, thread_ts, state, title, additions, deletions, head_sha
       from pull_requests where state in ('open', 'draft') order by repo, number`,
  );
  const repaired: RepairedPullRequest[] = [];
  for (const row of rows) {
    const pr = { repo: row.repo, number: row.number, channel: row.channel, threadTs: row.thread_ts };
    try {
      if (!(await reconcileOne(deps, row))) continue;
      repaired.push(pr);
      await onRepaired(pr);
    } catch (error) {
      deps.log.warn(
        { err: error, repo: row.repo, number: row.number },
        'could not reconcile a pull request with GitHub',
      );
    }
  }
  return repaired;
}

async function reconcileOne(deps: Pick<Deps, 'store' | 'github' | 'now' | 'log'>, row: PullRow): Promise<boolean> {
  const onGitHub = await fetchPullRequestOnGitHub(deps.github, row.repo, row.number);
  const now = deps.now();
  const changes = await deps.store.transaction(async (tx) => [
    ...(await repairPullRequest(tx, row, onGitHub, now)),
    ...(await repairReviewers(tx, row, onGitHub, now)),
  ]);
  if (changes.length > 0)
    deps.log.info({ repo: row.repo, number: row.number, changes }, 'repaired a pull request from GitHub');
  return changes.length > 0;
}

/** State, title, size and head as GitHub has them; skipped if a webhook changed the state meanwhile. */
async function repairPullRequest(
  tx: Queryable,
  row: PullRow,
  onGitHub: PullRequestOnGitHub,
  now: Date,
): Promise<string[]> {
  const github = {
    state: onGitHub.state,
    title: onGitHub.title,
    additions: onGitHub.additions,
    deletions: onGitHub.deletions,
    head_sha: onGitHub.headSha,
  };
  const differing = (Object.keys(github) as Array<keyof typeof github>).filter((key) => row[key] !== github[key]);
  if (differing.length === 0) return [];
  const updated = await tx.query(
    `update pull_requests set state = $3, title = $4, additions = $5, deletions = $6, head_sha = $7, updated_at = $8
      where repo = $1 and number = $2 and state = $9 returning 1`,
    [
      row.repo,
      row.number,
      github.state,
      github.title,
      github.additions,
      github.deletions,
      github.head_sha,
      now,
      row.state,
    ],
  );
  return updated.length === 0 ? [] : differing.map((key) => `${key}: ${String(row[key])} → ${String(github[key])}`);
}

/** What GitHub says a reviewer's state is: requested beats any review; a request gone with no review is removed. */
function githubReviewerState(
  login: string,
  tracked: ReviewerState | undefined,
  onGitHub: PullRequestOnGitHub,
): ReviewerState | undefined {
  if (onGitHub.requested.includes(login)) return 'requested';
  const review = onGitHub.standingReviews.get(login);
  if (review) return review.verdict;
  return tracked === 'requested' ? 'removed' : tracked;
}

async function repairReviewers(
  tx: Queryable,
  row: PullRow,
  onGitHub: PullRequestOnGitHub,
  now: Date,
): Promise<string[]> {
  const rows = await tx.query<{ reviewer: string; state: ReviewerState }>(
    'select reviewer, state from pull_request_reviewers where repo = $1 and number = $2',
    [row.repo, row.number],
  );
  const tracked = new Map(rows.map((reviewer) => [reviewer.reviewer, reviewer.state]));
  const changes: ReviewerChange[] = [];
  for (const login of new Set([...tracked.keys(), ...onGitHub.requested, ...onGitHub.standingReviews.keys()])) {
    const from = tracked.get(login);
    const to = githubReviewerState(login, from, onGitHub);
    if (to === undefined || to === from) continue;
    if (await setReviewerState(tx, row, { login, from, to }, now)) changes.push({ login, from, to });
  }
  await repairAuthorNudge(tx, row, onGitHub, changes);
  return changes.map((change) => `${change.login}: ${change.from ?? 'untracked'} → ${change.to}`);
}

/** A new request restarts the nudge clock; other states have none. Compare-and-set on the state read, so a webhook handled meanwhile wins. */
async function setReviewerState(tx: Queryable, row: PullRow, change: ReviewerChange, now: Date): Promise<boolean> {
  const restart = change.to === 'requested';
  const key = [row.repo, row.number, change.login];
  const rows =
    change.from === undefined
      ? await tx.query(
          `insert into pull_request_reviewers (repo, number, reviewer, state, requested_at, updated_at)
           values ($1, $2, $3, $4, $5, $6) on conflict do nothing returning 1`,
          [...key, change.to, restart ? now : null, now],
        )
      : await tx.query(
          `update pull_request_reviewers
              set state = $4, updated_at = $5, requested_at = $6,
                  last_nudged_at = case when $8 then null else last_nudged_at end,
                  snoozed_until = case when $8 then null else snoozed_until end
            where repo = $1 and number = $2 and reviewer = $3 and state = $7 returning 1`,
          [...key, change.to, now, restart ? now : null, change.from, restart],
        );
  return rows.length > 0;
}

/**
 * A missed request for changes leaves the author owing them (since that review); a reviewer
 * moved on from asking for changes, with nobody else still asking, releases the author.
 */
async function repairAuthorNudge(
  tx: Queryable,
  row: PullRow,
  onGitHub: PullRequestOnGitHub,
  changes: ReviewerChange[],
): Promise<void> {
  const askedForChanges = changes.filter((change) => change.to === 'changes_requested');
  if (askedForChanges.length > 0) {
    const since = Math.max(
      ...askedForChanges.map((change) => onGitHub.standingReviews.get(change.login)!.submittedAt.getTime()),
    );
    await tx.query(
      `insert into pull_request_author_nudges (repo, number, waiting_since) values ($1, $2, $3) on conflict do nothing`,
      [row.repo, row.number, new Date(since)],
    );
    return;
  }
  if (!changes.some((change) => change.from === 'changes_requested')) return;
  await tx.query(
    `delete from pull_request_author_nudges a where repo = $1 and number = $2
        and not exists (select 1 from pull_request_reviewers r where r.repo = a.repo and r.number = a.number and r.state = 'changes_requested')`,
    [row.repo, row.number],
  );
}
