import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/rest';
import { GitHubBudget, GitHubRateLimitedError } from './budget.ts';

export interface GitHubSettings {
  apiUrl: string;
  token?: string;
  app?: { appId: string; privateKey: string; installationId: string };
  /** The clock the rate-limit reset is compared with. */
  now?: () => Date;
}

export interface Commit {
  sha: string;
  url: string;
}

export interface CiCheck {
  name: string;
  state: 'success' | 'pending' | 'failure';
  url?: string;
}

/** A workflow run, as tugboat reads it to find the one its dispatch started. */
export interface WorkflowRun {
  id: number;
  /** The run's `run-name` as rendered (the workflow's name when it has none). */
  displayTitle: string;
}

export interface DeploymentStatus {
  state: string;
  description?: string;
  logUrl?: string;
}

export interface WorkflowRunState {
  /** queued, in_progress, completed… */
  status: string;
  conclusion: string | null;
  htmlUrl: string;
}

export interface CiVerdict {
  green: boolean;
  /** The checks that keep it from being green (failing first, then pending). */
  blocking: CiCheck[];
  total: number;
}

/** Every GitHub call tugboat makes, in one place. */
export class GitHub {
  readonly octokit: Octokit;
  readonly budget: GitHubBudget;

  constructor(settings: GitHubSettings) {
    this.octokit = new Octokit({
      baseUrl: settings.apiUrl,
      userAgent: 'tugboat',
      ...(settings.app
        ? {
            authStrategy: createAppAuth,
            auth: { ...settings.app, installationId: Number(settings.app.installationId) },
          }
        : settings.token
          ? { auth: settings.token }
          : {}),
    });
    this.budget = new GitHubBudget(settings.now ?? (() => new Date()));
    this.#spendFromBudget();
  }

