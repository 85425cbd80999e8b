import { randomBytes } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { DOCS, githubRoutes, matchRoute, type Route, type RouteMatch, type RouteResponse } from './github-routes.ts';
import { GitHubShapes } from './github-shapes.ts';
import {
  GitHubApiError,
  GitHubState,
  type CheckRunInput,
  type CheckRunRecord,
  type CommitInput,
  type CommitStatusInput,
  type CommitStatusRecord,
  type DeploymentRecord,
  type GitHubCommit,
  type GitHubUser,
  type GitHubUserInput,
  type PullRequestInput,
  type PullRequestRecord,
  type ReactionRecord,
  type RepoRecord,
  type ReviewInput,
  type ReviewRecord,
  type WorkflowDispatch,
  type WorkflowInput,
  type WorkflowRecord,
  type WorkflowRunInput,
  type WorkflowRunRecord,
} from './github-state.ts';
import { closeServer, isRecord, readBody, sendEmpty, sendJson, startServer, type RunningServer } from './http.ts';
import { ChangeFeed, listForHumans, Recorder, type ChangeListener, type Predicate } from './recording.ts';

export type { ChangeListener, FakeChange } from './recording.ts';
export { VIEWER_LOGIN } from './github-state.ts';
export type {
  CheckConclusion,
  CheckRunInput,
  CheckRunRecord,
  CheckStatus,
  CommitAuthor,
  CommitInput,
  CommitState,
  CommitStatusInput,
  CommitStatusRecord,
  DeploymentRecord,
  DeploymentStatusRecord,
  GitHubCommit,
  GitHubUser,
  GitHubUserInput,
  PullRequestInput,
  PullRequestRecord,
  ReactionRecord,
  RepoRecord,
  ReviewInput,
  ReviewRecord,
  ReviewState,
  WorkflowDispatch,
  WorkflowInput,
  WorkflowRecord,
  WorkflowRunInput,
  WorkflowRunRecord,
  WorkflowRunStatus,
} from './github-state.ts';

export interface FakeGitHubApiOptions {
  port?: number;
  /** The clock (epoch ms) behind `created_at` and similar timestamps. */
  now?: () => number;
}

export interface GitHubCall {
  /** The matched route in Octokit's notation (`POST /repos/{owner}/{repo}/deployments`), else `METHOD /path`. */
  route: string;
  method: string;
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  status: number;
  at: number;
}

export interface FailureRule {
  method?: string;
  path?: RegExp;
  status: number;
  /** Defaults to GitHub's error shape with the status text as `message`. */
  body?: unknown;
  headers?: Record<string, string>;
}

const DEFAULT_WAIT_MS = 5_000;

/** What GitHub allows a token per hour, and what its refusal says once that is used up. */
const HOURLY_LIMIT = 5000;
const HOUR_MS = 60 * 60_000;
const RATE_LIMIT_DOCS = 'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api';

export interface RateLimitSetting {
  remaining: number;
  limit?: number;
  /** What `x-ratelimit-reset` says. */
  resetAt: Date;
  /** How a call past the limit is refused: 403 (the primary limit) or 429. */
  refuseWith?: 403 | 429;
}

interface RateLimit extends Required<RateLimitSetting> {
  /** Set by `setRateLimit`: the numbers stay as set (counting down) instead of refilling at the fake's own clock. */
  held: boolean;
}

/**
 * A local, stateful stand-in for GitHub's REST API, for the real Octokit:
 * `new Octokit({ baseUrl: fake.url })`.
 */
export class FakeGitHubApi {
  readonly #now: () => number;
  readonly #calls = new Recorder<GitHubCall>();
  readonly #changes = new ChangeFeed();
  #failures: FailureRule[] = [];
  #outage: FailureRule | undefined;
  #state: GitHubState;
  #routes: Route[] = [];
  #running: RunningServer | undefined;
  #rateLimit: RateLimit;

  private constructor(options: FakeGitHubApiOptions) {
    this.#now = options.now ?? Date.now;
    this.#state = new GitHubState(this.#now);
    this.#rateLimit = this.#freshHour();
  }

  static async start(options: FakeGitHubApiOptions = {}): Promise<FakeGitHubApi> {
    const fake = new FakeGitHubApi(options);
    fake.#running = await startServer((req, res) => fake.#handle(req, res), options.port);
    fake.#routes = githubRoutes(fake.#state, new GitHubShapes(fake.url, fake.#state));
    return fake;
  }

