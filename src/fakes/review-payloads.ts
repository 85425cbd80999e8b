import { webhookExample } from './webhook-examples.ts';

/**
 * Real review webhook payloads from @octokit/webhooks-examples, patched to a repository, pull
 * request, people and verdict: for tests, the bench and a sandbox that fires GitHub events.
 */

const DEFAULT_REPO = 'acme/api';

export interface PullRequestPatch {
  number: number;
  author?: string;
  title?: string;
  draft?: boolean;
  merged?: boolean;
  state?: 'open' | 'closed';
  reviewers?: string[];
  additions?: number;
  deletions?: number;
  sender?: string;
  repo?: string;
}

const htmlUrl = (repo: string, number: number) => `https://github.com/${repo}/pull/${number}`;

/** The parts of the example payloads these helpers patch. */
interface Login {
  login: string;
}
interface PayloadShape {
  repository: { full_name: string; name: string; owner: Login };
  sender: Login;
}
interface PullRequestShape extends PayloadShape {
  number: number;
  pull_request: {
    number: number;
    html_url: string;
    title: string;
    user: Login;
    draft: boolean;
    merged: boolean;
    state: string;
    additions: number;
    deletions: number;
    requested_reviewers: Login[];
    requested_teams: unknown[];
  };
  requested_reviewer?: Login;
  requested_team?: { name: string; slug: string };
}
interface ReviewShape extends PayloadShape {
  pull_request: { number: number; html_url: string; user: Login };
  review: { id: number; user: Login; state: string; html_url: string };
}
interface CommentShape extends PayloadShape {
  issue: { number: number; html_url: string; user: Login; pull_request?: unknown };
  comment: { id: number; body: string; user: Login; html_url: string; author_association: string };
}

function patchRepository(payload: PayloadShape, repo: string) {
  const [owner, name] = repo.split('/');
  payload.repository.full_name = repo;
  payload.repository.name = name;
  payload.repository.owner.login = owner;
}

let senderTemplate: Login | undefined;
const user = (login: string): Login => ({
  ...(senderTemplate ??= webhookExample('pull_request', 'opened').sender),
  login,
});

export type PullRequestAction =
  | 'opened'
  | 'review_requested'
  | 'review_request_removed'
  | 'ready_for_review'
  | 'converted_to_draft'
  | 'closed'
  | 'synchronize';

/** A real `pull_request` payload, patched to this repo, pull request, people and size. */
export function pullRequestPayload(
  action: PullRequestAction,
  pr: PullRequestPatch,
  changed?: { reviewer?: string; team?: string },
) {
  const repo = pr.repo ?? DEFAULT_REPO;
  const payload = webhookExample('pull_request', action) as unknown as PullRequestShape;
  patchRepository(payload, repo);
  payload.number = pr.number;
  const pull = payload.pull_request;
  pull.number = pr.number;
  pull.html_url = htmlUrl(repo, pr.number);
  pull.title = pr.title ?? `Change ${pr.number}`;
  pull.user.login = pr.author ?? 'octocat';
  pull.draft = pr.draft ?? false;
  pull.merged = pr.merged ?? false;
  pull.state = pr.state ?? (action === 'closed' ? 'closed' : 'open');
  pull.additions = pr.additions ?? 12;
  pull.deletions = pr.deletions ?? 3;
  pull.requested_reviewers = (pr.reviewers ?? []).map(user);
  pull.requested_teams = [];
  payload.sender = user(pr.sender ?? pr.author ?? 'octocat');
  if (changed?.reviewer) payload.requested_reviewer = user(changed.reviewer);
  if (changed?.team) {
    delete payload.requested_reviewer;
    payload.requested_team = { name: changed.team, slug: changed.team };
  }
  return payload;
}

/** A real `pull_request_review` `submitted` payload with this reviewer, verdict and review ID. */
export function reviewPayload(review: {
  number: number;
  reviewer: string;
  state: 'approved' | 'changes_requested' | 'commented';
  id: number;
  author?: string;
  repo?: string;
}) {
  const repo = review.repo ?? DEFAULT_REPO;
  const payload = webhookExample('pull_request_review', 'submitted') as unknown as ReviewShape;
  patchRepository(payload, repo);
  payload.pull_request.number = review.number;
  payload.pull_request.html_url = htmlUrl(repo, review.number);
  payload.pull_request.user.login = review.author ?? 'octocat';
  payload.review.id = review.id;
  payload.review.user.login = review.reviewer;
  payload.review.state = review.state;
  payload.review.html_url = `${htmlUrl(repo, review.number)}#pullrequestreview-${review.id}`;
  payload.sender = user(review.reviewer);
  return payload;
}

export interface CommentPatch {
  number: number;
  by: string;
  body: string;
  id: number;
  repo?: string;
  /** The pull request's (or issue's) author; default octocat, as in `pullRequestPayload`. */
  author?: string;
  /** GitHub's `author_association` of the commenter; default the example's `OWNER`. */
  association?:
    | 'OWNER'
    | 'MEMBER'
    | 'COLLABORATOR'
    | 'CONTRIBUTOR'
    | 'FIRST_TIMER'
    | 'FIRST_TIME_CONTRIBUTOR'
    | 'MANNEQUIN'
    | 'NONE';
  /** A comment on an issue rather than on a pull request. */
  onIssue?: boolean;
}

/** A real `issue_comment` `created` payload, on a pull request unless `onIssue` (the examples only have issue comments). */
export function commentPayload(comment: CommentPatch) {
  const repo = comment.repo ?? DEFAULT_REPO;
  const payload = webhookExample('issue_comment', 'created') as unknown as CommentShape;
  patchRepository(payload, repo);
  payload.issue.number = comment.number;
  payload.issue.html_url = comment.onIssue
    ? `https://github.com/${repo}/issues/${comment.number}`
    : htmlUrl(repo, comment.number);
  payload.issue.user = user(comment.author ?? 'octocat');
  if (comment.onIssue) delete payload.issue.pull_request;
  else
    payload.issue.pull_request = {
      url: `https://api.github.com/repos/${repo}/pulls/${comment.number}`,
      html_url: htmlUrl(repo, comment.number),
      diff_url: null,
      patch_url: null,
    };
  payload.comment.id = comment.id;
  payload.comment.body = comment.body;
  payload.comment.user.login = comment.by;
  payload.comment.author_association = comment.association ?? 'OWNER';
  payload.comment.html_url = `${payload.issue.html_url}#issuecomment-${comment.id}`;
  payload.sender = user(comment.by);
  return payload;
}
