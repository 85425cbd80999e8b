import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../config/index.ts';
import type { DeploymentRecord, FakeGitHubApi, PullRequestRecord, RepoRecord } from '../fakes/github-api.ts';
import type { GitHubSender } from '../fakes/github-sender.ts';
import { commentPayload, pullRequestPayload, reviewPayload } from '../fakes/review-payloads.ts';
import { webhookExample } from '../fakes/webhook-examples.ts';
import { greenCi } from './seed.ts';

/**
 * The page's GitHub panel: each action changes the fake GitHub the way GitHub would (so tugboat's
 * API calls about it succeed) and then delivers the webhook GitHub would send, built from a real
 * payload (@octokit/webhooks-examples) patched to the sandbox's repositories and people, signed
 * with the webhook secret.
 */

export class PanelError extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const repoField = z.string({ error: 'repo is required, as owner/name' });
const loginField = (name: string) =>
  z.string({ error: `${name} is required: a GitHub login` }).min(1, { error: `${name} is required: a GitHub login` });
const numberField = z.number({ error: 'number is required: the pull request number' }).int();

export const panelBodies = {
  open_pr: z.object({
    repo: repoField,
    author: loginField('author'),
    title: z.string({ error: 'title is required' }).trim().min(1, { error: 'title is required' }),
  }),
  request_review: z.object({ repo: repoField, number: numberField, reviewer: loginField('reviewer') }),
  comment: z.object({
    repo: repoField,
    number: numberField,
    author: loginField('author'),
    body: z.string({ error: 'body is required' }).trim().min(1, { error: 'body is required' }),
  }),
  review: z.object({
    repo: repoField,
    number: numberField,
    reviewer: loginField('reviewer'),
    state: z.enum(['approved', 'changes_requested'], { error: 'state must be approved or changes_requested' }),
  }),
  merge: z.object({ repo: repoField, number: numberField }),
  deployment_status: z.object({
    deployment_id: z.number({ error: 'deployment_id is required' }).int(),
    state: z.enum(['success', 'failure'], { error: 'state must be success or failure' }),
  }),
};

export type PanelEvent = keyof typeof panelBodies;

export interface PanelPullRequest {
  number: number;
  title: string;
  author: string;
  state: 'open' | 'closed' | 'merged';
  draft: boolean;
  requested_reviewers: string[];
  reviews: Array<{ reviewer: string; state: string }>;
  url: string;
}

export interface PanelDeployment {
  id: number;
  repo: string;
  sha: string;
  ref: string;
  environment: string;
  state: string;
}

export class GitHubPanel {
  readonly #api: FakeGitHubApi;
  readonly #sender: GitHubSender;
  readonly #config: () => Config;
  readonly #onChange: () => void;
  #commentId = 1_000_000;

  constructor(options: { api: FakeGitHubApi; sender: GitHubSender; config: () => Config; onChange: () => void }) {
    this.#api = options.api;
    this.#sender = options.sender;
    this.#config = options.config;
    this.#onChange = options.onChange;
  }

  // --- what the page shows ---