  /** The REST base URL, for Octokit's `baseUrl`, e.g. `http://127.0.0.1:54321`. */
  get url(): string {
    if (!this.#running) throw new Error('FakeGitHubApi is not running');
    return this.#running.origin;
  }

  async close(): Promise<void> {
    if (this.#running) await closeServer(this.#running.server);
    this.#running = undefined;
  }

  /** Forgets every call, pending failure, user and repository. */
  reset(): void {
    this.#calls.clear();
    this.#failures = [];
    this.#outage = undefined;
    this.#rateLimit = this.#freshHour();
    this.#state = new GitHubState(this.#now);
    this.#routes = githubRoutes(this.#state, new GitHubShapes(this.url, this.#state));
    this.#changes.emit('reset');
  }

  on(_event: 'change', listener: ChangeListener): () => void {
    return this.#changes.on(listener);
  }

  // --- recorded calls ---

  get calls(): readonly GitHubCall[] {
    return this.#calls.items;
  }

  /** Calls to a route in Octokit's notation, e.g. `POST /repos/{owner}/{repo}/deployments`. */
  callsTo(route: string): GitHubCall[] {
    return this.calls.filter((call) => call.route === route);
  }

  waitFor(
    route: string,
    predicate: Predicate<GitHubCall> = () => true,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<GitHubCall> {
    return this.#calls.waitFor(
      (call) => call.route === route && predicate(call),
      timeoutMs,
      () => `no ${route} call matched; calls received:${listForHumans(this.calls.map(describeCall))}`,
    );
  }

  /**
   * Holds the rate limit at these numbers: each call counts down from `remaining`, and at 0 every
   * call is refused as GitHub refuses it, until this is called again. `x-ratelimit-reset` says `resetAt`.
   */
  setRateLimit(setting: RateLimitSetting): void {
    this.#rateLimit = { limit: HOURLY_LIMIT, refuseWith: 403, ...setting, held: true };
  }

  /** Answers the next request matching `method` and `path` with this status (and body) instead. */
  failNext(rule: FailureRule): void {
    this.#failures.push(rule);
  }

  /** Answers every request matching `method` and `path` with this status until `endOutage()` (GitHub having a bad time). */
  startOutage(rule: FailureRule): void {
    this.#outage = rule;
  }

  endOutage(): void {
    this.#outage = undefined;
  }

  // --- seeding ---

  addUser(input: GitHubUserInput): GitHubUser {
    return this.#seeded(this.#state.addUser(input));
  }

  addRepo(fullName: string, options: { defaultBranch?: string; private?: boolean } = {}): RepoRecord {
    return this.#seeded(this.#state.addRepo(fullName, options));
  }

  addCommit(repo: string, input: CommitInput): GitHubCommit {
    return this.#seeded(this.#state.addCommit(this.repo(repo), input));
  }

  /** Points a branch at a SHA; an unknown SHA becomes a new commit on top of the branch. */
  setBranch(repo: string, branch: string, sha: string): void {
    this.#seeded(this.#state.setBranch(this.repo(repo), branch, sha));
  }

  setTag(repo: string, tag: string, sha: string): void {
    this.#seeded(this.#state.setTag(this.repo(repo), tag, sha));
  }

  /** Adds a commit status; the newest one per context counts, as on GitHub. */
  setCommitStatus(repo: string, sha: string, input: CommitStatusInput): CommitStatusRecord {
    const record = this.repo(repo);
    return this.#seeded(this.#state.addStatus(record, this.#commitFor(record, sha).sha, input));
  }

  /** Adds a check run; a newer run of the same name supersedes older ones. */
  setCheckRun(repo: string, sha: string, input: CheckRunInput): CheckRunRecord {
    const record = this.repo(repo);
    return this.#seeded(this.#state.addCheckRun(record, this.#commitFor(record, sha).sha, input));
  }

  addPullRequest(repo: string, input: PullRequestInput): PullRequestRecord {
    return this.#seeded(this.#state.addPullRequest(this.repo(repo), input));
  }

  addReview(repo: string, pullNumber: number, input: ReviewInput): ReviewRecord {
    return this.#seeded(this.#state.addReview(this.pullRequest(repo, pullNumber), input));
  }

  /** Declares a workflow, e.g. with the `run-name` a dispatch renders into its run's `display_title`. */
  addWorkflow(repo: string, input: WorkflowInput): WorkflowRecord {
    return this.#seeded(this.#state.addWorkflow(this.repo(repo), input));
  }

  /** A run nobody dispatched through the API (a push, a dispatch from the Actions tab); update its fields directly. */
  addWorkflowRun(repo: string, input: WorkflowRunInput): WorkflowRunRecord {
    return this.#seeded(this.#state.addWorkflowRun(this.repo(repo), input));
  }

  // --- reading state ---

  repo(fullName: string): RepoRecord {
    const repo = this.#state.repo(fullName);
    if (!repo) {
      const known = this.#state.repos().map((record) => record.full_name);
      throw new Error(`FakeGitHubApi has no repository ${fullName}; it has: ${known.join(', ') || 'none'}`);
    }
    return repo;
  }

  pullRequest(repo: string, pullNumber: number): PullRequestRecord {
    const pull = this.repo(repo).pulls.get(pullNumber);
    if (!pull) throw new Error(`FakeGitHubApi has no pull request ${repo}#${pullNumber}`);
    return pull;
  }

  deployments(repo: string): DeploymentRecord[] {
    return this.repo(repo).deployments;
  }

  dispatches(repo: string): WorkflowDispatch[] {
    return this.repo(repo).dispatches;
  }

  /** Every workflow run of a repository, oldest first; dispatches start one each. */
  workflowRuns(repo: string): WorkflowRunRecord[] {
    return this.repo(repo).workflowRuns;
  }

  reactions(repo: string): ReactionRecord[] {
    return this.repo(repo).reactions;
  }

  #commitFor(repo: RepoRecord, ref: string): GitHubCommit {
    return this.#state.resolveRef(repo, ref) ?? this.#state.addCommit(repo, { sha: ref });
  }

  #seeded<T>(result: T): T {
    this.#changes.emit('seed');
    return result;
  }

