import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeGitHubApi } from '../../src/fakes/github-api.ts';

const SHA_1 = '1111111111111111111111111111111111111111';
const SHA_2 = '2222222222222222222222222222222222222222';
const SHA_3 = 'abc3333333333333333333333333333333333333';
const repo = { owner: 'acme', repo: 'api' };

let fake: FakeGitHubApi;
let octokit: Octokit;

/** The HTTP status and body of a rejected Octokit request. */
async function failure(request: Promise<unknown>): Promise<{ status: number; data: Record<string, unknown> }> {
  const error = (await request.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (rejection: unknown) => rejection,
  )) as { status: number; response: { data: Record<string, unknown> } };
  return { status: error.status, data: error.response.data };
}

beforeAll(async () => {
  fake = await FakeGitHubApi.start();
  const quiet = { debug() {}, info() {}, warn() {}, error() {} };
  octokit = new Octokit({ baseUrl: fake.url, auth: 'ghp_fake', log: quiet });
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.reset();
  fake.addRepo('acme/api', { defaultBranch: 'main' });
  const mona = { name: 'Mona', email: 'mona@example.com', login: 'mona' };
  fake.addCommit('acme/api', { sha: SHA_1, message: 'First', author: mona });
  fake.addCommit('acme/api', { sha: SHA_2, message: 'Second' });
  fake.setBranch('acme/api', 'main', SHA_2);
  fake.setTag('acme/api', 'v1.0.0', SHA_1);
});

describe('commits', () => {
  it('resolves branches, tags and full or abbreviated SHAs to a commit', async () => {
    const { data: byBranch } = await octokit.repos.getCommit({ ...repo, ref: 'main' });
    expect(byBranch).toMatchObject({
      sha: SHA_2,
      html_url: `https://github.com/acme/api/commit/${SHA_2}`,
      commit: { message: 'Second' },
      parents: [{ sha: SHA_1 }],
    });

    const { data: byTag } = await octokit.repos.getCommit({ ...repo, ref: 'v1.0.0' });
    expect(byTag).toMatchObject({ sha: SHA_1, commit: { author: { name: 'Mona', email: 'mona@example.com' } } });
    expect(byTag.author?.login).toBe('mona');

    expect((await octokit.repos.getCommit({ ...repo, ref: SHA_1 })).data.sha).toBe(SHA_1);
    expect((await octokit.repos.getCommit({ ...repo, ref: '2222222' })).data.sha).toBe(SHA_2);
    expect((await octokit.repos.getCommit({ ...repo, ref: 'heads/main' })).data.sha).toBe(SHA_2);
  });

  it('answers 422 for an unknown ref and 404 for an unknown repository', async () => {
    expect(await failure(octokit.repos.getCommit({ ...repo, ref: 'nope' }))).toEqual({
      status: 422,
      data: {
        message: 'No commit found for SHA: nope',
        documentation_url: 'https://docs.github.com/rest/commits/commits#get-a-commit',
        status: '422',
      },
    });
    expect(await failure(octokit.repos.getCommit({ owner: 'acme', repo: 'ghost', ref: 'main' }))).toMatchObject({
      status: 404,
      data: { message: 'Not Found' },
    });
  });

  it('compares two refs like GitHub', async () => {
    fake.setBranch('acme/api', 'feature', SHA_1);
    fake.addCommit('acme/api', { sha: SHA_3, parents: [SHA_1] });
    fake.setBranch('acme/api', 'topic', SHA_3);

    const ahead = (await octokit.repos.compareCommits({ ...repo, base: 'v1.0.0', head: 'main' })).data;
    expect(ahead).toMatchObject({ status: 'ahead', ahead_by: 1, behind_by: 0, total_commits: 1 });
    expect(ahead.commits.map((commit) => commit.sha)).toEqual([SHA_2]);
    expect((await octokit.repos.compareCommits({ ...repo, base: 'main', head: 'feature' })).data.status).toBe('behind');
    expect((await octokit.repos.compareCommits({ ...repo, base: 'main', head: 'topic' })).data).toMatchObject({
      status: 'diverged',
      merge_base_commit: { sha: SHA_1 },
    });
    expect((await octokit.repos.compareCommitsWithBasehead({ ...repo, basehead: 'main...main' })).data.status).toBe(
      'identical',
    );
  });
});

