import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  deployIdInRunTitle,
  githubDeploymentExecutor,
  RUN_NAME_CONVENTION,
  workflowExecutor,
} from '../../../src/deploys/index.ts';
import { FakeGitHubApi } from '../../../src/fakes/github-api.ts';
import { GitHub } from '../../../src/github/client.ts';
import { JOB } from './job.ts';

const MINUTE = 60_000;

let fake: FakeGitHubApi;
let github: GitHub;
/** Moves the fake's clock against the wall clock, which the executor reads. */
let offsetMs = 0;

beforeAll(async () => {
  fake = await FakeGitHubApi.start({ now: () => Date.now() + offsetMs });
  github = new GitHub({ apiUrl: fake.url, token: 'ghp_test' });
});

afterAll(() => fake.close());

beforeEach(() => {
  offsetMs = 0;
  fake.reset();
  fake.addRepo('acme/api', { defaultBranch: 'main' });
  fake.addCommit('acme/api', { sha: JOB.sha });
  fake.setBranch('acme/api', 'main', JOB.sha);
});

function context() {
  const lines: string[] = [];
  return {
    lines,
    context: { progress: async (line: string) => void lines.push(line), signal: new AbortController().signal },
  };
}

describe('the run-name convention', () => {
  it('reads the one deploy id a title names', () => {
    expect(deployIdInRunTitle('tugboat deploy #42')).toBe(42);
    expect(deployIdInRunTitle('Deploy production (Tugboat deploy #42) by alice')).toBe(42);
    expect(deployIdInRunTitle('tugboat deploy #42, tugboat deploy #42')).toBe(42);
  });

  it('reads nothing from a title without it, or naming two deploys', () => {
    expect(deployIdInRunTitle('Deploy #42')).toBeUndefined();
    expect(deployIdInRunTitle('tugboat deploy #')).toBeUndefined();
    expect(deployIdInRunTitle('tugboat deploy #41 then tugboat deploy #42')).toBeUndefined();
    expect(deployIdInRunTitle(undefined)).toBeUndefined();
  });
});

