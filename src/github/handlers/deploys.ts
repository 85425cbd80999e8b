import type { Webhooks } from '@octokit/webhooks';
import type { Config } from '../../config/index.ts';
import { findByExternalId, findInFlightBySha, getDeploy, type Deploy } from '../../deploys/deploys.ts';
import type { Deps } from '../../deps.ts';
import { plain } from '../../slack/render/format.ts';
import { blockerSentence } from '../../slack/render/deploys.ts';

const servicesOfRepo = (config: Config, repo: string) =>
  Object.entries(config.services).filter(([, s]) => s.repo.toLowerCase() === repo.toLowerCase());

/**
 * Outcomes of deploys handed to GitHub (`deployment_status`, `workflow_run`), and
 * auto-deploys on `push`. Each webhook is handled once (see the delivery ledger); an
 * outcome is recorded once even if GitHub reports it twice.
 */
export function registerDeployWebhooks(webhooks: Webhooks, deps: Deps): void {
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
        await deps.deployer.complete(deploy.id, { succeeded: false, detail: status.description || `GitHub reported the deployment as ${status.state}`, logUrl });
        return;
      case 'queued':
      case 'pending':
      case 'in_progress':
        await deps.deployer.progress(deploy.id, `GitHub: ${status.state.replace('_', ' ')}${status.description ? `: ${status.description}` : ''}${logUrl ? ` (<${logUrl}|log>)` : ''}`);
        return;
    }
  });

  webhooks.on('workflow_run', async ({ payload }) => {
    const run = payload.workflow_run;
    if (run.event !== 'workflow_dispatch') return;
    const services = servicesOfRepo(deps.config(), payload.repository.full_name)
      .filter(([, s]) => s.deploy.via === 'workflow' && run.path.endsWith(`/${s.deploy.workflow}`))
      .map(([name]) => name);
    if (services.length === 0) return;
    const deploy = await findInFlightBySha(deps.store, 'workflow', services, run.head_sha);
    if (!deploy) return;
    if (payload.action === 'completed') {
      const succeeded = run.conclusion === 'success';
      await deps.deployer.complete(deploy.id, { succeeded, detail: succeeded ? undefined : `the workflow run concluded ${run.conclusion}`, logUrl: run.html_url });
    } else if (payload.action === 'in_progress') {
      await deps.deployer.progress(deploy.id, `Workflow run started: <${run.html_url}|${run.name ?? 'run'} #${run.run_number}>`);
    }
  });

  webhooks.on('push', async ({ payload }) => {
    if (payload.deleted || !payload.ref.startsWith('refs/heads/')) return;
    const branch = payload.ref.slice('refs/heads/'.length);
    const config = deps.config();
    const pusher = payload.pusher.name ?? payload.sender?.login ?? 'someone';
    const requestedBy = config.people[pusher] ?? `@${pusher}`;
    for (const [service, settings] of servicesOfRepo(config, payload.repository.full_name)) {
      if (settings.auto_deploy?.branch !== branch) continue;
      const environment = settings.auto_deploy.environment;
      const attempt = await deps.deployer.deploy({ service, environment, ref: payload.after, requestedBy, force: false, confirmBadSha: false });
      if (attempt.ok) continue;
      const now = deps.now();
      const reasons = attempt.preflight.checks.filter((c) => !c.passed).map((c) => `• ${blockerSentence(c.blocker!, attempt.preflight.request, now)}`);
      await deps.slack.postToEach(
        [config.environments[environment].channel],
        plain(`:pause_button: Auto-deploy of *${service}* \`${payload.after.slice(0, 7)}\` (pushed to \`${branch}\` by ${pusher}) to *${environment}* did not start:\n${reasons.join('\n')}`),
      );
    }
  });
}

/**
 * The deploy a GitHub deployment belongs to: the one that created it (`via: github-deployment`),
 * or the one a workflow named in the deployment's payload, if that deploy is of this repo.
 */
async function deployOfGitHubDeployment(
  deps: Deps,
  repo: string,
  deployment: { id: number; payload?: unknown },
): Promise<Deploy | undefined> {
  const created = await findByExternalId(deps.store, 'github-deployment', String(deployment.id));
  if (created) return created;
  const named = Number((deployment.payload as { tugboat_deploy_id?: unknown } | undefined)?.tugboat_deploy_id);
  if (!Number.isInteger(named)) return undefined;
  const deploy = await getDeploy(deps.store, named);
  const service = deploy && deps.config().services[deploy.service];
  return service && service.repo.toLowerCase() === repo.toLowerCase() ? deploy : undefined;
}
