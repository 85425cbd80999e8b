import type { GitHubShapes } from './github-shapes.ts';
import { isRecord } from './http.ts';
import {
  GitHubApiError,
  notFound,
  VIEWER_LOGIN,
  type DeploymentRecord,
  type DeploymentStatusRecord,
  type GitHubState,
  type RepoRecord,
  type WorkflowRunRecord,
} from './github-state.ts';

export interface RouteRequest {
  params: Record<string, string>;
  body: Record<string, unknown>;
  url: URL;
}

export interface RouteResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  /** In Octokit's notation, e.g. `GET /repos/{owner}/{repo}/commits/{ref}`. */
  route: string;
  /** The docs page GitHub names in `documentation_url` on errors. */
  docs: string;
  handle: (request: RouteRequest) => RouteResponse;
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

export const DOCS = 'https://docs.github.com/rest';

const DEPLOYMENT_STATES = new Set(['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success']);
const REACTIONS = new Set(['+1', '-1', 'laugh', 'confused', 'heart', 'hooray', 'rocket', 'eyes']);
const MAX_DEPLOYMENT_STATUS_DESCRIPTION = 140;

/** The REST endpoints the fake serves, answering from `state` in GitHub's shapes. */
export function githubRoutes(state: GitHubState, shapes: GitHubShapes): Route[] {
  const repoOf = ({ params }: RouteRequest): RepoRecord => state.requireRepo(params.owner, params.repo);

  const deploymentOf = (request: RouteRequest): { repo: RepoRecord; deployment: DeploymentRecord } => {
    const repo = repoOf(request);
    const deployment = repo.deployments.find(({ id }) => id === Number(request.params.deployment_id));
    if (!deployment) throw notFound();
    return { repo, deployment };
  };

  const runOf = (request: RouteRequest): { repo: RepoRecord; run: WorkflowRunRecord } => {
    const repo = repoOf(request);
    const run = repo.workflowRuns.find(({ id }) => id === Number(request.params.run_id));
    if (!run) throw notFound();
    return { repo, run };
  };

  return [
    {
      route: 'GET /repos/{owner}/{repo}/commits/{ref}',
      docs: 'commits/commits#get-a-commit',
      handle: (request) => {
        const repo = repoOf(request);
        return ok(shapes.commit(repo, state.requireCommit(repo, request.params.ref)));
      },
    },
    {
      route: 'GET /repos/{owner}/{repo}/commits/{ref}/status',
      docs: 'commits/statuses#get-the-combined-status-for-a-specific-reference',
      handle: (request) => {
        const repo = repoOf(request);
        const { sha } = state.requireCommit(repo, request.params.ref);
        const statuses = state.latestStatuses(repo, sha);
        const { items, headers } = paginate(statuses, request.url);
        return ok(shapes.combinedStatus(repo, sha, statuses, items), headers);
      },
    },
    {
      route: 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs',
      docs: 'checks/runs#list-check-runs-for-a-git-reference',
      handle: (request) => {
        const repo = repoOf(request);
        const { sha } = state.requireCommit(repo, request.params.ref);
        const query = request.url.searchParams;
        const runs = (
          query.get('filter') === 'all'
            ? repo.checkRuns.filter((run) => run.sha === sha).reverse()
            : state.latestCheckRuns(repo, sha)
        ).filter(
          (run) =>
            (!query.has('check_name') || run.name === query.get('check_name')) &&
            (!query.has('status') || run.status === query.get('status')),
        );
        const { items, headers } = paginate(runs, request.url);
        return ok({ total_count: runs.length, check_runs: items.map((run) => shapes.checkRun(repo, run)) }, headers);
      },
    },
    {
      route: 'POST /repos/{owner}/{repo}/deployments',
      docs: 'deployments/deployments#create-a-deployment',
      handle: (request) => {
        const repo = repoOf(request);
        const deployment = createDeployment(state, repo, request.body);
        return { status: 201, body: shapes.deployment(repo, deployment) };
      },
    },
    {
      route: 'GET /repos/{owner}/{repo}/deployments',
      docs: 'deployments/deployments#list-deployments',
      handle: (request) => {
        const repo = repoOf(request);
        const query = request.url.searchParams;
        const matching = [...repo.deployments]
          .reverse()
          .filter((deployment) =>
            (['sha', 'ref', 'task', 'environment'] as const).every(
              (field) => !query.has(field) || deployment[field] === query.get(field),
            ),
          );
        const { items, headers } = paginate(matching, request.url);
        return ok(
          items.map((deployment) => shapes.deployment(repo, deployment)),
          headers,
        );
      },
    },
    {
      route: 'GET /repos/{owner}/{repo}/deployments/{deployment_id}',
      docs: 'deployments/deployments#get-a-deployment',
      handle: (request) => {
        const { repo, deployment } = deploymentOf(request);
        return ok(shapes.deployment(repo, deployment));
      },
    },
    {
      route: 'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
      docs: 'deployments/statuses#create-a-deployment-status',
      handle: (request) => {
        const { repo, deployment } = deploymentOf(request);
        const status = createDeploymentStatus(state, deployment, request.body);
        return { status: 201, body: shapes.deploymentStatus(repo, deployment, status) };
      },
    },
    {
      route: 'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
      docs: 'deployments/statuses#list-deployment-statuses',
      handle: (request) => {
        const { repo, deployment } = deploymentOf(request);
        const { items, headers } = paginate([...deployment.statuses].reverse(), request.url);
        return ok(
          items.map((status) => shapes.deploymentStatus(repo, deployment, status)),
          headers,
        );
      },
    },
    {
      route: 'POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches',
      docs: 'actions/workflows#create-a-workflow-dispatch-event',
      handle: (request) => {
        const repo = repoOf(request);
        const ref = requiredString(request.body, 'ref');
        const inputs = isRecord(request.body.inputs) ? request.body.inputs : {};
        state.dispatchWorkflow(repo, request.params.workflow_id, ref, inputs);
        return { status: 204 };
      },
    },
    {
      route: 'GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs',
      docs: 'actions/workflow-runs#list-workflow-runs-for-a-workflow',
      handle: (request) => {
        const repo = repoOf(request);
        const workflow = state.workflow(repo, request.params.workflow_id);
        const query = request.url.searchParams;
        const created = createdFilter(query.get('created'));
        const runs = repo.workflowRuns
          .filter(
            (run) =>
              run.workflow_id === workflow.id &&
              (['event', 'head_sha', 'status'] as const).every(
                (field) => !query.has(field) || run[field] === query.get(field),
              ) &&
              (!query.has('branch') || run.head_branch === query.get('branch')) &&
              created(run.created_at),
          )
          .reverse();
        const { items, headers } = paginate(runs, request.url);
        return ok(
          { total_count: runs.length, workflow_runs: items.map((run) => shapes.workflowRun(repo, run)) },
          headers,
        );
      },
    },
    {
      route: 'GET /repos/{owner}/{repo}/actions/runs/{run_id}',
      docs: 'actions/workflow-runs#get-a-workflow-run',
      handle: (request) => {
        const { repo, run } = runOf(request);
        return ok(shapes.workflowRun(repo, run));
      },
    },
    {
      route: 'POST /repos/{owner}/{repo}/actions/runs/{run_id}/cancel',
      docs: 'actions/workflow-runs#cancel-a-workflow-run',
      handle: (request) => {
        const { run } = runOf(request);
        if (run.status === 'completed')
          throw new GitHubApiError(409, 'Cannot cancel a workflow run that is completed.');
        Object.assign(run, { status: 'completed', conclusion: 'cancelled', updated_at: state.timestamp() });
        return { status: 202, body: {} };
      },
    },
    {
      route: 'GET /repos/{owner}/{repo}/pulls/{pull_number}',
      docs: 'pulls/pulls#get-a-pull-request',
      handle: (request) => {
        const repo = repoOf(request);
        return ok(shapes.pull(repo, state.requirePull(repo, Number(request.params.pull_number))));
      },
    },
    {
      route: 'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews',
      docs: 'pulls/reviews#list-reviews-for-a-pull-request',
      handle: (request) => {
        const repo = repoOf(request);
        const pull = state.requirePull(repo, Number(request.params.pull_number));
        const { items, headers } = paginate(pull.reviews, request.url);
        return ok(
          items.map((review) => shapes.review(repo, pull, review)),
          headers,
        );
      },
    },
    {
      route: 'GET /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers',
      docs: 'pulls/review-requests#get-all-requested-reviewers-for-a-pull-request',
      handle: (request) => {
        const repo = repoOf(request);
        const pull = state.requirePull(repo, Number(request.params.pull_number));
        return ok({ users: pull.requested_reviewers.map((login) => shapes.user(login)), teams: [] });
      },
    },
    {
      route: 'POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers',
      docs: 'pulls/review-requests#request-reviewers-for-a-pull-request',
      handle: (request) => {
        const repo = repoOf(request);
        const pull = state.requirePull(repo, Number(request.params.pull_number));
        const reviewers = Array.isArray(request.body.reviewers) ? request.body.reviewers.map(String) : [];
        state.requestReviewers(repo, pull, reviewers);
        return { status: 201, body: shapes.pull(repo, pull) };
      },
    },
    {
      // Comments are not modelled: a reaction to any comment ID is accepted.
      route: 'POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions',
      docs: 'reactions/reactions#create-reaction-for-an-issue-comment',
      handle: (request) => {
        const repo = repoOf(request);
        const content = requiredString(request.body, 'content');
        if (!REACTIONS.has(content)) throw validationFailed('Reaction', 'content');
        const commentId = Number(request.params.comment_id);
        const existing = repo.reactions.find((r) => r.comment_id === commentId && r.content === content);
        if (existing) return ok(shapes.reaction(existing));
        const reaction = {
          id: state.nextId(),
          comment_id: commentId,
          content,
          user: VIEWER_LOGIN,
          created_at: state.timestamp(),
        };
        repo.reactions.push(reaction);
        return { status: 201, body: shapes.reaction(reaction) };
      },
    },
    {
      route: 'GET /users/{username}',
      docs: 'users/users#get-a-user',
      handle: ({ params }) => {
        const user = state.user(params.username);
        if (!user) throw notFound();
        return ok(shapes.profile(user));
      },
    },
    {
      route: 'GET /repos/{owner}/{repo}/compare/{basehead}',
      docs: 'commits/commits#compare-two-commits',
      handle: (request) => {
        const repo = repoOf(request);
        const [base, head, ...rest] = request.params.basehead.split('...');
        if (!base || !head || rest.length > 0) throw notFound();
        return ok(shapes.comparison(repo, base, head, state.compare(repo, base, head)));
      },
    },
  ];
}