  repos(): Array<{ fullName: string; defaultBranch: string; prs: PanelPullRequest[] }> {
    return this.#repoNames().map((fullName) => {
      const repo = this.#api.repo(fullName);
      return {
        fullName: repo.full_name,
        defaultBranch: repo.default_branch,
        prs: [...repo.pulls.values()].sort((a, b) => a.number - b.number).map((pull) => describePull(repo, pull)),
      };
    });
  }

  logins(): Array<{ login: string; slackUser: string }> {
    return Object.entries(this.#config().people).map(([login, slackUser]) => ({ login, slackUser }));
  }

  /** GitHub deployments (for `via: github-deployment`) that have no final status yet. */
  pendingDeployments(): PanelDeployment[] {
    return this.#repoNames().flatMap((fullName) =>
      this.#api
        .deployments(fullName)
        .filter((d) => !isFinal(latestState(d)))
        .map((d) => ({
          id: d.id,
          repo: this.#api.repo(fullName).full_name,
          sha: d.sha,
          ref: d.ref,
          environment: d.environment,
          state: latestState(d),
        })),
    );
  }

  // --- actions ---

  async openPullRequest({
    repo: name,
    author,
    title,
  }: z.output<typeof panelBodies.open_pr>): Promise<{ number: number }> {
    const repo = this.#repo(name);
    this.#person(author, 'author');
    const number = Math.max(0, ...repo.pulls.keys()) + 1;
    const base = repo.default_branch;
    const baseSha = repo.branches.get(base)!;
    const head = { ref: `${author}/change-${number}`, sha: randomBytes(20).toString('hex') };
    this.#api.addCommit(repo.full_name, {
      sha: head.sha,
      message: title,
      parents: [baseSha],
      author: { login: author, name: author },
    });
    this.#api.setBranch(repo.full_name, head.ref, head.sha);
    greenCi(this.#api, repo.full_name, head.sha);
    const pull = this.#api.addPullRequest(repo.full_name, { number, title, user: author, head, base: { ref: base } });
    await this.#deliver('pull_request', withBranches(pullRequestPayload('opened', this.#patch(repo, pull)), pull));
    return { number };
  }

  async requestReview({ repo: name, number, reviewer }: z.output<typeof panelBodies.request_review>): Promise<void> {
    const repo = this.#repo(name);
    const pull = this.#openPull(repo, number);
    const login = this.#person(reviewer, 'reviewer');
    if (login.toLowerCase() === pull.user.toLowerCase())
      throw new PanelError(`${login} wrote #${number}: a review cannot be requested from the pull request's author.`);
    if (!pull.requested_reviewers.some((r) => r.toLowerCase() === login.toLowerCase()))
      pull.requested_reviewers.push(login);
    await this.#deliver(
      'pull_request',
      withBranches(pullRequestPayload('review_requested', this.#patch(repo, pull), { reviewer: login }), pull),
    );
  }

  async comment({ repo: name, number, author, body }: z.output<typeof panelBodies.comment>): Promise<void> {
    const repo = this.#repo(name);
    const pull = this.#pull(repo, number);
    const login = this.#person(author, 'author');
    this.#commentId += 1;
    await this.#deliver(
      'issue_comment',
      commentPayload({ number, by: login, body, id: this.#commentId, repo: repo.full_name, author: pull.user }),
    );
  }

  async review({ repo: name, number, reviewer, state }: z.output<typeof panelBodies.review>): Promise<void> {
    const repo = this.#repo(name);
    const pull = this.#openPull(repo, number);
    const login = this.#person(reviewer, 'reviewer');
    if (login.toLowerCase() === pull.user.toLowerCase())
      throw new PanelError(`${login} wrote #${number}: authors cannot review their own pull request.`);
    const record = this.#api.addReview(repo.full_name, number, {
      user: login,
      state: state === 'approved' ? 'APPROVED' : 'CHANGES_REQUESTED',
      commit_id: pull.head.sha,
    });
    // A review answers the request for it, as on GitHub.
    pull.requested_reviewers = pull.requested_reviewers.filter((r) => r.toLowerCase() !== login.toLowerCase());
    await this.#deliver(
      'pull_request_review',
      reviewPayload({ number, reviewer: login, state, id: record.id, author: pull.user, repo: repo.full_name }),
    );
  }

  /** Merges into the base branch and pushes it: a service with `auto_deploy` on that branch deploys. */
  async merge({ repo: name, number }: z.output<typeof panelBodies.merge>): Promise<{ sha: string }> {
    const repo = this.#repo(name);
    const pull = this.#openPull(repo, number);
    const before = repo.branches.get(pull.base.ref)!;
    const sha = randomBytes(20).toString('hex');
    const message = `Merge pull request #${number} from ${pull.head.ref}\n\n${pull.title}`;
    this.#api.addCommit(repo.full_name, {
      sha,
      message,
      parents: [before, pull.head.sha],
      author: { login: pull.user, name: pull.user },
    });
    greenCi(this.#api, repo.full_name, sha);
    this.#api.setBranch(repo.full_name, pull.base.ref, sha);
    pull.state = 'closed';
    pull.merged = true;
    await this.#deliver(
      'pull_request',
      withBranches(pullRequestPayload('closed', { ...this.#patch(repo, pull), merged: true, state: 'closed' }), pull),
    );
    await this.#deliver('push', pushPayload(repo, pull, before, sha, message));
    return { sha };
  }

  /** What a CD system reports back on a GitHub deployment tugboat created. */
  async deploymentStatus({ deployment_id: id, state }: z.output<typeof panelBodies.deployment_status>): Promise<void> {
    const found = this.#repoNames()
      .map((fullName) => ({
        repo: this.#api.repo(fullName),
        deployment: this.#api.deployments(fullName).find((d) => d.id === id),
      }))
      .find((candidate) => candidate.deployment);
    if (!found?.deployment) {
      const pending = this.pendingDeployments().map((d) => `#${d.id}`);
      throw new PanelError(
        `There is no GitHub deployment ${id}; ${pending.length ? `pending ones: ${pending.join(', ')}` : 'none is pending'}.`,
        404,
      );
    }
    const { repo, deployment } = found;
    // Through the fake's own REST route, as a CD system reports a status.
    const response = await fetch(`${this.#api.url}/repos/${repo.full_name}/deployments/${id}/statuses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'token sandbox-cd' },
      body: JSON.stringify({
        state,
        description: state === 'success' ? 'Deployed by the sandbox' : 'The sandbox reported a failure',
      }),
    });
    if (!response.ok) throw new PanelError(`GitHub refused the deployment status: ${await response.text()}`, 502);
    const status = deployment.statuses.at(-1)!;
    const payload = webhookExample('deployment_status', 'created') as unknown as DeploymentStatusShape;
    patchRepository(payload, repo.full_name);
    Object.assign(payload.deployment, {
      id,
      sha: deployment.sha,
      ref: deployment.ref,
      environment: deployment.environment,
      original_environment: deployment.original_environment,
      payload: deployment.payload,
      task: deployment.task,
      created_at: deployment.created_at,
      updated_at: deployment.updated_at,
    });
    Object.assign(payload.deployment_status, {
      id: status.id,
      state,
      description: status.description,
      environment: deployment.environment,
      target_url: '',
      log_url: '',
    });
    await this.#deliver('deployment_status', payload);
  }

  // --- helpers ---

  async #deliver(event: string, payload: unknown): Promise<void> {
    this.#onChange();
    const result = await this.#sender.deliver(event, payload);
    if (result.status >= 300)
      throw new PanelError(`tugboat answered the ${event} webhook with ${result.status}: ${result.body}`, 502);
  }

  #repoNames(): string[] {
    const seen = new Map<string, string>();
    for (const service of Object.values(this.#config().services)) seen.set(service.repo.toLowerCase(), service.repo);
    return [...seen.values()].filter((name) => {
      try {
        this.#api.repo(name);
        return true;
      } catch {
        return false;
      }
    });
  }

  #repo(name: string): RepoRecord {
    const known = this.#repoNames();
    const fullName = known.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
    if (!fullName)
      throw new PanelError(`There is no repository ${name} in the sandbox; it has ${known.join(' and ')}.`);
    return this.#api.repo(fullName);
  }

  #person(login: string, role: string): string {
    const known = Object.keys(this.#config().people);
    const found = known.find((candidate) => candidate.toLowerCase() === login.replace(/^@/, '').toLowerCase());
    if (!found)
      throw new PanelError(
        `${login} is not one of the sandbox's people; the ${role} must be one of ${known.join(', ')}.`,
      );
    return found;
  }

  #pull(repo: RepoRecord, number: number): PullRequestRecord {
    const pull = repo.pulls.get(number);
    if (!pull) throw new PanelError(`${repo.full_name} has no pull request #${number}.`, 404);
    return pull;
  }

  #openPull(repo: RepoRecord, number: number): PullRequestRecord {
    const pull = this.#pull(repo, number);
    if (pull.state !== 'open')
      throw new PanelError(`${repo.full_name}#${number} is ${pull.merged ? 'merged' : 'closed'} already.`, 409);
    return pull;
  }

  #patch(repo: RepoRecord, pull: PullRequestRecord) {
    return {
      number: pull.number,
      author: pull.user,
      title: pull.title,
      repo: repo.full_name,
      reviewers: [...pull.requested_reviewers],
      sender: pull.user,
      draft: pull.draft,
    };
  }
}