describe('combined status and check runs', () => {
  async function combinedState(ref = 'main'): Promise<string> {
    return (await octokit.repos.getCombinedStatusForRef({ ...repo, ref })).data.state;
  }

  it('is pending with no statuses at all', async () => {
    const { data } = await octokit.repos.getCombinedStatusForRef({ ...repo, ref: 'main' });
    expect(data).toMatchObject({ state: 'pending', total_count: 0, statuses: [], sha: SHA_2 });
  });

  it('fails if any context failed or errored, else is pending while any is pending', async () => {
    fake.setCommitStatus('acme/api', SHA_2, { context: 'ci/build', state: 'success' });
    expect(await combinedState()).toBe('success');
    fake.setCommitStatus('acme/api', SHA_2, { context: 'ci/lint', state: 'pending' });
    expect(await combinedState()).toBe('pending');
    fake.setCommitStatus('acme/api', SHA_2, {
      context: 'ci/test',
      state: 'error',
      target_url: 'https://ci.example.com/1',
    });
    expect(await combinedState()).toBe('failure');

    const { data } = await octokit.repos.getCombinedStatusForRef({ ...repo, ref: 'main' });
    expect(data.statuses.map((status) => [status.context, status.state])).toEqual([
      ['ci/test', 'error'],
      ['ci/lint', 'pending'],
      ['ci/build', 'success'],
    ]);
  });

  it('counts only the newest status of each context', async () => {
    fake.setCommitStatus('acme/api', SHA_2, { context: 'ci/build', state: 'failure' });
    fake.setCommitStatus('acme/api', SHA_2, { context: 'CI/build', state: 'success' });
    expect(await combinedState()).toBe('success');
  });

  it('lists the latest check run of each name for a ref', async () => {
    fake.setCheckRun('acme/api', SHA_2, { name: 'test', status: 'completed', conclusion: 'failure' });
    fake.setCheckRun('acme/api', SHA_2, { name: 'test', status: 'completed', conclusion: 'success' });
    fake.setCheckRun('acme/api', SHA_2, { name: 'lint', status: 'in_progress' });

    const { data } = await octokit.checks.listForRef({ ...repo, ref: 'main' });
    expect(data.total_count).toBe(2);
    expect(data.check_runs.map((run) => [run.name, run.status, run.conclusion, run.head_sha])).toEqual([
      ['lint', 'in_progress', null, SHA_2],
      ['test', 'completed', 'success', SHA_2],
    ]);
    expect((await octokit.checks.listForRef({ ...repo, ref: 'main', filter: 'all' })).data.total_count).toBe(3);
    expect((await octokit.checks.listForRef({ ...repo, ref: 'main', check_name: 'lint' })).data.total_count).toBe(1);
  });
});

