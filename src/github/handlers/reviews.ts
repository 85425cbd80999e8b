import type { Webhooks } from '@octokit/webhooks';
import type { Deps } from '../../deps.ts';
import { mayPingFromComment } from '../../permissions.ts';
import {
  askedForReviewInComment,
  claimMarks,
  closed,
  convertedToDraft,
  firstSightOfUntrackedRepo,
  getPullRequest,
  keyOf,
  linkCodeIn,
  markedReady,
  openedForReview,
  type PullRequestKey,
  type PullRequestSnapshot,
  pushed,
  readyForReviewLogins,
  redeemCode,
  type RedeemOutcome,
  refreshPullRequest,
  reopened,
  repoHasService,
  reviewHomeOf,
  reviewRequested,
  reviewRequestRemoved,
  reviewSubmitted,
  saidResolved,
  saysResolved,
  tellSlackUser,
  type ThreadNote,
  type TrackedPullRequest,
  trackPullRequest,
  type Verdict,
} from '../../reviews/index.ts';
import { linkCodeExpired, linkCodeFromWrongLogin, linkedByCode, linkMovedAway } from '../../slack/render/reviews.ts';
import { ReviewThreads } from '../../slack/review-threads.ts';
import type { Queryable } from '../../store/index.ts';

/** A pull request as webhooks and the REST API both describe it. */
interface GitHubPullRequest {
  number: number;
  title: string;
  html_url: string;
  user: { login: string } | null;
  state: string;
  draft?: boolean;
  merged?: boolean | null;
  additions?: number;
  deletions?: number;
  head: { sha: string };
  created_at: string;
  /** People; GitHub's types allow teams here too, but teams are read from `requested_teams`. */
  requested_reviewers?: Array<object | null> | null;
  requested_teams?: Array<{ slug?: string } | null> | null;
}

interface Repository {
  full_name: string;
  owner: { login: string } | null;
}

/** What the Slack user who asked for a link code hears when it is posted. */
function linkCodeAnswer(outcome: RedeemOutcome) {
  switch (outcome.kind) {
    case 'linked':
      return linkedByCode(outcome.login, outcome.slackUser);
    case 'expired':
      return linkCodeExpired(outcome.login);
    case 'wrong_login':
      return linkCodeFromWrongLogin(outcome.login, outcome.postedBy);
  }
}

const VERDICTS: Record<string, Verdict> = {
  approved: 'approved',
  changes_requested: 'changes_requested',
  commented: 'commented',
};

const loginOf = (user: { login: string } | null | undefined) => user?.login ?? 'someone';
const teamKey = (repository: Repository, slug: string | undefined) =>
  slug ? `${loginOf(repository.owner)}/${slug}`.toLowerCase() : undefined;

function snapshotOf(pr: GitHubPullRequest): PullRequestSnapshot {
  return {
    title: pr.title,
    url: pr.html_url,
    author: loginOf(pr.user),
    state: pr.merged ? 'merged' : pr.state === 'closed' ? 'closed' : pr.draft ? 'draft' : 'open',
    additions: pr.additions ?? 0,
    deletions: pr.deletions ?? 0,
    headSha: pr.head.sha,
    openedAt: new Date(pr.created_at),
  };
}

/** The people and teams a pull request asks for review now (in a team, `owner/slug`). */
function requestedOf(pr: GitHubPullRequest, repository: Repository): string[] {
  const people = (pr.requested_reviewers ?? []).flatMap((r) =>
    r && 'login' in r && typeof r.login === 'string' ? [r.login] : [],
  );
  const teams = (pr.requested_teams ?? []).flatMap((t) => teamKey(repository, t?.slug) ?? []);
  return [...people, ...teams];
}

/** The one reviewer (or team) a `review_requested` or `review_request_removed` event is about. */
function reviewerNamedIn(
  payload: { repository: Repository } & (
    | { requested_reviewer: { login: string } | null }
    | { requested_team: { slug?: string } }
  ),
): string | undefined {
  return 'requested_reviewer' in payload
    ? payload.requested_reviewer?.login
    : teamKey(payload.repository, payload.requested_team.slug);
}

export interface ReviewWebhookOptions {
  /** How long to wait for the rest of a burst before posting it as one reply (default 1.5 s; tests use less). */
  foldMs?: number;
}

/**
 * Pull requests, their reviews and their comments, as one Slack thread per pull request in
 * the review channel of the repo's service. A thread starts when someone is asked to review;
 * events about pull requests without a thread are ignored.
 */
