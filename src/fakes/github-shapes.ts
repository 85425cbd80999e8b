import { createHash } from 'node:crypto';
import {
  combinedState,
  type CheckRunRecord,
  type CommitStatusRecord,
  type Comparison,
  type DeploymentRecord,
  type DeploymentStatusRecord,
  type GitHubCommit,
  type GitHubState,
  type GitHubUser,
  type PullRequestRecord,
  type ReactionRecord,
  type RepoRecord,
  type ReviewRecord,
  type WorkflowRunRecord,
} from './github-state.ts';

type Json = Record<string, unknown>;

const WEB = 'https://github.com';

/** Renders the fake's records in the JSON shapes of GitHub's REST API, with API URLs on the fake. */
export class GitHubShapes {
  readonly #api: string;
  readonly #state: GitHubState;

  constructor(apiOrigin: string, state: GitHubState) {
    this.#api = apiOrigin;
    this.#state = state;
  }

  /** A "simple user", as nested in other resources. */
  user(login: string): Json {
    const user = this.#state.user(login) ?? { login, id: 0, type: 'User' };
    return {
      login: user.login,
      id: user.id,
      node_id: nodeId('U', user.id),
      avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
      gravatar_id: '',
      url: `${this.#api}/users/${user.login}`,
      html_url: `${WEB}/${user.login}`,
      repos_url: `${this.#api}/users/${user.login}/repos`,
      type: user.type,
      site_admin: false,
    };
  }

  /** `GET /users/{login}` */
  profile(user: GitHubUser): Json {
    return {
      ...this.user(user.login),
      name: user.name,
      email: user.email,
      company: null,
      blog: '',
      location: null,
      bio: null,
      public_repos: 0,
      followers: 0,
      following: 0,
      created_at: '2020-01-01T00:00:00Z',
      updated_at: '2020-01-01T00:00:00Z',
    };
  }

  repo(repo: RepoRecord): Json {
    return {
      id: repo.id,
      node_id: nodeId('R', repo.id),
      name: repo.name,
      full_name: repo.full_name,
      private: repo.private,
      visibility: repo.private ? 'private' : 'public',
      owner: this.user(repo.owner),
      html_url: `${WEB}/${repo.full_name}`,
      description: null,
      fork: false,
      url: this.#repoUrl(repo),
      default_branch: repo.default_branch,
    };
  }

  commit(repo: RepoRecord, commit: GitHubCommit): Json {
    const author = commit.login ? this.user(commit.login) : null;
    const treeSha = createHash('sha1').update(`tree ${commit.sha}`).digest('hex');
    return {
      url: `${this.#repoUrl(repo)}/commits/${commit.sha}`,
      sha: commit.sha,
      node_id: nodeId('C', commit.sha),
      html_url: `${WEB}/${repo.full_name}/commit/${commit.sha}`,
      comments_url: `${this.#repoUrl(repo)}/commits/${commit.sha}/comments`,
      commit: {
        url: `${this.#repoUrl(repo)}/git/commits/${commit.sha}`,
        author: commit.author,
        committer: commit.author,
        message: commit.message,
        tree: { sha: treeSha, url: `${this.#repoUrl(repo)}/git/trees/${treeSha}` },
        comment_count: 0,
        verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
      },
      author,
      committer: author,
      parents: commit.parents.map((sha) => ({
        sha,
        url: `${this.#repoUrl(repo)}/commits/${sha}`,
        html_url: `${WEB}/${repo.full_name}/commit/${sha}`,
      })),
      stats: { total: 0, additions: 0, deletions: 0 },
      files: [],
    };
  }

  /** `GET /repos/{owner}/{repo}/commits/{ref}/status`, with `statuses` being one page of them. */
  combinedStatus(repo: RepoRecord, sha: string, all: CommitStatusRecord[], page: CommitStatusRecord[]): Json {
    return {
      state: combinedState(all),
      statuses: page.map((status) => this.status(repo, status)),
      sha,
      total_count: all.length,
      repository: this.repo(repo),
      commit_url: `${this.#repoUrl(repo)}/commits/${sha}`,
      url: `${this.#repoUrl(repo)}/commits/${sha}/status`,
    };
  }

