import { afterEach, describe, expect, it } from 'vitest';
import { RUN_NAME_CONVENTION } from '../../src/deploys/index.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import {
  command,
  githubDeployments,
  reportDeploymentStatus,
  reportWorkflowRun,
  seedRepo,
  sha,
} from '../helpers/deploys.ts';
import { storeBackends } from '../helpers/stores.ts';

// An outcome completes only the deploy it belongs to: the GitHub deployment a github-deployment
// deploy created, a deployment naming a workflow deploy of its own repository and environment,
// or the workflow run a workflow deploy dispatched. Never another run of the same commit, and
// never a deployment or run older than the deploy (an old delivery replayed).

const CONFIG = `
environments:
  staging: { channel: C0STAGING }
  production: { channel: C0DEPLOYS }
services:
  api:
    repo: acme/api
    environments: [staging, production]
    deploy: { via: github-deployment }
  jobs:
    repo: acme/jobs
    environments: [staging, production]
    deploy: { via: workflow, workflow: deploy.yml }
  web:
    repo: acme/web
    environments: [staging]
    deploy: { via: workflow, workflow: deploy.yml }
`;

const HOUR = 60 * 60_000;

describe.each(storeBackends)('forged and replayed deploy outcomes on $name', (backend) => {
  let h: Harness;
  afterEach(() => h?.stop());

  async function start() {
    h = await startHarness({ backend, configYaml: CONFIG });
    for (const repo of ['acme/api', 'acme/jobs', 'acme/web']) {
      seedRepo(h, repo, [`${repo}-one`]);
      h.githubApi.addWorkflow(repo, {
        file: 'deploy.yml',
        name: 'Deploy',
        runName: `Deploy \${{ inputs.environment }} (${RUN_NAME_CONVENTION})`,
      });
    }
  }

  const deployRow = async (id: number) =>
    (
      await h.db.store.query<{ status: string; external_id: string | null; created_at: Date }>(
        'select status, external_id, created_at from deploys where id = $1',
        [id],
      )
    )[0];

  const ignoredLog = (event: string, reason: string) =>
    h.logs.lines.some((line) => line.msg === `ignored a ${event}: ${reason}`);

  it('a deployment_status of another deployment naming a github-deployment deploy is ignored; its own deployment completes it', async () => {
    await start();
    await command(h, 'U0ALICE', '/deploy api to staging', 'C0STAGING');
    const [own] = githubDeployments(h, 'acme/api');
    expect(own.payload).toMatchObject({ tugboat_deploy_id: 1 });

    await reportDeploymentStatus(h, 'acme/api', own.id + 1000, 'success', {
      payload: { tugboat_deploy_id: 1 },
      environment: 'staging',
    });
    expect((await deployRow(1)).status).toBe('running');
    expect(ignoredLog('deployment_status', `the deploy belongs to GitHub deployment ${own.id}`)).toBe(true);

    await reportDeploymentStatus(h, 'acme/api', own.id, 'success');
    expect((await deployRow(1)).status).toBe('succeeded');
  });

  it('a deployment_status that arrives before the deploy recorded its deployment completes it; another deployment naming it then is ignored', async () => {
    await start();
    // The deploy's executor has created its GitHub deployment but not yet recorded it (the CD
    // system answered first, or PostgreSQL was restarting when the deploy tried to record it).
    await h.db.store.query(
      `insert into deploys (service, environment, ref, sha, requested_by, channel, status, executor, created_at, started_at)
       values ('api', 'staging', 'main', $1, 'U0ALICE', 'C0STAGING', 'running', 'github-deployment', $2, $2)`,
      [sha('acme/api-one'), h.clock.now()],
    );
    await reportDeploymentStatus(h, 'acme/api', 777, 'success', {
      payload: { tugboat_deploy_id: 1 },
      environment: 'staging',
    });
    expect(await deployRow(1)).toMatchObject({ status: 'succeeded', external_id: '777' });

    await h.db.store.query(`update deploys set status = 'running' where id = 1`);
    await reportDeploymentStatus(h, 'acme/api', 778, 'failure', {
      payload: { tugboat_deploy_id: 1 },
      environment: 'staging',
    });
    expect(await deployRow(1)).toMatchObject({ status: 'running', external_id: '777' });
    expect(ignoredLog('deployment_status', 'the deploy belongs to GitHub deployment 777')).toBe(true);
  });

  it('a tugboat_deploy_id naming a workflow deploy of another repository or environment is ignored; one of its own completes it', async () => {
    await start();
    await command(h, 'U0ALICE', '/deploy jobs to staging', 'C0STAGING');
    expect((await deployRow(1)).status).toBe('running');

    await reportDeploymentStatus(h, 'acme/web', 501, 'success', {
      payload: { tugboat_deploy_id: 1 },
      environment: 'staging',
    });
    expect(ignoredLog('deployment_status', 'the deploy is of another repository')).toBe(true);
    await reportDeploymentStatus(h, 'acme/jobs', 502, 'failure', {
      payload: { tugboat_deploy_id: 1 },
      environment: 'production',
    });
    expect(ignoredLog('deployment_status', 'the deployment is to another environment')).toBe(true);
    expect((await deployRow(1)).status).toBe('running');

    await reportDeploymentStatus(h, 'acme/jobs', 503, 'success', {
      payload: { tugboat_deploy_id: 1 },
      environment: 'staging',
    });
    expect((await deployRow(1)).status).toBe('succeeded');
  });

  it('a workflow_run of the same SHA but another run is ignored; the run tugboat dispatched completes the deploy', async () => {
    await start();
    await command(h, 'U0ALICE', '/deploy jobs to staging', 'C0STAGING');
    const [dispatched] = h.githubApi.workflowRuns('acme/jobs');
    expect(dispatched.display_title).toBe('Deploy staging (tugboat deploy #1)');
    expect((await deployRow(1)).external_id).toBe(String(dispatched.id));

    const someoneElses = h.githubApi.addWorkflowRun('acme/jobs', {
      workflow: 'deploy.yml',
      head_sha: sha('acme/jobs-one'),
      head_branch: 'main',
      event: 'workflow_dispatch',
    });
    await reportWorkflowRun(h, 'acme/jobs', someoneElses, 'completed', { conclusion: 'success' });
    // Even one whose title names this deploy: the deploy already has its run.
    const namingOurs = h.githubApi.addWorkflowRun('acme/jobs', {
      workflow: 'deploy.yml',
      head_sha: sha('acme/jobs-one'),
      head_branch: 'main',
      event: 'workflow_dispatch',
      display_title: 'tugboat deploy #1',
    });
    await reportWorkflowRun(h, 'acme/jobs', namingOurs, 'completed', { conclusion: 'failure' });
    expect(ignoredLog('workflow_run', `the deploy belongs to run ${dispatched.id}`)).toBe(true);
    expect((await deployRow(1)).status).toBe('running');

    await reportWorkflowRun(h, 'acme/jobs', dispatched, 'completed', { conclusion: 'success' });
    expect((await deployRow(1)).status).toBe('succeeded');
  });

  it('a run not yet recorded is recognised by its title, commit, repository and workflow, and then is the only one', async () => {
    await start();
    await command(h, 'U0ALICE', '/deploy jobs to staging', 'C0STAGING');
    const [dispatched] = h.githubApi.workflowRuns('acme/jobs');
    // As when the executor's lookup did not see the run yet.
    await h.db.store.query('update deploys set external_id = null where id = 1');

    const otherCommit = h.githubApi.addWorkflowRun('acme/jobs', {
      workflow: 'deploy.yml',
      head_sha: sha('elsewhere'),
      head_branch: 'main',
      event: 'workflow_dispatch',
      display_title: 'tugboat deploy #1',
    });
    await reportWorkflowRun(h, 'acme/jobs', otherCommit, 'completed', { conclusion: 'success' });
    expect(ignoredLog('workflow_run', 'the run is of another commit')).toBe(true);
    const otherWorkflow = h.githubApi.addWorkflowRun('acme/jobs', {
      workflow: 'release.yml',
      head_sha: sha('acme/jobs-one'),
      event: 'workflow_dispatch',
      display_title: 'tugboat deploy #1',
    });
    await reportWorkflowRun(h, 'acme/jobs', otherWorkflow, 'completed', { conclusion: 'success' });
    expect(ignoredLog('workflow_run', 'the run is of another workflow')).toBe(true);
    await reportWorkflowRun(h, 'acme/web', { ...dispatched }, 'completed', { conclusion: 'success' });
    expect(ignoredLog('workflow_run', 'the deploy is of another repository')).toBe(true);
    expect(await deployRow(1)).toMatchObject({ status: 'running', external_id: null });

    await reportWorkflowRun(h, 'acme/jobs', dispatched, 'in_progress');
    expect(await deployRow(1)).toMatchObject({ status: 'running', external_id: String(dispatched.id) });
    const later = h.githubApi.addWorkflowRun('acme/jobs', {
      workflow: 'deploy.yml',
      head_sha: sha('acme/jobs-one'),
      head_branch: 'main',
      event: 'workflow_dispatch',
      display_title: 'tugboat deploy #1',
    });
    await reportWorkflowRun(h, 'acme/jobs', later, 'completed', { conclusion: 'failure' });
    expect((await deployRow(1)).status).toBe('running');

    await reportWorkflowRun(h, 'acme/jobs', dispatched, 'completed', { conclusion: 'success' });
    expect((await deployRow(1)).status).toBe('succeeded');
  });

  it('a replayed old delivery (a deployment or run created before the deploy) is ignored', async () => {
    await start();
    await command(h, 'U0ALICE', '/deploy api to staging', 'C0STAGING');
    await command(h, 'U0ALICE', '/deploy jobs to staging', 'C0STAGING');
    const before = new Date((await deployRow(2)).created_at.getTime() - HOUR);

    const [own] = githubDeployments(h, 'acme/api');
    await reportDeploymentStatus(h, 'acme/api', own.id, 'failure', { createdAt: before });
    await reportDeploymentStatus(h, 'acme/jobs', 601, 'failure', {
      payload: { tugboat_deploy_id: 2 },
      environment: 'staging',
      createdAt: before,
    });
    expect(ignoredLog('deployment_status', 'the deployment is older than the deploy')).toBe(true);
    const [dispatched] = h.githubApi.workflowRuns('acme/jobs');
    await reportWorkflowRun(h, 'acme/jobs', dispatched, 'completed', { conclusion: 'failure', createdAt: before });
    expect(ignoredLog('workflow_run', 'the run is older than the deploy')).toBe(true);
    expect((await deployRow(1)).status).toBe('running');
    expect((await deployRow(2)).status).toBe('running');

    // Within the allowance for clock skew, a deployment counts as the deploy's.
    const skewed = new Date((await deployRow(1)).created_at.getTime() - 30_000);
    await reportDeploymentStatus(h, 'acme/api', own.id, 'success', { createdAt: skewed });
    expect((await deployRow(1)).status).toBe('succeeded');
  });
});