describe('workflowExecutor', () => {
  it('dispatches with the deploy id and hands off with the id of the run it started', async () => {
    fake.addWorkflow('acme/api', {
      file: 'deploy.yml',
      name: 'Deploy',
      runName: `Deploy \${{ inputs.environment }}: ${RUN_NAME_CONVENTION}`,
    });
    const { lines, context: ctx } = context();
    const outcome = await workflowExecutor(github, 'deploy.yml', 'main').start(JOB, ctx);

    const [run] = fake.workflowRuns('acme/api');
    expect(run.display_title).toBe('Deploy production: tugboat deploy #42');
    expect(outcome).toEqual({ kind: 'handed-off', externalId: String(run.id) });
    expect(fake.dispatches('acme/api')).toEqual([
      expect.objectContaining({
        workflow_id: 'deploy.yml',
        ref: 'main',
        inputs: { sha: JOB.sha, environment: 'production', deploy_id: '42' },
      }),
    ]);
    expect(lines).toEqual([`Dispatched workflow \`deploy.yml\` on \`main\`: run ${run.id}; waiting for its outcome.`]);
  });

  it('finds the run of the example workflow by its run-name', async () => {
    const example = parse(
      await readFile(new URL('../../../examples/deploy-workflow.yml', import.meta.url), 'utf8'),
    ) as { name: string; 'run-name': string; on: { workflow_dispatch: { inputs: object } } };
    expect(Object.keys(example.on.workflow_dispatch.inputs).sort()).toEqual(['deploy_id', 'environment', 'sha']);
    fake.addWorkflow('acme/api', { file: 'deploy.yml', name: example.name, runName: example['run-name'] });
    const outcome = await workflowExecutor(github, 'deploy.yml', 'main').start(JOB, context().context);
    expect(fake.workflowRuns('acme/api')[0].display_title).toBe('Deploy production (tugboat deploy #42)');
    expect(outcome).toEqual({ kind: 'handed-off', externalId: String(fake.workflowRuns('acme/api')[0].id) });
  });

  it('takes neither a run of another deploy nor one created before the dispatch', async () => {
    fake.addWorkflow('acme/api', { file: 'deploy.yml', runName: RUN_NAME_CONVENTION });
    offsetMs = -5 * MINUTE;
    fake.addWorkflowRun('acme/api', {
      workflow: 'deploy.yml',
      head_sha: JOB.sha,
      event: 'workflow_dispatch',
      display_title: 'tugboat deploy #42',
    });
    offsetMs = 0;
    fake.addWorkflowRun('acme/api', {
      workflow: 'deploy.yml',
      head_sha: JOB.sha,
      event: 'workflow_dispatch',
      display_title: 'tugboat deploy #420',
    });
    fake.addWorkflowRun('acme/api', {
      workflow: 'deploy.yml',
      head_sha: JOB.sha,
      event: 'push',
      display_title: 'tugboat deploy #42',
    });

    const outcome = await workflowExecutor(github, 'deploy.yml', 'main').start(JOB, context().context);
    const ours = fake.workflowRuns('acme/api').at(-1)!;
    expect(ours.display_title).toBe('tugboat deploy #42');
    expect(outcome).toEqual({ kind: 'handed-off', externalId: String(ours.id) });
  });

  it('looks again a few times, then hands off without a run when none names the deploy', async () => {
    const { lines, context: ctx } = context();
    const outcome = await workflowExecutor(github, 'deploy.yml', 'main', { lookupDelaysMs: [10, 10] }).start(JOB, ctx);

    expect(outcome).toEqual({ kind: 'handed-off' });
    expect(fake.callsTo('GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs')).toHaveLength(3);
    expect(fake.callsTo('GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs')[0].query).toMatchObject({
      event: 'workflow_dispatch',
      created: expect.stringMatching(/^>=\d{4}-/),
    });
    expect(lines).toEqual([
      expect.stringContaining('its run is not listed yet (tugboat knows it by "tugboat deploy #42" in its run-name)'),
    ]);
  });

  it('looks again when listing runs fails, and a lookup that keeps failing does not fail the deploy', async () => {
    fake.addWorkflow('acme/api', { file: 'deploy.yml', runName: RUN_NAME_CONVENTION });
    fake.failNext({ method: 'GET', path: /\/runs$/, status: 500 });
    const found = await workflowExecutor(github, 'deploy.yml', 'main', { lookupDelaysMs: [10] }).start(
      JOB,
      context().context,
    );
    expect(found).toEqual({ kind: 'handed-off', externalId: String(fake.workflowRuns('acme/api')[0].id) });

    for (let i = 0; i < 2; i++) fake.failNext({ method: 'GET', path: /\/runs$/, status: 403 });
    expect(
      await workflowExecutor(github, 'deploy.yml', 'main', { lookupDelaysMs: [10] }).start(JOB, context().context),
    ).toEqual({ kind: 'handed-off' });
  });

  it('stops looking when the deploy is stopped', async () => {
    const abort = new AbortController();
    const started = workflowExecutor(github, 'deploy.yml', 'main', { lookupDelaysMs: [60_000] }).start(JOB, {
      progress: async () => {},
      signal: abort.signal,
    });
    await fake.waitFor('GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs');
    abort.abort();
    expect(await started).toEqual({ kind: 'handed-off' });
  });

  it('dispatches a bare SHA from the default branch', async () => {
    await workflowExecutor(github, 'deploy.yml', 'main', { lookupDelaysMs: [] }).start(
      { ...JOB, ref: JOB.sha.slice(0, 12) },
      context().context,
    );
    expect(fake.dispatches('acme/api')).toEqual([
      expect.objectContaining({ ref: 'main', inputs: expect.objectContaining({ sha: JOB.sha }) }),
    ]);
  });
});

describe('githubDeploymentExecutor', () => {
  it('creates a deployment naming the deploy and hands off with its id', async () => {
    const outcome = await githubDeploymentExecutor(github).start(JOB, context().context);
    const [deployment] = fake.deployments('acme/api');
    expect(deployment).toMatchObject({ sha: JOB.sha, environment: 'production', payload: { tugboat_deploy_id: 42 } });
    expect(outcome).toEqual({ kind: 'handed-off', externalId: String(deployment.id) });
  });
});