  /** Every response updates the budget; while it is used up nothing is sent, and a refusal for it becomes a GitHubRateLimitedError. */
  #spendFromBudget(): void {
    this.octokit.hook.before('request', () => {
      const until = this.budget.usedUpUntil();
      if (until) throw new GitHubRateLimitedError(until);
    });
    this.octokit.hook.after('request', (response) => this.budget.observe(response.headers));
    this.octokit.hook.error('request', (error) => {
      const { status, response, message } = error as {
        status?: number;
        response?: { headers: Record<string, string> };
        message: string;
      };
      throw (status && response && this.budget.refused(status, response.headers, message)) || error;
    });
  }

  /** A branch, tag or SHA to the commit it names; undefined when GitHub does not know it. */
  async resolveRef(repo: string, ref: string): Promise<Commit | undefined> {
    const [owner, name] = repo.split('/');
    try {
      const { data } = await this.octokit.repos.getCommit({ owner, repo: name, ref, per_page: 1 });
      return { sha: data.sha, url: data.html_url };
    } catch (error) {
      if ([404, 422].includes((error as { status?: number }).status ?? 0)) return undefined;
      throw error;
    }
  }

  /** Combined commit statuses and check runs: green only when every one of them passed. */
  async ciVerdict(repo: string, sha: string): Promise<CiVerdict> {
    const [owner, name] = repo.split('/');
    const [combined, checkRuns] = await Promise.all([
      this.octokit.repos.getCombinedStatusForRef({ owner, repo: name, ref: sha, per_page: 100 }),
      this.octokit.paginate(this.octokit.checks.listForRef, { owner, repo: name, ref: sha, per_page: 100 }),
    ]);
    // The combined status holds each context's latest status.
    const checks: CiCheck[] = [
      ...combined.data.statuses.map((status) => ({
        name: status.context,
        state:
          status.state === 'success'
            ? ('success' as const)
            : status.state === 'pending'
              ? ('pending' as const)
              : ('failure' as const),
        url: status.target_url ?? undefined,
      })),
      ...checkRuns.map((run) => ({ name: run.name, state: checkRunState(run), url: run.html_url ?? undefined })),
    ];
    const blocking = [...checks.filter((c) => c.state === 'failure'), ...checks.filter((c) => c.state === 'pending')];
    return { green: blocking.length === 0, blocking, total: checks.length };
  }

  async createDeployment(
    repo: string,
    deployment: { sha: string; environment: string; description: string; payload: Record<string, unknown> },
  ): Promise<{ id: number }> {
    const [owner, name] = repo.split('/');
    const { status, data } = await this.octokit.repos.createDeployment({
      owner,
      repo: name,
      ref: deployment.sha,
      environment: deployment.environment,
      description: deployment.description,
      payload: deployment.payload,
      auto_merge: false,
      // tugboat has already checked CI (or an admin overrode it).
      required_contexts: [],
      production_environment: deployment.environment === 'production',
    });
    if (status !== 201 || !('id' in data))
      throw new Error(`GitHub did not create the deployment: ${JSON.stringify(data).slice(0, 200)}`);
    return { id: data.id };
  }

  async dispatchWorkflow(repo: string, workflow: string, ref: string, inputs: Record<string, string>): Promise<void> {
    const [owner, name] = repo.split('/');
    await this.octokit.actions.createWorkflowDispatch({ owner, repo: name, workflow_id: workflow, ref, inputs });
  }

  /**
   * Runs of a workflow started by `workflow_dispatch` since `createdSince`, newest first. The
   * runs API does not return a dispatch's inputs, so callers tell runs apart by their title.
   */
  async dispatchedRuns(repo: string, workflow: string, createdSince: Date): Promise<WorkflowRun[]> {
    const [owner, name] = repo.split('/');
    const { data } = await this.octokit.actions.listWorkflowRuns({
      owner,
      repo: name,
      workflow_id: workflow,
      event: 'workflow_dispatch',
      created: `>=${createdSince.toISOString()}`,
      per_page: 100,
    });
    return data.workflow_runs.map((run) => ({ id: run.id, displayTitle: run.display_title }));
  }

  /** A deployment's newest status (state, description, log URL), or undefined when it has none. */
  async latestDeploymentStatus(repo: string, deploymentId: number): Promise<DeploymentStatus | undefined> {
    const [owner, name] = repo.split('/');
    const { data } = await this.octokit.repos.listDeploymentStatuses({
      owner,
      repo: name,
      deployment_id: deploymentId,
      per_page: 1,
    });
    const [latest] = data;
    return (
      latest && {
        state: latest.state,
        description: latest.description ?? undefined,
        logUrl: latest.log_url || latest.target_url || undefined,
      }
    );
  }

  async createDeploymentStatus(
    repo: string,
    deploymentId: number,
    state: 'inactive' | 'error',
    description: string,
  ): Promise<void> {
    const [owner, name] = repo.split('/');
    await this.octokit.repos.createDeploymentStatus({
      owner,
      repo: name,
      deployment_id: deploymentId,
      state,
      description: description.slice(0, 140),
    });
  }

  async workflowRun(repo: string, runId: number): Promise<WorkflowRunState> {
    const [owner, name] = repo.split('/');
    const { data } = await this.octokit.actions.getWorkflowRun({ owner, repo: name, run_id: runId });
    return { status: data.status ?? 'unknown', conclusion: data.conclusion ?? null, htmlUrl: data.html_url };
  }

  /** Cancels a workflow run; false when it had already finished (GitHub answers 409). */
  async cancelWorkflowRun(repo: string, runId: number): Promise<boolean> {
    const [owner, name] = repo.split('/');
    try {
      await this.octokit.actions.cancelWorkflowRun({ owner, repo: name, run_id: runId });
      return true;
    } catch (error) {
      if ((error as { status?: number }).status === 409) return false;
      throw error;
    }
  }

  async pullRequest(repo: string, number: number) {
    const [owner, name] = repo.split('/');
    const { data } = await this.octokit.pulls.get({ owner, repo: name, pull_number: number });
    return data;
  }

  /** Asks these people to review; GitHub notifies them and sends a `review_requested` webhook for each. */
  async requestReviewers(repo: string, number: number, logins: string[]): Promise<void> {
    const [owner, name] = repo.split('/');
    await this.octokit.pulls.requestReviewers({ owner, repo: name, pull_number: number, reviewers: logins });
  }

  async reactToComment(repo: string, commentId: number, content: 'eyes' | '+1'): Promise<void> {
    const [owner, name] = repo.split('/');
    await this.octokit.reactions.createForIssueComment({ owner, repo: name, comment_id: commentId, content });
  }

  /** A user's public email (GitHub lets only a verified address be public); undefined when they show none or do not exist. */
  async publicEmail(login: string): Promise<string | undefined> {
    try {
      const { data } = await this.octokit.users.getByUsername({ username: login });
      return data.email ?? undefined;
    } catch (error) {
      if ((error as { status?: number }).status === 404) return undefined;
      throw error;
    }
  }

  /** The logins of a team's members (needs the read:org permission). */
  async teamMembers(org: string, teamSlug: string): Promise<string[]> {
    const members = await this.octokit.paginate(this.octokit.teams.listMembersInOrg, {
      org,
      team_slug: teamSlug,
      per_page: 100,
    });
    return members.map((member) => member.login);
  }
}

function checkRunState(run: { status: string | null; conclusion: string | null }): CiCheck['state'] {
  if (run.status !== 'completed') return 'pending';
  return ['success', 'neutral', 'skipped'].includes(run.conclusion ?? '') ? 'success' : 'failure';
}