describe('deployments', () => {
  it('creates a deployment and records the request', async () => {
    const { status, data } = await octokit.repos.createDeployment({
      ...repo,
      ref: 'main',
      environment: 'staging',
      payload: { tugboat_deploy_id: 7 },
      required_contexts: [],
      auto_merge: false,
    });

    expect(status).toBe(201);
    expect(data).toMatchObject({ sha: SHA_2, ref: 'main', environment: 'staging', payload: { tugboat_deploy_id: 7 } });
    expect('id' in data && data.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const call = await fake.waitFor('POST /repos/{owner}/{repo}/deployments');
    expect(call).toMatchObject({ status: 201, params: { owner: 'acme', repo: 'api' }, body: { ref: 'main' } });
    expect(fake.deployments('acme/api')).toHaveLength(1);
  });

  it('refuses with 409 while the commit has red or pending contexts, unless required_contexts is []', async () => {
    fake.setCommitStatus('acme/api', SHA_2, { context: 'ci/build', state: 'failure' });
    fake.setCheckRun('acme/api', SHA_2, { name: 'test', status: 'queued' });

    expect(await failure(octokit.repos.createDeployment({ ...repo, ref: 'main' }))).toMatchObject({
      status: 409,
      data: {
        message: 'Conflict: Commit status checks failed for main.',
        errors: [
          {
            contexts: [
              { context: 'ci/build', state: 'failure' },
              { context: 'test', state: 'pending' },
            ],
            field: 'required_contexts',
          },
        ],
      },
    });
    expect((await octokit.repos.createDeployment({ ...repo, ref: 'main', required_contexts: [] })).status).toBe(201);
  });

  it('answers 422 for a ref that does not exist', async () => {
    expect(await failure(octokit.repos.createDeployment({ ...repo, ref: 'ghost' }))).toMatchObject({
      status: 422,
      data: { message: 'No ref found for: ghost' },
    });
  });

  it('lists deployments newest first, filtered and paginated', async () => {
    for (const environment of ['staging', 'production', 'production', 'production']) {
      await octokit.repos.createDeployment({ ...repo, ref: 'main', environment });
    }
    const production = await octokit.repos.listDeployments({ ...repo, environment: 'production', per_page: 2 });
    expect(production.data).toHaveLength(2);
    expect(production.headers.link).toContain('rel="next"');

    const all = await octokit.paginate(octokit.repos.listDeployments, {
      ...repo,
      environment: 'production',
      per_page: 2,
    });
    expect(all.map((deployment) => deployment.id)).toEqual(
      fake
        .deployments('acme/api')
        .filter((deployment) => deployment.environment === 'production')
        .map((deployment) => deployment.id)
        .reverse(),
    );
  });

  it('adds and lists deployment statuses', async () => {
    const { data: deployment } = await octokit.repos.createDeployment({ ...repo, ref: 'main' });
    const id = 'id' in deployment ? deployment.id : 0;
    await octokit.repos.createDeploymentStatus({ ...repo, deployment_id: id, state: 'in_progress' });
    const { status, data } = await octokit.repos.createDeploymentStatus({
      ...repo,
      deployment_id: id,
      state: 'success',
      log_url: 'https://logs.example.com/1',
      environment_url: 'https://api.example.com',
    });

    expect(status).toBe(201);
    expect(data).toMatchObject({ state: 'success', log_url: 'https://logs.example.com/1', environment: 'production' });
    const statuses = await octokit.repos.listDeploymentStatuses({ ...repo, deployment_id: id });
    expect(statuses.data.map((s) => s.state)).toEqual(['success', 'in_progress']);
    expect(
      await failure(
        octokit.repos.createDeploymentStatus({ ...repo, deployment_id: id, state: 'exploded' as 'success' }),
      ),
    ).toMatchObject({ status: 422, data: { message: 'Validation Failed' } });
    expect(await failure(octokit.repos.listDeploymentStatuses({ ...repo, deployment_id: 999_999 }))).toMatchObject({
      status: 404,
    });
  });

  it('dispatches workflows with 204', async () => {
    const { status } = await octokit.actions.createWorkflowDispatch({
      ...repo,
      workflow_id: 'deploy.yml',
      ref: 'main',
      inputs: { environment: 'production' },
    });

    expect(status).toBe(204);
    expect(fake.dispatches('acme/api')).toEqual([
      expect.objectContaining({ workflow_id: 'deploy.yml', ref: 'main', inputs: { environment: 'production' } }),
    ]);
  });

  it('starts a run per dispatch, titled by the workflow run-name, and lists runs with GitHub filters', async () => {
    fake.addWorkflow('acme/api', {
      file: 'deploy.yml',
      name: 'Deploy',
      runName: 'Deploy ${{ inputs.environment }} (tugboat deploy #${{ github.event.inputs.deploy_id }})',
    });
    fake.addWorkflowRun('acme/api', { workflow: 'deploy.yml', head_sha: SHA_2, head_branch: 'main', event: 'push' });
    const dispatch = (deployId: string) =>
      octokit.actions.createWorkflowDispatch({
        ...repo,
        workflow_id: 'deploy.yml',
        ref: 'main',
        inputs: { environment: 'production', deploy_id: deployId },
      });
    await dispatch('7');
    await dispatch('8');

    const runs = await octokit.actions.listWorkflowRuns({
      ...repo,
      workflow_id: 'deploy.yml',
      event: 'workflow_dispatch',
    });
    expect(runs.data.total_count).toBe(2);
    expect(runs.data.workflow_runs.map((run) => run.display_title)).toEqual([
      'Deploy production (tugboat deploy #8)',
      'Deploy production (tugboat deploy #7)',
    ]);
    expect(runs.data.workflow_runs[0]).toMatchObject({
      name: 'Deploy',
      head_sha: SHA_2,
      head_branch: 'main',
      path: '.github/workflows/deploy.yml',
      status: 'queued',
      conclusion: null,
      run_number: 3,
    });

    const { id } = fake.workflowRuns('acme/api')[0];
    const all = await octokit.actions.listWorkflowRuns({ ...repo, workflow_id: fake.repo('acme/api').workflows[0].id });
    expect(all.data.workflow_runs.map((run) => run.id).at(-1)).toBe(id);
    const created = runs.data.workflow_runs[0].created_at;
    const later = new Date(Date.parse(created) + 1000).toISOString();
    expect(
      (await octokit.actions.listWorkflowRuns({ ...repo, workflow_id: 'deploy.yml', created: `>=${created}` })).data
        .total_count,
    ).toBe(3);
    expect(
      (await octokit.actions.listWorkflowRuns({ ...repo, workflow_id: 'deploy.yml', created: `>=${later}` })).data
        .total_count,
    ).toBe(0);
    expect(
      (await octokit.actions.listWorkflowRuns({ ...repo, workflow_id: 'deploy.yml', created: `2020-01-01..${later}` }))
        .data.total_count,
    ).toBe(3);
    expect(await failure(octokit.actions.listWorkflowRuns({ ...repo, workflow_id: 999_999 }))).toMatchObject({
      status: 404,
    });
  });

  it('titles a dispatched run by the workflow name when it has no run-name', async () => {
    await octokit.actions.createWorkflowDispatch({
      ...repo,
      workflow_id: 'release.yml',
      ref: 'main',
      inputs: { deploy_id: '3' },
    });
    expect(fake.workflowRuns('acme/api')).toEqual([
      expect.objectContaining({ display_title: 'release.yml', event: 'workflow_dispatch', head_sha: SHA_2 }),
    ]);
  });
});

describe('pull requests, reactions and users', () => {
  beforeEach(() => {
    fake.addUser({ login: 'octocat', email: 'octocat@example.com', name: 'The Octocat' });
    fake.addUser({ login: 'hubot' });
    fake.addPullRequest('acme/api', {
      number: 42,
      title: 'Add /healthz',
      user: 'mona',
      head: { ref: 'healthz', sha: SHA_3 },
      requested_reviewers: ['octocat'],
    });
  });

  it('serves the pull request, its reviews and its requested reviewers', async () => {
    fake.addReview('acme/api', 42, { user: 'octocat', state: 'APPROVED' });

    const { data: pull } = await octokit.pulls.get({ ...repo, pull_number: 42 });
    expect(pull).toMatchObject({
      number: 42,
      title: 'Add /healthz',
      state: 'open',
      user: { login: 'mona' },
      head: { ref: 'healthz', sha: SHA_3 },
      base: { ref: 'main', sha: SHA_2 },
      html_url: 'https://github.com/acme/api/pull/42',
    });
    const { data: reviews } = await octokit.pulls.listReviews({ ...repo, pull_number: 42 });
    expect(reviews.map((review) => [review.user?.login, review.state])).toEqual([['octocat', 'APPROVED']]);
    // Reviewing takes the reviewer off the list of requested reviewers.
    const { data: requested } = await octokit.pulls.listRequestedReviewers({ ...repo, pull_number: 42 });
    expect(requested).toEqual({ users: [], teams: [] });
  });

  it('requests reviewers, refusing the author and strangers with 422', async () => {
    const { status, data } = await octokit.pulls.requestReviewers({ ...repo, pull_number: 42, reviewers: ['hubot'] });
    expect(status).toBe(201);
    expect(data.requested_reviewers?.map((user) => user.login)).toEqual(['octocat', 'hubot']);

    expect(
      await failure(octokit.pulls.requestReviewers({ ...repo, pull_number: 42, reviewers: ['mona'] })),
    ).toMatchObject({
      status: 422,
      data: { message: 'Review cannot be requested from pull request author.' },
    });
    const stranger = await failure(octokit.pulls.requestReviewers({ ...repo, pull_number: 42, reviewers: ['nobody'] }));
    expect(stranger.status).toBe(422);
    expect(stranger.data.message).toMatch(/^Reviews may only be requested from collaborators/);
    expect((await failure(octokit.pulls.get({ ...repo, pull_number: 7 }))).status).toBe(404);
  });

  it('reacts to issue comments once per content', async () => {
    const first = await octokit.reactions.createForIssueComment({ ...repo, comment_id: 99, content: 'eyes' });
    const again = await octokit.reactions.createForIssueComment({ ...repo, comment_id: 99, content: 'eyes' });

    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.data.id).toBe(first.data.id);
    expect(fake.reactions('acme/api')).toEqual([expect.objectContaining({ comment_id: 99, content: 'eyes' })]);
  });

  it('serves users by login', async () => {
    const { data } = await octokit.users.getByUsername({ username: 'octocat' });
    expect(data).toMatchObject({ login: 'octocat', name: 'The Octocat', email: 'octocat@example.com', type: 'User' });
    expect((await failure(octokit.users.getByUsername({ username: 'ghost' }))).status).toBe(404);
  });
});