  // --- HTTP ---

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const text = await readBody(req);
    const body = parseBody(text);
    const match = matchRoute(this.#routes, method, url.pathname);
    const response = this.#withinRateLimit(
      () =>
        this.#takeFailure(method, url.pathname) ??
        (body === undefined ? problemsParsingJson() : this.#respond(match, body ?? {}, url)),
    );
    this.#calls.add({
      route: match?.route.route ?? `${method} ${url.pathname}`,
      method,
      path: url.pathname,
      params: match?.params ?? {},
      query: Object.fromEntries(url.searchParams),
      body: body === undefined ? text : body,
      status: response.status,
      at: this.#now(),
    });
    send(res, response);
    if (method !== 'GET' && response.status < 300) this.#changes.emit(match?.route.route ?? method);
  }

  #respond(match: RouteMatch | undefined, body: Record<string, unknown>, url: URL): RouteResponse {
    if (!match) return errorResponse(new GitHubApiError(404, 'Not Found'), DOCS);
    try {
      return match.route.handle({ params: match.params, body, url });
    } catch (error) {
      if (error instanceof GitHubApiError) return errorResponse(error, `${DOCS}/${match.route.docs}`);
      throw error;
    }
  }

  /** Counts the call against the hour's limit (refusing it past the limit) and says where the limit stands, as GitHub does on every response. */
  #withinRateLimit(respond: () => RouteResponse): RouteResponse {
    if (!this.#rateLimit.held && this.#now() >= this.#rateLimit.resetAt.getTime()) this.#rateLimit = this.#freshHour();
    const limit = this.#rateLimit;
    const allowed = limit.remaining > 0;
    if (allowed) limit.remaining -= 1;
    const response: RouteResponse = allowed
      ? respond()
      : {
          status: limit.refuseWith,
          body: {
            message: 'API rate limit exceeded for installation ID 1.',
            documentation_url: RATE_LIMIT_DOCS,
            status: String(limit.refuseWith),
          },
        };
    const headers = {
      'x-ratelimit-limit': String(limit.limit),
      'x-ratelimit-remaining': String(limit.remaining),
      'x-ratelimit-used': String(limit.limit - limit.remaining),
      'x-ratelimit-reset': String(Math.floor(limit.resetAt.getTime() / 1000)),
      'x-ratelimit-resource': 'core',
    };
    return { ...response, headers: { ...headers, ...response.headers } };
  }

  #freshHour(): RateLimit {
    return {
      limit: HOURLY_LIMIT,
      remaining: HOURLY_LIMIT,
      resetAt: new Date(this.#now() + HOUR_MS),
      refuseWith: 403,
      held: false,
    };
  }

  #takeFailure(method: string, path: string): RouteResponse | undefined {
    const matches = (candidate: FailureRule) =>
      (candidate.method ?? method).toUpperCase() === method && (candidate.path?.test(path) ?? true);
    const rule = this.#failures.find(matches) ?? (this.#outage && matches(this.#outage) ? this.#outage : undefined);
    if (!rule) return undefined;
    this.#failures = this.#failures.filter((other) => other !== rule);
    const message = STATUS_CODES[rule.status] ?? 'Error';
    const body = rule.body ?? { message, documentation_url: DOCS, status: String(rule.status) };
    return { status: rule.status, body, headers: rule.headers };
  }
}

/** `undefined` for malformed JSON, `null` for no body, else the JSON object (non-objects count as none). */
function parseBody(text: string): Record<string, unknown> | null | undefined {
  if (text.trim() === '') return null;
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : null;
  } catch {
    return undefined;
  }
}

function problemsParsingJson(): RouteResponse {
  return { status: 400, body: { message: 'Problems parsing JSON', documentation_url: DOCS, status: '400' } };
}

function errorResponse(error: GitHubApiError, documentationUrl: string): RouteResponse {
  return {
    status: error.status,
    body: {
      message: error.message,
      ...error.details,
      documentation_url: documentationUrl,
      status: String(error.status),
    },
  };
}

function send(res: ServerResponse, { status, body, headers = {} }: RouteResponse): void {
  const withRequestId = { 'X-GitHub-Request-Id': randomBytes(8).toString('hex').toUpperCase(), ...headers };
  if (body === undefined) sendEmpty(res, status, withRequestId);
  else sendJson(res, status, body, withRequestId);
}

function describeCall(call: GitHubCall): string {
  const body = call.body === null ? '' : ` ${JSON.stringify(call.body)}`;
  return `${call.method} ${call.path}${body} → ${call.status}`;
}
