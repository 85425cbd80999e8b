import type { EmitterWebhookEvent, Webhooks } from '@octokit/webhooks';
import type { Config } from '../../config/index.ts';
import {
  attachExternalId,
  claimAutoDeployStart,
  CLOCK_SKEW_MS,
  type Deploy,
  type DeployAttempt,
  type Deployer,
  deployIdInRunTitle,
  dispatchedOnItsOwnRef,
  findByExternalId,
  getDeploy,
  settleAutoDeployStart,
} from '../../deploys/index.ts';
import type { Deps } from '../../deps.ts';
import { autoDeployRefusal } from '../../slack/render/deploys.ts';
import { escapeText, link, LIMITS, safeUrl } from '../../slack/render/untrusted.ts';

type GitHubDeployment = EmitterWebhookEvent<'deployment_status'>['payload']['deployment'];
type WorkflowRun = EmitterWebhookEvent<'workflow_run'>['payload']['workflow_run'];

const servicesOfRepo = (config: Config, repo: string) =>
  Object.entries(config.services).filter(([, s]) => s.repo.toLowerCase() === repo.toLowerCase());

/**
 * Outcomes of deploys handed to GitHub (`deployment_status`, `workflow_run`), and
 * auto-deploys on `push`. Each webhook is handled once (see the delivery ledger); an
 * outcome is recorded once even if GitHub reports it twice. An outcome only reaches the
 * deploy whose own GitHub deployment or workflow run it is about (see `deployOfGitHubDeployment`
 * and `deployOfWorkflowRun`).
 */
export function registerDeployWebhooks(
  webhooks: Webhooks,
  deps: Deps & { deployer: Pick<Deployer, 'complete' | 'progress' | 'deploy'> },
): void {
  webhooks.on('deployment_status', async ({ payload }) => {
    const deploy = await deployOfGitHubDeployment(deps, payload.repository.full_name, payload.deployment);
    if (!deploy) return;
    const status = payload.deployment_status;
    const logUrl = status.log_url || status.target_url || undefined;
    switch (status.state) {
      case 'success':
        await deps.deployer.complete(deploy.id, { succeeded: true, logUrl });
        return;
      case 'failure':
      case 'error':
        await deps.deployer.complete(deploy.id, {
          succeeded: false,
          detail: status.description || `GitHub reported the deployment as ${status.state}`,
          logUrl,
        });
        return;
      case 'queued':
      case 'pending':
      case 'in_progress':
        await deps.deployer.progress(
          deploy.id,
          `GitHub: ${status.state.replace('_', ' ')}${status.description ? `: ${escapeText(status.description, LIMITS.sentence)}` : ''}${safeUrl(logUrl) ? ` (${link(logUrl, 'log')})` : ''}`,
        );
        return;
    }
  });

  webhooks.on('workflow_run', async ({ payload }) => {
    const run = payload.workflow_run;
    const deploy = await deployOfWorkflowRun(deps, payload.repository.full_name, run);
    if (!deploy) return;
    if (payload.action === 'completed') {
      const succeeded = run.conclusion === 'success';
      await deps.deployer.complete(deploy.id, {
        succeeded,
        detail: succeeded ? undefined : `the workflow run concluded ${run.conclusion}`,
        logUrl: run.html_url,
      });
    } else if (payload.action === 'in_progress') {
      await deps.deployer.progress(
        deploy.id,
        `Workflow run started: ${link(run.html_url, `${run.name ?? 'run'} #${run.run_number}`)}`,
      );
    }
  });

  webhooks.on('push', async ({ id, payload }) => {
    if (payload.deleted || !payload.ref.startsWith('refs/heads/')) return;
    const branch = payload.ref.slice('refs/heads/'.length);
    const config = deps.config();
    const pusher = payload.pusher.name ?? payload.sender?.login ?? 'someone';
    const requestedBy = config.people[pusher] ?? `@${pusher}`;
    for (const [service, settings] of servicesOfRepo(config, payload.repository.full_name)) {
      if (settings.auto_deploy?.branch !== branch) continue;
      const environment = settings.auto_deploy.environment;
      const attempt = await startOnce(deps, { deliveryId: id, service, environment }, () =>
        deps.deployer.deploy({
          service,
          environment,
          ref: payload.after,
          requestedBy,
          force: false,
          confirmBadSha: false,
        }),
      );
      if (!attempt || attempt.ok) continue;
      await deps.slack.postToEach(
        [config.environments[environment].channel],
        autoDeployRefusal({ branch, pusher }, attempt.preflight, deps.now()),
      );
    }
  });
}

/** How long a claimed auto-deploy start may take before another handling of the delivery takes it over. */
const AUTO_DEPLOY_CLAIM_MS = 5 * 60_000;

/**
 * Runs `deploy` unless this delivery already started it (the delivery handled again after a
 * failure part-way, or after its lease lapsed): undefined then. A start that did not happen is
 * forgotten, so that a later handling (a retry, Redeliver) tries it again.
 */
async function startOnce(
  deps: Pick<Deps, 'store'>,
  start: { deliveryId: string; service: string; environment: string },
  deploy: () => Promise<DeployAttempt>,
): Promise<DeployAttempt | undefined> {
  if (!(await claimAutoDeployStart(deps.store, start, AUTO_DEPLOY_CLAIM_MS))) return undefined;
  let attempt: DeployAttempt | undefined;
  try {
    attempt = await deploy();
    return attempt;
  } finally {
    await settleAutoDeployStart(deps.store, start, attempt?.ok ? attempt.deploy.id : undefined);
  }
}