  status(repo: RepoRecord, status: CommitStatusRecord): Json {
    return {
      url: `${this.#repoUrl(repo)}/statuses/${status.sha}`,
      avatar_url: null,
      id: status.id,
      node_id: nodeId('SC', status.id),
      state: status.state,
      description: status.description,
      target_url: status.target_url,
      context: status.context,
      created_at: status.created_at,
      updated_at: status.updated_at,
    };
  }

  checkRun(repo: RepoRecord, run: CheckRunRecord): Json {
    const url = `${this.#repoUrl(repo)}/check-runs/${run.id}`;
    return {
      id: run.id,
      head_sha: run.sha,
      node_id: nodeId('CR', run.id),
      external_id: '',
      url,
      html_url: run.html_url,
      details_url: run.details_url,
      status: run.status,
      conclusion: run.conclusion,
      started_at: run.started_at,
      completed_at: run.completed_at,
      output: { ...run.output, annotations_count: 0, annotations_url: `${url}/annotations` },
      name: run.name,
      check_suite: { id: run.id },
      app: { id: 15368, slug: 'github-actions', name: 'GitHub Actions' },
      pull_requests: [],
    };
  }

  deployment(repo: RepoRecord, deployment: DeploymentRecord): Json {
    const url = `${this.#repoUrl(repo)}/deployments/${deployment.id}`;
    return {
      url,
      id: deployment.id,
      node_id: nodeId('DE', deployment.id),
      sha: deployment.sha,
      ref: deployment.ref,
      task: deployment.task,
      payload: deployment.payload,
      original_environment: deployment.original_environment,
      environment: deployment.environment,
      description: deployment.description,
      creator: this.user(deployment.creator),
      created_at: deployment.created_at,
      updated_at: deployment.updated_at,
      statuses_url: `${url}/statuses`,
      repository_url: this.#repoUrl(repo),
      transient_environment: deployment.transient_environment,
      production_environment: deployment.production_environment,
      performed_via_github_app: null,
    };
  }

  deploymentStatus(repo: RepoRecord, deployment: DeploymentRecord, status: DeploymentStatusRecord): Json {
    const deploymentUrl = `${this.#repoUrl(repo)}/deployments/${deployment.id}`;
    return {
      url: `${deploymentUrl}/statuses/${status.id}`,
      id: status.id,
      node_id: nodeId('DES', status.id),
      state: status.state,
      creator: this.user(status.creator),
      description: status.description,
      environment: status.environment,
      target_url: status.target_url,
      created_at: status.created_at,
      updated_at: status.updated_at,
      deployment_url: deploymentUrl,
      repository_url: this.#repoUrl(repo),
      environment_url: status.environment_url,
      log_url: status.log_url,
      performed_via_github_app: null,
    };
  }

  /** A run as `GET …/actions/workflows/{id}/runs` lists it (the fields tugboat and tests read, and their neighbours). */
  workflowRun(repo: RepoRecord, run: WorkflowRunRecord): Json {
    const url = `${this.#repoUrl(repo)}/actions/runs/${run.id}`;
    return {
      id: run.id,
      name: run.name,
      node_id: nodeId('WFR', run.id),
      head_branch: run.head_branch,
      head_sha: run.head_sha,
      path: run.path,
      display_title: run.display_title,
      run_number: run.run_number,
      event: run.event,
      status: run.status,
      conclusion: run.conclusion,
      workflow_id: run.workflow_id,
      url,
      html_url: `${WEB}/${repo.full_name}/actions/runs/${run.id}`,
      created_at: run.created_at,
      updated_at: run.updated_at,
      run_attempt: 1,
      run_started_at: run.created_at,
      jobs_url: `${url}/jobs`,
      logs_url: `${url}/logs`,
      workflow_url: `${this.#repoUrl(repo)}/actions/workflows/${run.workflow_id}`,
    };
  }