function createDeployment(state: GitHubState, repo: RepoRecord, body: Record<string, unknown>): DeploymentRecord {
  const ref = requiredString(body, 'ref');
  const commit = state.resolveRef(repo, ref);
  if (!commit) throw new GitHubApiError(422, `No ref found for: ${ref}`);
  verifyRequiredContexts(state, repo, commit.sha, ref, body.required_contexts);
  const environment = typeof body.environment === 'string' ? body.environment : 'production';
  const at = state.timestamp();
  const deployment: DeploymentRecord = {
    id: state.nextId(),
    sha: commit.sha,
    ref,
    task: typeof body.task === 'string' ? body.task : 'deploy',
    environment,
    original_environment: environment,
    payload: body.payload ?? {},
    description: typeof body.description === 'string' ? body.description : null,
    creator: VIEWER_LOGIN,
    transient_environment: body.transient_environment === true,
    production_environment:
      typeof body.production_environment === 'boolean' ? body.production_environment : environment === 'production',
    created_at: at,
    updated_at: at,
    statuses: [],
  };
  repo.deployments.push(deployment);
  return deployment;
}

/**
 * GitHub refuses (409) to deploy a commit whose contexts are not all green: every status context and
 * check run when `required_contexts` is omitted, only the named ones otherwise (`[]` skips the check).
 */