describe('recording and failure injection', () => {
  it('fails the next matching request only', async () => {
    fake.failNext({ method: 'POST', path: /\/deployments$/, status: 502 });

    expect(await failure(octokit.repos.createDeployment({ ...repo, ref: 'main' }))).toMatchObject({
      status: 502,
      data: { message: 'Bad Gateway' },
    });
    expect((await octokit.repos.createDeployment({ ...repo, ref: 'main' })).status).toBe(201);
    expect(fake.callsTo('POST /repos/{owner}/{repo}/deployments').map((call) => call.status)).toEqual([502, 201]);
  });

  it('records unknown routes as 404s', async () => {
    const response = await fetch(`${fake.url}/repos/acme/api/hooks`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ message: 'Not Found' });
    expect(fake.calls.at(-1)).toMatchObject({ route: 'GET /repos/acme/api/hooks', status: 404 });
  });

  it('times out listing the calls it did receive', async () => {
    await octokit.repos.getCommit({ ...repo, ref: 'main' });
    await expect(fake.waitFor('POST /repos/{owner}/{repo}/deployments', undefined, 50)).rejects.toThrow(
      'no POST /repos/{owner}/{repo}/deployments call matched; calls received:\n  - GET /repos/acme/api/commits/main → 200',
    );
  });
});