/**
 * The deploy a GitHub deployment belongs to: the `via: github-deployment` deploy that created
 * it (recorded, or named by its payload's `tugboat_deploy_id` while none is recorded yet), or
 * the `via: workflow` deploy its payload names (set by the workflow) for the same repository and
 * environment. Either way not one created after the
 * deployment: that is an old delivery replayed, or an id reused after the database was rebuilt.
 */
async function deployOfGitHubDeployment(
  deps: Deps,
  repo: string,
  deployment: GitHubDeployment,
): Promise<Deploy | undefined> {
  const created = await findByExternalId(deps.store, 'github-deployment', String(deployment.id));
  const deploy = created ?? (await deployNamedByDeployment(deps, deployment));
  if (!deploy) return undefined;
  const ignored = (reason: string) =>
    ignore(deps, 'deployment_status', { deploy: deploy.id, deployment: deployment.id, repo }, reason);
  if (!isOfRepo(deps.config(), deploy, repo)) return ignored('the deploy is of another repository');
  if (createdBefore(deployment.created_at, deploy)) return ignored('the deployment is older than the deploy');
  return deploy;
}

async function deployNamedByDeployment(deps: Deps, deployment: GitHubDeployment): Promise<Deploy | undefined> {
  const named = Number((deployment.payload as { tugboat_deploy_id?: unknown } | undefined)?.tugboat_deploy_id);
  if (!Number.isInteger(named)) return undefined;
  const deploy = await getDeploy(deps.store, named);
  const ignored = (reason: string) =>
    ignore(deps, 'deployment_status', { deploy: named, deployment: deployment.id }, reason);
  if (!deploy) return ignored('no such deploy');
  if (deploy.executor !== 'workflow' && deploy.executor !== 'github-deployment')
    return ignored(`the deploy runs via ${deploy.executor}`);
  if (deploy.environment.toLowerCase() !== deployment.environment.toLowerCase())
    return ignored('the deployment is to another environment');
  if (deploy.executor === 'workflow') return deploy;
  // A github-deployment deploy hears only of the deployment it created itself. A CD system can
  // report on it before the deploy has recorded it (or while the database was unreachable then):
  // the first deployment recorded is the deploy's, as for workflow runs.
  const recorded = await attachExternalId(deps.store, deploy.id, String(deployment.id));
  return (
    recorded ??
    ignored(
      deploy.externalId
        ? `the deploy belongs to GitHub deployment ${deploy.externalId}`
        : 'the deploy is no longer in flight',
    )
  );
}

/**
 * The deploy a workflow run belongs to: the one that recorded the run's id (its executor found
 * the run after dispatching it, or an earlier webhook of the run did), else the one the run's
 * title names (see `RUN_NAME_CONVENTION`) if that deploy has no run yet and the run is of its
 * repository, workflow and commit; the run is then recorded as its one run. Never another run
 * of the same commit, and never a run created before the deploy.
 */
async function deployOfWorkflowRun(deps: Deps, repo: string, run: WorkflowRun): Promise<Deploy | undefined> {
  if (run.event !== 'workflow_dispatch') return undefined;
  const recorded = await findByExternalId(deps.store, 'workflow', String(run.id));
  const named = recorded?.id ?? deployIdInRunTitle('display_title' in run ? run.display_title : undefined);
  if (named === undefined) return undefined;
  const ignored = (reason: string) => ignore(deps, 'workflow_run', { deploy: named, run: run.id, repo }, reason);
  const deploy = recorded ?? (await getDeploy(deps.store, named));
  if (!deploy || deploy.executor !== 'workflow') return ignored('no workflow deploy has that id');
  const mismatch = runMismatch(deps.config(), deploy, repo, run);
  if (mismatch) return ignored(mismatch);
  if (recorded) return recorded;
  if (deploy.externalId !== null) return ignored(`the deploy belongs to run ${deploy.externalId}`);
  // A run's head is the dispatched ref's: for a bare SHA, the default branch's head (see the executor).
  if (dispatchedOnItsOwnRef(deploy.ref) && run.head_sha !== deploy.sha) return ignored('the run is of another commit');
  return (
    (await attachExternalId(deps.store, deploy.id, String(run.id))) ??
    ignored('the deploy finished or took another run first')
  );
}

/** Why a run cannot be the deploy's: another repository or workflow, or older than the deploy. */
function runMismatch(config: Config, deploy: Deploy, repo: string, run: WorkflowRun): string | undefined {
  const settings = config.services[deploy.service]?.deploy;
  if (!isOfRepo(config, deploy, repo)) return 'the deploy is of another repository';
  if (settings?.via !== 'workflow' || !isOfWorkflow(run, settings.workflow)) return 'the run is of another workflow';
  if (createdBefore(run.created_at, deploy)) return 'the run is older than the deploy';
  return undefined;
}

/** `deploy.workflow` names the file (`deploy.yml`) or, as GitHub also accepts, the workflow's numeric id. */
const isOfWorkflow = (run: WorkflowRun, workflow: string) =>
  run.path.endsWith(`/${workflow}`) || String(run.workflow_id) === workflow;

function isOfRepo(config: Config, deploy: Deploy, repo: string): boolean {
  return config.services[deploy.service]?.repo.toLowerCase() === repo.toLowerCase();
}

/** Created before the deploy (beyond clock skew), or with no readable time: not this deploy's. */
function createdBefore(createdAt: string, deploy: Deploy): boolean {
  return !(Date.parse(createdAt) >= deploy.createdAt.getTime() - CLOCK_SKEW_MS);
}

function ignore(deps: Deps, event: string, context: Record<string, unknown>, reason: string): undefined {
  deps.log.info({ ...context, event }, `ignored a ${event}: ${reason}`);
  return undefined;
}