function verifyRequiredContexts(
  state: GitHubState,
  repo: RepoRecord,
  sha: string,
  ref: string,
  required: unknown,
): void {
  const contexts = state.contextStates(repo, sha);
  const checked = Array.isArray(required)
    ? required.map(String).map(
        (name) =>
          contexts.find((context) => context.context.toLowerCase() === name.toLowerCase()) ?? {
            context: name,
            state: 'missing',
          },
      )
    : contexts;
  const failing = checked.filter((context) => context.state !== 'success');
  if (failing.length === 0) return;
  throw new GitHubApiError(409, `Conflict: Commit status checks failed for ${ref}.`, {
    errors: [{ contexts: failing, resource: 'Deployment', field: 'required_contexts', code: 'invalid' }],
  });
}

function createDeploymentStatus(
  state: GitHubState,
  deployment: DeploymentRecord,
  body: Record<string, unknown>,
): DeploymentStatusRecord {
  const deploymentState = requiredString(body, 'state');
  if (!DEPLOYMENT_STATES.has(deploymentState)) throw validationFailed('DeploymentStatus', 'state');
  const description = typeof body.description === 'string' ? body.description : '';
  if (description.length > MAX_DEPLOYMENT_STATUS_DESCRIPTION) throw validationFailed('DeploymentStatus', 'description');
  if (typeof body.environment === 'string') deployment.environment = body.environment;
  // `log_url` replaced `target_url`; GitHub reports whichever was given in both fields.
  const logUrl = stringOr(body.log_url, stringOr(body.target_url, ''));
  const at = state.timestamp();
  const status: DeploymentStatusRecord = {
    id: state.nextId(),
    state: deploymentState,
    description,
    environment: deployment.environment,
    target_url: logUrl,
    log_url: logUrl,
    environment_url: stringOr(body.environment_url, ''),
    creator: VIEWER_LOGIN,
    created_at: at,
    updated_at: at,
  };
  deployment.statuses.push(status);
  deployment.updated_at = at;
  return status;
}