  pull(repo: RepoRecord, pull: PullRequestRecord): Json {
    const url = `${this.#repoUrl(repo)}/pulls/${pull.number}`;
    const closedAt = pull.state === 'closed' ? pull.updated_at : null;
    return {
      url,
      id: pull.id,
      node_id: nodeId('PR', pull.id),
      html_url: this.#pullHtmlUrl(repo, pull),
      diff_url: `${this.#pullHtmlUrl(repo, pull)}.diff`,
      patch_url: `${this.#pullHtmlUrl(repo, pull)}.patch`,
      issue_url: `${this.#repoUrl(repo)}/issues/${pull.number}`,
      number: pull.number,
      state: pull.state,
      locked: false,
      title: pull.title,
      user: this.user(pull.user),
      body: pull.body,
      labels: [],
      milestone: null,
      created_at: pull.created_at,
      updated_at: pull.updated_at,
      closed_at: closedAt,
      merged_at: pull.merged ? closedAt : null,
      merge_commit_sha: null,
      assignee: null,
      assignees: [],
      requested_reviewers: pull.requested_reviewers.map((login) => this.user(login)),
      requested_teams: [],
      head: this.#branch(repo, pull.head),
      base: this.#branch(repo, pull.base),
      author_association: 'MEMBER',
      auto_merge: null,
      draft: pull.draft,
      merged: pull.merged,
      mergeable: null,
      mergeable_state: 'unknown',
      merged_by: null,
      comments: 0,
      review_comments: 0,
      commits: 1,
      additions: 0,
      deletions: 0,
      changed_files: 0,
    };
  }

  review(repo: RepoRecord, pull: PullRequestRecord, review: ReviewRecord): Json {
    const htmlUrl = `${this.#pullHtmlUrl(repo, pull)}#pullrequestreview-${review.id}`;
    const pullUrl = `${this.#repoUrl(repo)}/pulls/${pull.number}`;
    return {
      id: review.id,
      node_id: nodeId('PRR', review.id),
      user: this.user(review.user),
      body: review.body,
      state: review.state,
      html_url: htmlUrl,
      pull_request_url: pullUrl,
      author_association: 'MEMBER',
      _links: { html: { href: htmlUrl }, pull_request: { href: pullUrl } },
      ...(review.submitted_at ? { submitted_at: review.submitted_at } : {}),
      commit_id: review.commit_id,
    };
  }

  comparison(repo: RepoRecord, baseRef: string, headRef: string, comparison: Comparison): Json {
    const basehead = `${baseRef}...${headRef}`;
    return {
      url: `${this.#repoUrl(repo)}/compare/${basehead}`,
      html_url: `${WEB}/${repo.full_name}/compare/${basehead}`,
      diff_url: `${WEB}/${repo.full_name}/compare/${basehead}.diff`,
      patch_url: `${WEB}/${repo.full_name}/compare/${basehead}.patch`,
      base_commit: this.commit(repo, comparison.base),
      merge_base_commit: this.commit(repo, comparison.mergeBase ?? comparison.base),
      status: comparison.status,
      ahead_by: comparison.ahead.length,
      behind_by: comparison.behind.length,
      total_commits: comparison.ahead.length,
      commits: comparison.ahead.map((commit) => this.commit(repo, commit)),
      files: [],
    };
  }

  reaction(reaction: ReactionRecord): Json {
    return {
      id: reaction.id,
      node_id: nodeId('REA', reaction.id),
      user: this.user(reaction.user),
      content: reaction.content,
      created_at: reaction.created_at,
    };
  }

  #branch(repo: RepoRecord, { ref, sha }: { ref: string; sha: string }): Json {
    return { label: `${repo.owner}:${ref}`, ref, sha, user: this.user(repo.owner), repo: this.repo(repo) };
  }

  #repoUrl(repo: RepoRecord): string {
    return `${this.#api}/repos/${repo.full_name}`;
  }

  #pullHtmlUrl(repo: RepoRecord, pull: PullRequestRecord): string {
    return `${WEB}/${repo.full_name}/pull/${pull.number}`;
  }
}

function nodeId(type: string, id: number | string): string {
  return `${type}_${Buffer.from(String(id)).toString('base64url')}`;
}
