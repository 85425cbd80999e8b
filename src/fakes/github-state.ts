/** A GitHub REST error: answered with `status` and `{ message, …details, documentation_url, status }`. */
export class GitHubApiError extends Error {
  readonly status: number;
  readonly details: Record<string, unknown>;

  constructor(status: number, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.details = details;
  }
}

export const notFound = (): GitHubApiError => new GitHubApiError(404, 'Not Found');

export type CommitState = 'error' | 'failure' | 'pending' | 'success';
export type CheckStatus = 'queued' | 'in_progress' | 'completed' | 'waiting' | 'requested' | 'pending';
export type CheckConclusion =
  | 'success'
  | 'failure'
  | 'neutral'
  | 'cancelled'
  | 'skipped'
  | 'timed_out'
  | 'action_required'
  | 'stale';
export type ReviewState = 'APPROVED' | 'CHANGES_REQUESTED' | 'COMMENTED' | 'DISMISSED' | 'PENDING';

export interface GitHubUserInput {
  login: string;
  email?: string;
  name?: string;
  type?: 'User' | 'Bot';
}

export interface GitHubUser {
  login: string;
  id: number;
  name: string | null;
  email: string | null;
  type: 'User' | 'Bot';
}

export interface CommitAuthor {
  name?: string;
  email?: string;
  /** The GitHub account the commit is attributed to. */
  login?: string;
  date?: string;
}

export interface CommitInput {
  sha: string;
  message?: string;
  author?: CommitAuthor;
  /** Defaults to the commit added before this one in the repository (a linear history). */
  parents?: string[];
}

export interface GitHubCommit {
  sha: string;
  message: string;
  author: { name: string; email: string; date: string };
  login?: string;
  parents: string[];
}

export interface CommitStatusInput {
  context: string;
  state: CommitState;
  target_url?: string | null;
  description?: string | null;
}

export interface CommitStatusRecord extends Required<CommitStatusInput> {
  id: number;
  sha: string;
  created_at: string;
  updated_at: string;
}

export interface CheckRunInput {
  name: string;
  status: CheckStatus;
  conclusion?: CheckConclusion | null;
  html_url?: string;
  details_url?: string;
  output?: { title?: string | null; summary?: string | null; text?: string | null };
}

export interface CheckRunRecord {
  id: number;
  sha: string;
  name: string;
  status: CheckStatus;
  conclusion: CheckConclusion | null;
  html_url: string;
  details_url: string;
  started_at: string;
  completed_at: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
}

export interface PullRequestInput {
  number: number;
  title?: string;
  body?: string | null;
  /** The author's login. */
  user?: string;
  head: { ref: string; sha: string };
  base?: { ref: string };
  state?: 'open' | 'closed';
  draft?: boolean;
  merged?: boolean;
  requested_reviewers?: string[];
}

export interface ReviewRecord {
  id: number;
  user: string;
  state: ReviewState;
  body: string;
  commit_id: string;
  submitted_at: string | null;
}

export interface ReviewInput {
  user: string;
  state: ReviewState;
  body?: string;
  commit_id?: string;
  submitted_at?: string;
}

export interface PullRequestRecord {
  number: number;
  id: number;
  title: string;
  body: string | null;
  user: string;
  head: { ref: string; sha: string };
  base: { ref: string; sha: string };
  state: 'open' | 'closed';
  draft: boolean;
  merged: boolean;
  requested_reviewers: string[];
  reviews: ReviewRecord[];
  created_at: string;
  updated_at: string;
}

export interface DeploymentStatusRecord {
  id: number;
  state: string;
  description: string;
  environment: string;
  target_url: string;
  log_url: string;
  environment_url: string;
  creator: string;
  created_at: string;
  updated_at: string;
}

export interface DeploymentRecord {
  id: number;
  sha: string;
  ref: string;
  task: string;
  environment: string;
  original_environment: string;
  payload: unknown;
  description: string | null;
  creator: string;
  transient_environment: boolean;
  production_environment: boolean;
  created_at: string;
  updated_at: string;
  statuses: DeploymentStatusRecord[];
}

export interface WorkflowDispatch {
  workflow_id: string;
  ref: string;
  inputs: Record<string, unknown>;
  at: string;
}

export interface WorkflowInput {
  /** The file under `.github/workflows/`, e.g. `deploy.yml`; dispatches name it or the numeric id. */
  file: string;
  /** The workflow's `name:`; defaults to the file name. */
  name?: string;
  /** The workflow's `run-name:`, with `${{ inputs.x }}` (or `${{ github.event.inputs.x }}`) filled from a dispatch's inputs. */
  runName?: string;
}