interface Login {
  login: string;
}
interface RepositoryShape {
  repository: { full_name: string; name: string; owner: Login; default_branch?: string };
}
interface DeploymentStatusShape extends RepositoryShape {
  deployment: Record<string, unknown>;
  deployment_status: Record<string, unknown>;
}

function patchRepository(payload: RepositoryShape, fullName: string): void {
  const [owner, name] = fullName.split('/');
  payload.repository.full_name = fullName;
  payload.repository.name = name;
  payload.repository.owner.login = owner;
}

/** The example payloads' head and base are someone else's branches: make them this pull request's. */
function withBranches<T>(payload: T, pull: PullRequestRecord): T {
  const shape = payload as unknown as {
    pull_request: {
      head: { ref: string; sha: string; label?: string };
      base: { ref: string; sha: string; label?: string };
    };
  };
  Object.assign(shape.pull_request.head, { ref: pull.head.ref, sha: pull.head.sha, label: pull.head.ref });
  Object.assign(shape.pull_request.base, { ref: pull.base.ref, sha: pull.base.sha, label: pull.base.ref });
  return payload;
}

/** A real `push` to a branch, patched to this repository, commit and pusher. */
function pushPayload(repo: RepoRecord, pull: PullRequestRecord, before: string, after: string, message: string) {
  const payload = webhookExample(
    'push',
    undefined,
    (p) => p.ref.startsWith('refs/heads/') && !p.deleted,
  ) as unknown as RepositoryShape & {
    ref: string;
    before: string;
    after: string;
    compare: string;
    pusher: { name: string; email?: string };
    sender: Login;
    commits: Array<Record<string, unknown>>;
    head_commit: Record<string, unknown>;
  };
  patchRepository(payload, repo.full_name);
  payload.repository.default_branch = repo.default_branch;
  payload.ref = `refs/heads/${pull.base.ref}`;
  payload.before = before;
  payload.after = after;
  payload.compare = `https://github.com/${repo.full_name}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`;
  payload.pusher = { name: pull.user, email: `${pull.user}@sandbox.example` };
  payload.sender.login = pull.user;
  const author = { name: pull.user, email: `${pull.user}@sandbox.example`, username: pull.user };
  const commit = {
    ...payload.head_commit,
    id: after,
    message,
    url: `https://github.com/${repo.full_name}/commit/${after}`,
    author,
    committer: author,
  };
  payload.head_commit = commit;
  payload.commits = [commit];
  return payload;
}

function describePull(repo: RepoRecord, pull: PullRequestRecord): PanelPullRequest {
  return {
    number: pull.number,
    title: pull.title,
    author: pull.user,
    state: pull.merged ? 'merged' : pull.state,
    draft: pull.draft,
    requested_reviewers: [...pull.requested_reviewers],
    reviews: pull.reviews.map((r) => ({ reviewer: r.user, state: r.state.toLowerCase() })),
    url: `https://github.com/${repo.full_name}/pull/${pull.number}`,
  };
}

function latestState(deployment: DeploymentRecord): string {
  return deployment.statuses.at(-1)?.state ?? 'pending';
}

function isFinal(state: string): boolean {
  return ['success', 'failure', 'error', 'inactive'].includes(state);
}