/**
 * GitHub's date-range syntax for `created`: `>=T`, `>T`, `<=T`, `<T` or `A..B` (inclusive);
 * a timestamp compares as an instant.
 */
function createdFilter(range: string | null): (createdAt: string) => boolean {
  if (!range) return () => true;
  const at = (value: string) => {
    const time = Date.parse(value);
    if (Number.isNaN(time)) throw validationFailed('WorkflowRun', 'created');
    return time;
  };
  const between = /^(.+)\.\.(.+)$/.exec(range);
  if (between) {
    const [from, to] = [at(between[1]), at(between[2])];
    return (createdAt) => Date.parse(createdAt) >= from && Date.parse(createdAt) <= to;
  }
  const compared = /^(>=|<=|>|<)(.+)$/.exec(range);
  if (!compared) {
    const exact = at(range);
    return (createdAt) => Date.parse(createdAt) === exact;
  }
  const bound = at(compared[2]);
  const tests: Record<string, (time: number) => boolean> = {
    '>=': (time) => time >= bound,
    '>': (time) => time > bound,
    '<=': (time) => time <= bound,
    '<': (time) => time < bound,
  };
  return (createdAt) => tests[compared[1]](Date.parse(createdAt));
}

/** Finds the route for a request; path segments are matched after URL-decoding (so `%2F` stays inside one). */
export function matchRoute(routes: Route[], method: string, pathname: string): RouteMatch | undefined {
  const segments = decodedSegments(pathname);
  if (!segments) return undefined;
  for (const route of routes) {
    const [routeMethod, template] = route.route.split(' ');
    const params = routeMethod === method ? matchTemplate(template, segments) : undefined;
    if (params) return { route, params };
  }
  return undefined;
}

function matchTemplate(template: string, segments: string[]): Record<string, string> | undefined {
  const parts = template.split('/').filter(Boolean);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of parts.entries()) {
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name) params[name] = segments[index];
    else if (part !== segments[index]) return undefined;
  }
  return params;
}

function decodedSegments(pathname: string): string[] | undefined {
  try {
    return pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    return undefined;
  }
}

/** GitHub's `per_page`/`page` paging (30 per page, at most 100) with a `Link` header. */
function paginate<T>(all: T[], url: URL): { items: T[]; headers: Record<string, string> } {
  const perPage = Math.min(100, Math.max(1, integerParam(url, 'per_page', 30)));
  const page = Math.max(1, integerParam(url, 'page', 1));
  const lastPage = Math.max(1, Math.ceil(all.length / perPage));
  const links: string[] = [];
  if (page < lastPage) links.push(pageLink(url, page + 1, 'next'), pageLink(url, lastPage, 'last'));
  if (page > 1) links.push(pageLink(url, 1, 'first'), pageLink(url, page - 1, 'prev'));
  const items = all.slice((page - 1) * perPage, page * perPage);
  return { items, headers: links.length > 0 ? { Link: links.join(', ') } : {} };
}

function integerParam(url: URL, name: string, fallback: number): number {
  const value = Number.parseInt(url.searchParams.get(name) ?? '', 10);
  return Number.isNaN(value) ? fallback : value;
}

function pageLink(url: URL, page: number, rel: string): string {
  const target = new URL(url);
  target.searchParams.set('page', String(page));
  return `<${target}>; rel="${rel}"`;
}

function ok(body: unknown, headers: Record<string, string> = {}): RouteResponse {
  return { status: 200, body, headers };
}

function requiredString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw new GitHubApiError(422, `Invalid request.\n\n"${field}" wasn't supplied.`);
  }
  return value;
}

function validationFailed(resource: string, field: string): GitHubApiError {
  return new GitHubApiError(422, 'Validation Failed', {
    errors: [{ resource, code: 'invalid', field }],
  });
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}