export interface WorkflowRecord {
  id: number;
  file: string;
  name: string;
  runName: string | undefined;
}

export type WorkflowRunStatus = 'requested' | 'queued' | 'in_progress' | 'completed';

export interface WorkflowRunInput {
  /** The file of the workflow it runs. */
  workflow: string;
  head_sha: string;
  head_branch?: string;
  event?: string;
  display_title?: string;
  status?: WorkflowRunStatus;
  conclusion?: CheckConclusion | null;
}

export interface WorkflowRunRecord {
  id: number;
  workflow_id: number;
  /** The workflow's name (GitHub's `name` of a run). */
  name: string;
  /** The run's `run-name` as rendered, or the workflow's name without one. */
  display_title: string;
  path: string;
  event: string;
  status: WorkflowRunStatus;
  conclusion: CheckConclusion | null;
  head_branch: string | null;
  head_sha: string;
  run_number: number;
  created_at: string;
  updated_at: string;
}

export interface ReactionRecord {
  id: number;
  comment_id: number;
  content: string;
  user: string;
  created_at: string;
}

export interface RepoRecord {
  id: number;
  owner: string;
  name: string;
  full_name: string;
  default_branch: string;
  private: boolean;
  /** In the order they were added, which is also a valid topological order. */
  commits: Map<string, GitHubCommit>;
  branches: Map<string, string>;
  tags: Map<string, string>;
  statuses: CommitStatusRecord[];
  checkRuns: CheckRunRecord[];
  pulls: Map<number, PullRequestRecord>;
  deployments: DeploymentRecord[];
  dispatches: WorkflowDispatch[];
  workflows: WorkflowRecord[];
  workflowRuns: WorkflowRunRecord[];
  reactions: ReactionRecord[];
}

/** A context that must be green before GitHub creates a deployment, and how it stands. */
export interface ContextState {
  context: string;
  state: string;
}

export interface Comparison {
  status: 'ahead' | 'behind' | 'identical' | 'diverged';
  ahead: GitHubCommit[];
  behind: GitHubCommit[];
  base: GitHubCommit;
  mergeBase: GitHubCommit | undefined;
}

/** The login the fake's API caller acts as (creator of deployments, reactions and statuses). */
export const VIEWER_LOGIN = 'tugboat[bot]';

/** The state of a fake GitHub: users and repositories with their commits, checks, pulls and deployments. */
export class GitHubState {
  readonly #now: () => number;
  readonly #repos = new Map<string, RepoRecord>();
  readonly #users = new Map<string, GitHubUser>();
  #lastId = 0;

  constructor(now: () => number) {
    this.#now = now;
    this.addUser({ login: VIEWER_LOGIN, type: 'Bot' });
  }

  nextId(): number {
    this.#lastId += 1;
    return this.#lastId;
  }

