import { webhookExample } from '../../src/fakes/webhook-examples.ts';
import { startHarness, type Harness, type TestClock } from './harness.ts';
import type { StoreBackend, TestDatabase } from './stores.ts';

export const REVIEW_CHANNEL = 'C0REVIEWS';
export const REPO = 'acme/api';

/** The fixture's shape: `api` discusses its pull requests in C0REVIEWS, `web` has no review channel. */
export const REVIEWS_TEST_CONFIG = `
timezone: America/New_York
environments:
  staging:
    channel: C0STAGING
services:
  api:
    repo: acme/api
    environments: [staging]
    deploy: { via: github-deployment }
    review_channel: C0REVIEWS
  web:
    repo: acme/web
    environments: [staging]
    deploy: { via: github-deployment }
people:
  octocat: U0ALICE
  bob: U0BOB
  carol: U0CAROL
`;

/** The app with the review webhooks registered, as app.ts will register them. */
export async function startReviewHarness(options: { backend: StoreBackend; db?: TestDatabase; foldMs?: number; clock?: TestClock }): Promise<Harness> {
  return startHarness({ backend: options.backend, db: options.db, clock: options.clock, configYaml: REVIEWS_TEST_CONFIG, reviews: { foldMs: options.foldMs ?? 20 } });
}

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
  issue: { number: number; html_url: string; pull_request?: unknown };
  comment: { id: number; body: string; user: Login; html_url: string };
}

function patchRepository(payload: PayloadShape, repo: string) {
  const [owner, name] = repo.split('/');
  payload.repository.full_name = repo;
  payload.repository.name = name;
  payload.repository.owner.login = owner;
}

const user = (login: string): Login => ({ ...webhookExample('pull_request', 'opened').sender, login });

type PullRequestAction = 'opened' | 'review_requested' | 'review_request_removed' | 'ready_for_review' | 'converted_to_draft' | 'closed' | 'synchronize';

/** A real `pull_request` payload, patched to this repo, pull request, people and size. */
export function pullRequestPayload(action: PullRequestAction, pr: PullRequestPatch, changed?: { reviewer?: string; team?: string }) {
  const repo = pr.repo ?? REPO;
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
export function reviewPayload(review: { number: number; reviewer: string; state: 'approved' | 'changes_requested' | 'commented'; id: number; author?: string }) {
  const payload = webhookExample('pull_request_review', 'submitted') as unknown as ReviewShape;
  patchRepository(payload, REPO);
  payload.pull_request.number = review.number;
  payload.pull_request.html_url = htmlUrl(REPO, review.number);
  payload.pull_request.user.login = review.author ?? 'octocat';
  payload.review.id = review.id;
  payload.review.user.login = review.reviewer;
  payload.review.state = review.state;
  payload.review.html_url = `${htmlUrl(REPO, review.number)}#pullrequestreview-${review.id}`;
  payload.sender = user(review.reviewer);
  return payload;
}

/** A real `issue_comment` `created` payload, on a pull request (the examples only have issue comments). */
export function commentPayload(comment: { number: number; by: string; body: string; id: number; repo?: string }) {
  const repo = comment.repo ?? REPO;
  const payload = webhookExample('issue_comment', 'created') as unknown as CommentShape;
  patchRepository(payload, repo);
  payload.issue.number = comment.number;
  payload.issue.html_url = htmlUrl(repo, comment.number);
  payload.issue.pull_request = { url: `https://api.github.com/repos/${repo}/pulls/${comment.number}`, html_url: htmlUrl(repo, comment.number), diff_url: null, patch_url: null };
  payload.comment.id = comment.id;
  payload.comment.body = comment.body;
  payload.comment.user.login = comment.by;
  payload.comment.html_url = `${htmlUrl(repo, comment.number)}#issuecomment-${comment.id}`;
  payload.sender = user(comment.by);
  return payload;
}

/** Delivers a webhook and waits until tugboat has finished with it (fold window included). */
export async function deliver(h: Harness, event: string, payload: unknown, deliveryId?: string) {
  const delivered = await h.github.deliver(event, payload, { deliveryId });
  await h.tugboat.settle();
  return delivered;
}

/** The review channel's root messages, as Slack shows them now. */
export const roots = (h: Harness) => h.slackApi.messages(REVIEW_CHANNEL);

/** The replies under the only root, oldest first. */
export function replies(h: Harness): string[] {
  const all = roots(h);
  if (all.length !== 1) throw new Error(`expected one root in ${REVIEW_CHANNEL}, found ${all.length}`);
  return h.slackApi.thread(REVIEW_CHANNEL, all[0].ts).filter((m) => m.ts !== all[0].ts).map((m) => String(m.text));
}