export function registerReviewWebhooks(webhooks: Webhooks, deps: Deps, options: ReviewWebhookOptions = {}): void {
  const threads = new ReviewThreads(deps, options.foldMs);
  const log = deps.log.child({ component: 'review-webhooks' });

  /** Where a repo's reviews go; undefined for a repo tugboat does not discuss (a repo with no service is logged once). */
  async function homeOf(repo: string) {
    const config = deps.config();
    const home = reviewHomeOf(config, repo);
    if (!home && !repoHasService(config, repo) && (await firstSightOfUntrackedRepo(deps.store, repo, deps.now()))) {
      log.info({ repo }, 'webhooks arrive from a repo that belongs to no service in tugboat.yml; ignoring them');
    }
    return home;
  }

  /** Starts (or continues) tracking a pull request; undefined when its repo has no review channel. */
  async function track(repository: Repository, pr: GitHubPullRequest): Promise<PullRequestKey | undefined> {
    const home = await homeOf(repository.full_name);
    if (!home) return undefined;
    const key = keyOf(repository.full_name, pr.number);
    await trackPullRequest(deps.store, key, home, snapshotOf(pr), deps.now());
    return key;
  }

  /** An already tracked pull request, brought up to date when the event carries it whole. */
  async function tracked(
    repository: Repository,
    number: number,
    whole?: GitHubPullRequest,
  ): Promise<TrackedPullRequest | undefined> {
    if (!(await homeOf(repository.full_name))) return undefined;
    const key = keyOf(repository.full_name, number);
    const pr = await getPullRequest(deps.store, key);
    if (pr && whole) await refreshPullRequest(deps.store, key, snapshotOf(whole), deps.now());
    return pr;
  }

  /** For the events that only matter to a pull request with a thread. */
  async function onTrackedPullRequest(
    payload: { repository: Repository; pull_request: GitHubPullRequest },
    change: (tx: Queryable, key: PullRequestKey, now: Date) => Promise<ThreadNote[]>,
  ): Promise<void> {
    const pr = await tracked(payload.repository, payload.pull_request.number, payload.pull_request);
    if (pr) await threads.record(pr, (tx, now) => change(tx, pr, now));
  }

  webhooks.on('pull_request.opened', async ({ payload }) => {
    const reviewers = requestedOf(payload.pull_request, payload.repository);
    if (reviewers.length === 0) return;
    const key = await track(payload.repository, payload.pull_request);
    if (key) await threads.record(key, (tx, now) => openedForReview(tx, key, loginOf(payload.sender), reviewers, now));
  });

  webhooks.on('pull_request.review_requested', async ({ payload }) => {
    // One event per reviewer: only the one it names is new.
    const reviewer = reviewerNamedIn(payload);
    if (!reviewer) return;
    const key = await track(payload.repository, payload.pull_request);
    if (key) await threads.record(key, (tx, now) => reviewRequested(tx, key, loginOf(payload.sender), reviewer, now));
  });

  webhooks.on('pull_request.review_request_removed', ({ payload }) => {
    const reviewer = reviewerNamedIn(payload);
    if (!reviewer) return;
    return onTrackedPullRequest(payload, (tx, key, now) =>
      reviewRequestRemoved(tx, key, loginOf(payload.sender), reviewer, now),
    );
  });

  webhooks.on('pull_request.ready_for_review', ({ payload }) =>
    onTrackedPullRequest(payload, (tx, key, now) => markedReady(tx, key, loginOf(payload.sender), now)),
  );

  webhooks.on('pull_request.converted_to_draft', ({ payload }) =>
    onTrackedPullRequest(payload, (tx, key, now) => convertedToDraft(tx, key, loginOf(payload.sender), now)),
  );

  webhooks.on('pull_request.closed', ({ payload }) =>
    onTrackedPullRequest(payload, (tx, key, now) =>
      closed(tx, key, loginOf(payload.sender), Boolean(payload.pull_request.merged), now),
    ),
  );

  webhooks.on('pull_request.reopened', ({ payload }) =>
    onTrackedPullRequest(payload, (tx, key, now) =>
      reopened(tx, key, loginOf(payload.sender), Boolean(payload.pull_request.draft), now),
    ),
  );

  webhooks.on('pull_request.synchronize', ({ payload }) =>
    onTrackedPullRequest(payload, (tx, key, now) => pushed(tx, key, loginOf(payload.sender), now)),
  );

  webhooks.on('pull_request_review.submitted', async ({ payload }) => {
    const verdict = VERDICTS[payload.review.state.toLowerCase()];
    if (!verdict || !payload.review.user) return;
    const pr = await tracked(payload.repository, payload.pull_request.number);
    if (!pr) return;
    const review = {
      id: payload.review.id,
      reviewer: payload.review.user.login,
      verdict,
      submittedAt: new Date(payload.review.submitted_at ?? deps.now()),
      url: payload.review.html_url,
    };
    await threads.record(pr, (tx, now) => reviewSubmitted(tx, pr, review, pr.author, now));
  });

  webhooks.on('issue_comment.created', async ({ payload }) => {
    const { repository, issue, comment } = payload;
    if (!comment.user) return;
    const home = await homeOf(repository.full_name);
    if (repoHasService(deps.config(), repository.full_name)) await takeLinkCode(comment.user.login, comment.body);
    // Comments are read only where tugboat keeps review threads, and only from people who may ask.
    if (!home || !issue.pull_request) return;
    const author = loginOf(issue.user);
    if (
      !mayPingFromComment({
        by: comment.user.login,
        association: comment.author_association,
        pullRequestAuthor: author,
      })
    ) {
      log.debug(
        {
          repo: repository.full_name,
          number: issue.number,
          by: comment.user.login,
          association: comment.author_association,
        },
        'ignoring a comment from someone who may not ask for review',
      );
      return;
    }
    // GitHub refuses to ask the author to review their own pull request.
    const reviewers = readyForReviewLogins(comment.body).filter(
      (login) => login.toLowerCase() !== author.toLowerCase(),
    );
    const resolved = saysResolved(comment.body);
    if (reviewers.length === 0 && !resolved) return;
    const pr =
      (await tracked(repository, issue.number)) ??
      (reviewers.length > 0 ? await trackFromGitHub(repository, issue.number) : undefined);
    if (!pr) return;
    const said = { by: comment.user.login, url: comment.html_url };
    await threads.record(
      pr,
      async (tx, now) => {
        // The same comment may be delivered again under another delivery ID: its mark is made with its notes.
        if ((await claimMarks(tx, pr, [`comment:${comment.id}`], now)).length === 0) return [];
        return [
          ...(reviewers.length > 0 ? await askedForReviewInComment(tx, pr, { ...said, reviewers }, now) : []),
          ...(resolved ? await saidResolved(tx, pr, said) : []),
        ];
      },
      // A comment asking for review always has notes (the ask), so GitHub hears it once, as before.
      async () => reviewers.length > 0 && askOnGitHub(repository.full_name, pr.number, reviewers, comment.id),
    );
  });

  /** `tugboat-link <code>` in a comment on any issue or pull request of a watched repo: its author proves a `/tugboat link` claim. */
  async function takeLinkCode(postedBy: string, body: string): Promise<void> {
    const code = linkCodeIn(body);
    if (!code) return;
    const outcome = await redeemCode(deps, postedBy, code);
    if (!outcome) return log.debug({ postedBy }, 'a comment carries a link code that no claim has');
    log.info(
      { outcome: outcome.kind, login: outcome.login, slackUser: outcome.slackUser, postedBy },
      'a link code was posted',
    );
    if (outcome.kind === 'linked' && outcome.previous)
      await tellSlackUser(deps, outcome.previous, linkMovedAway(outcome.login, outcome.slackUser, 'code'));
    await tellSlackUser(deps, outcome.slackUser, linkCodeAnswer(outcome));
  }

  /** A `ready for review` comment on a pull request without a thread yet starts one. */
  async function trackFromGitHub(repository: Repository, number: number): Promise<TrackedPullRequest | undefined> {
    if (!(await homeOf(repository.full_name))) return undefined;
    const key = await track(repository, await deps.github.pullRequest(repository.full_name, number));
    return key && getPullRequest(deps.store, key);
  }

  /** So GitHub and Slack agree on who is asked, and the commenter sees tugboat heard them. */
  async function askOnGitHub(repo: string, number: number, reviewers: string[], commentId: number): Promise<void> {
    await Promise.all([
      deps.github
        .requestReviewers(repo, number, reviewers)
        .catch((error) => log.warn({ err: error, repo, number, reviewers }, 'GitHub refused the review request')),
      deps.github
        .reactToComment(repo, commentId, 'eyes')
        .catch((error) => log.warn({ err: error, repo, commentId }, 'could not react to a comment')),
    ]);
  }
}