  /** GitHub's timestamp format: ISO 8601 to the second. */
  timestamp(): string {
    return new Date(this.#now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  // --- users ---

  addUser(input: GitHubUserInput): GitHubUser {
    const user: GitHubUser = {
      login: input.login,
      id: this.nextId(),
      name: input.name ?? null,
      email: input.email ?? null,
      type: input.type ?? 'User',
    };
    this.#users.set(input.login.toLowerCase(), user);
    return user;
  }

  user(login: string): GitHubUser | undefined {
    return this.#users.get(login.toLowerCase());
  }

  /** The user behind a login, created on first mention so seeded pull requests and commits can name anyone. */
  userFor(login: string): GitHubUser {
    return this.user(login) ?? this.addUser({ login });
  }

  // --- repositories ---

  addRepo(fullName: string, options: { defaultBranch?: string; private?: boolean } = {}): RepoRecord {
    const [owner, name] = fullName.split('/');
    if (!owner || !name) throw new Error(`A repository is named owner/name, not ${fullName}`);
    this.userFor(owner);
    const repo: RepoRecord = {
      id: this.nextId(),
      owner,
      name,
      full_name: `${owner}/${name}`,
      default_branch: options.defaultBranch ?? 'main',
      private: options.private ?? false,
      commits: new Map(),
      branches: new Map(),
      tags: new Map(),
      statuses: [],
      checkRuns: [],
      pulls: new Map(),
      deployments: [],
      dispatches: [],
      workflows: [],
      workflowRuns: [],
      reactions: [],
    };
    this.#repos.set(repo.full_name.toLowerCase(), repo);
    return repo;
  }

  repos(): RepoRecord[] {
    return [...this.#repos.values()];
  }

  /** Owner and name are case-insensitive, as on GitHub. */
  repo(fullName: string): RepoRecord | undefined {
    return this.#repos.get(fullName.toLowerCase());
  }

  requireRepo(owner: string, name: string): RepoRecord {
    const repo = this.repo(`${owner}/${name}`);
    if (!repo) throw notFound();
    return repo;
  }

  // --- commits and refs ---

  addCommit(repo: RepoRecord, input: CommitInput): GitHubCommit {
    const previous = [...repo.commits.keys()].at(-1);
    const commit: GitHubCommit = {
      sha: input.sha,
      message: input.message ?? `Commit ${input.sha.slice(0, 7)}`,
      author: {
        name: input.author?.name ?? input.author?.login ?? 'Octo Cat',
        email: input.author?.email ?? 'octocat@github.com',
        date: input.author?.date ?? this.timestamp(),
      },
      login: input.author?.login,
      parents: input.parents ?? (previous ? [previous] : []),
    };
    if (commit.login) this.userFor(commit.login);
    repo.commits.set(commit.sha, commit);
    return commit;
  }

  /** Points a branch at a commit; an unknown SHA becomes a new commit on top of the branch. */
  setBranch(repo: RepoRecord, branch: string, sha: string): void {
    if (!repo.commits.has(sha)) {
      const head = repo.branches.get(branch);
      this.addCommit(repo, { sha, parents: head ? [head] : undefined });
    }
    repo.branches.set(branch, sha);
  }

  setTag(repo: RepoRecord, tag: string, sha: string): void {
    if (!repo.commits.has(sha)) this.addCommit(repo, { sha });
    repo.tags.set(tag, sha);
  }

  /** A branch or tag name (optionally `heads/…`, `tags/…`, `refs/…`), or a full or abbreviated SHA. */
  resolveRef(repo: RepoRecord, ref: string): GitHubCommit | undefined {
    const name = ref.replace(/^refs\//, '');
    const sha = name.startsWith('heads/')
      ? repo.branches.get(name.slice('heads/'.length))
      : name.startsWith('tags/')
        ? repo.tags.get(name.slice('tags/'.length))
        : (repo.branches.get(name) ?? repo.tags.get(name) ?? uniqueShaWithPrefix(repo, name));
    return sha === undefined ? undefined : repo.commits.get(sha);
  }

  /** Like GitHub's `GET …/commits/{ref}`: 422 when the ref names no commit. */
  requireCommit(repo: RepoRecord, ref: string): GitHubCommit {
    const commit = this.resolveRef(repo, ref);
    if (!commit) throw new GitHubApiError(422, `No commit found for SHA: ${ref}`);
    return commit;
  }

  compare(repo: RepoRecord, baseRef: string, headRef: string): Comparison {
    const base = this.resolveRef(repo, baseRef);
    const head = this.resolveRef(repo, headRef);
    if (!base || !head) throw notFound();
    const baseHistory = ancestry(repo, base.sha);
    const headHistory = ancestry(repo, head.sha);
    const inOrder = [...repo.commits.values()];
    const ahead = inOrder.filter((commit) => headHistory.has(commit.sha) && !baseHistory.has(commit.sha));
    const behind = inOrder.filter((commit) => baseHistory.has(commit.sha) && !headHistory.has(commit.sha));
    const mergeBase = inOrder.filter((commit) => baseHistory.has(commit.sha) && headHistory.has(commit.sha)).at(-1);
    return { status: comparisonStatus(ahead.length, behind.length), ahead, behind, base, mergeBase };
  }

  // --- statuses and checks ---

  addStatus(repo: RepoRecord, sha: string, input: CommitStatusInput): CommitStatusRecord {
    const at = this.timestamp();
    const status: CommitStatusRecord = {
      id: this.nextId(),
      sha,
      context: input.context,
      state: input.state,
      target_url: input.target_url ?? null,
      description: input.description ?? null,
      created_at: at,
      updated_at: at,
    };
    repo.statuses.push(status);
    return status;
  }

  /** The newest status of each context (contexts are case-insensitive), newest first. */
  latestStatuses(repo: RepoRecord, sha: string): CommitStatusRecord[] {
    const byContext = new Map<string, CommitStatusRecord>();
    for (const status of repo.statuses) {
      if (status.sha === sha) byContext.set(status.context.toLowerCase(), status);
    }
    return [...byContext.values()].reverse();
  }

  /** A check run with the name of an existing one on the same commit replaces it (a re-run). */
  addCheckRun(repo: RepoRecord, sha: string, input: CheckRunInput): CheckRunRecord {
    const id = this.nextId();
    const completed = input.status === 'completed';
    const run: CheckRunRecord = {
      id,
      sha,
      name: input.name,
      status: input.status,
      conclusion: completed ? (input.conclusion ?? 'success') : null,
      html_url: input.html_url ?? `https://github.com/${repo.full_name}/runs/${id}`,
      details_url: input.details_url ?? input.html_url ?? `https://github.com/${repo.full_name}/runs/${id}`,
      started_at: this.timestamp(),
      completed_at: completed ? this.timestamp() : null,
      output: { title: null, summary: null, text: null, ...input.output },
    };
    repo.checkRuns.push(run);
    return run;
  }

  /** Like GitHub's `filter=latest`: the newest run of each check name, newest first. */
  latestCheckRuns(repo: RepoRecord, sha: string): CheckRunRecord[] {
    const byName = new Map<string, CheckRunRecord>();
    for (const run of repo.checkRuns) {
      if (run.sha === sha) byName.set(run.name, run);
    }
    return [...byName.values()].reverse();
  }

  /** Every status context and check run on a commit, as the deployments API verifies them. */
  contextStates(repo: RepoRecord, sha: string): ContextState[] {
    return [
      ...this.latestStatuses(repo, sha).map(({ context, state }) => ({ context, state })),
      ...this.latestCheckRuns(repo, sha).map((run) => ({ context: run.name, state: checkRunState(run) })),
    ];
  }

  // --- workflows ---

  addWorkflow(repo: RepoRecord, input: WorkflowInput): WorkflowRecord {
    const workflow: WorkflowRecord = {
      id: this.nextId(),
      file: input.file,
      name: input.name ?? input.file,
      runName: input.runName,
    };
    repo.workflows.push(workflow);
    return workflow;
  }

  /**
   * A workflow by file name or numeric id. One never added is taken to exist, named after its
   * file and without a `run-name`, so tests that only dispatch need not declare it.
   */
  workflow(repo: RepoRecord, idOrFile: string): WorkflowRecord {
    const found = repo.workflows.find((workflow) => workflow.file === idOrFile || String(workflow.id) === idOrFile);
    if (found) return found;
    if (/^\d+$/.test(idOrFile)) throw notFound();
    return this.addWorkflow(repo, { file: idOrFile });
  }

  /** What a `workflow_dispatch` starts: a queued run of the ref's head commit, titled by the workflow's `run-name`. */
  dispatchWorkflow(
    repo: RepoRecord,
    idOrFile: string,
    ref: string,
    inputs: Record<string, unknown>,
  ): WorkflowRunRecord {
    const workflow = this.workflow(repo, idOrFile);
    const commit = this.resolveRef(repo, ref);
    if (!commit) throw new GitHubApiError(422, `No ref found for: ${ref}`);
    repo.dispatches.push({ workflow_id: idOrFile, ref, inputs, at: this.timestamp() });
    return this.addWorkflowRun(repo, {
      workflow: workflow.file,
      head_sha: commit.sha,
      head_branch: ref.replace(/^refs\/(heads|tags)\//, ''),
      event: 'workflow_dispatch',
      display_title: workflow.runName === undefined ? workflow.name : renderRunName(workflow.runName, inputs),
    });
  }

  addWorkflowRun(repo: RepoRecord, input: WorkflowRunInput): WorkflowRunRecord {
    const workflow = this.workflow(repo, input.workflow);
    const at = this.timestamp();
    const run: WorkflowRunRecord = {
      id: this.nextId(),
      workflow_id: workflow.id,
      name: workflow.name,
      display_title: input.display_title ?? workflow.name,
      path: `.github/workflows/${workflow.file}`,
      event: input.event ?? 'push',
      status: input.status ?? 'queued',
      conclusion: input.conclusion ?? null,
      head_branch: input.head_branch ?? null,
      head_sha: input.head_sha,
      run_number: repo.workflowRuns.filter((other) => other.workflow_id === workflow.id).length + 1,
      created_at: at,
      updated_at: at,
    };
    repo.workflowRuns.push(run);
    return run;
  }

  // --- pull requests ---

  addPullRequest(repo: RepoRecord, input: PullRequestInput): PullRequestRecord {
    const author = this.userFor(input.user ?? 'octocat').login;
    const baseRef = input.base?.ref ?? repo.default_branch;
    if (!repo.commits.has(input.head.sha)) this.addCommit(repo, { sha: input.head.sha });
    const at = this.timestamp();
    const pull: PullRequestRecord = {
      number: input.number,
      id: this.nextId(),
      title: input.title ?? `Pull request #${input.number}`,
      body: input.body ?? null,
      user: author,
      head: { ...input.head },
      base: { ref: baseRef, sha: repo.branches.get(baseRef) ?? input.head.sha },
      state: input.state ?? 'open',
      draft: input.draft ?? false,
      merged: input.merged ?? false,
      requested_reviewers: (input.requested_reviewers ?? []).map((login) => this.userFor(login).login),
      reviews: [],
      created_at: at,
      updated_at: at,
    };
    repo.pulls.set(pull.number, pull);
    return pull;
  }

  requirePull(repo: RepoRecord, number: number): PullRequestRecord {
    const pull = repo.pulls.get(number);
    if (!pull) throw notFound();
    return pull;
  }

  /** A submitted review also takes its author off the requested reviewers, as on GitHub. */
  addReview(pull: PullRequestRecord, input: ReviewInput): ReviewRecord {
    const user = this.userFor(input.user).login;
    const review: ReviewRecord = {
      id: this.nextId(),
      user,
      state: input.state,
      body: input.body ?? '',
      commit_id: input.commit_id ?? pull.head.sha,
      submitted_at: input.state === 'PENDING' ? null : (input.submitted_at ?? this.timestamp()),
    };
    pull.reviews.push(review);
    if (input.state !== 'PENDING') {
      pull.requested_reviewers = pull.requested_reviewers.filter((login) => login.toLowerCase() !== user.toLowerCase());
    }
    return review;
  }

  requestReviewers(repo: RepoRecord, pull: PullRequestRecord, logins: string[]): void {
    for (const login of logins) {
      if (login.toLowerCase() === pull.user.toLowerCase()) {
        throw new GitHubApiError(422, 'Review cannot be requested from pull request author.');
      }
      if (!this.user(login)) {
        throw new GitHubApiError(
          422,
          'Reviews may only be requested from collaborators. One or more of the users or teams you specified ' +
            `is not a collaborator of the ${repo.full_name} repository.`,
        );
      }
    }
    const added = logins.map((login) => (this.user(login) as GitHubUser).login);
    pull.requested_reviewers = [...new Set([...pull.requested_reviewers, ...added])];
    pull.updated_at = this.timestamp();
  }
}

/** A `run-name` with its `${{ inputs.x }}` and `${{ github.event.inputs.x }}` expressions filled in (others become empty). */
function renderRunName(template: string, inputs: Record<string, unknown>): string {
  return template.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expression: string) => {
    const input = /^(?:github\.event\.)?inputs\.([\w-]+)$/.exec(expression)?.[1];
    return input === undefined ? '' : String(inputs[input] ?? '');
  });
}

function uniqueShaWithPrefix(repo: RepoRecord, prefix: string): string | undefined {
  if (!/^[0-9a-f]{4,40}$/i.test(prefix)) return undefined;
  const matches = [...repo.commits.keys()].filter((sha) => sha.startsWith(prefix.toLowerCase()));
  return matches.length === 1 ? matches[0] : undefined;
}

function ancestry(repo: RepoRecord, sha: string): Set<string> {
  const seen = new Set<string>();
  const pending = [sha];
  while (pending.length > 0) {
    const next = pending.pop() as string;
    if (seen.has(next)) continue;
    seen.add(next);
    pending.push(...(repo.commits.get(next)?.parents ?? []));
  }
  return seen;
}

function comparisonStatus(aheadBy: number, behindBy: number): Comparison['status'] {
  if (aheadBy === 0 && behindBy === 0) return 'identical';
  if (behindBy === 0) return 'ahead';
  if (aheadBy === 0) return 'behind';
  return 'diverged';
}

/** A check run seen as a status context: green only once completed with a passing conclusion. */
function checkRunState(run: CheckRunRecord): string {
  if (run.status !== 'completed') return 'pending';
  return run.conclusion === 'success' || run.conclusion === 'neutral' || run.conclusion === 'skipped'
    ? 'success'
    : 'failure';
}

/**
 * GitHub's combined status: failure if any context is error or failure,
 * pending if there are none or any is pending, otherwise success.
 */
export function combinedState(statuses: Array<{ state: CommitState }>): CommitState {
  if (statuses.some((status) => status.state === 'error' || status.state === 'failure')) return 'failure';
  if (statuses.length === 0 || statuses.some((status) => status.state === 'pending')) return 'pending';
  return 'success';
}
