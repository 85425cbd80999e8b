import type { GitHub } from '../../github/client.ts';
import type { Executor } from './types.ts';

/** Creates a GitHub Deployment; the outcome arrives as `deployment_status` webhooks, matched by its id. */
export function githubDeploymentExecutor(github: GitHub): Executor {
  return {
    async start(job, context) {
      const deployment = await github.createDeployment(job.repo, {
        sha: job.sha,
        environment: job.environment,
        description: `tugboat #${job.id}: ${job.ref} by ${job.requestedBy}`.slice(0, 140),
        payload: { tugboat_deploy_id: job.id, requested_by: job.requestedBy, rollback_of: job.rollbackOf ?? null },
      });
      await context.progress(`Created GitHub deployment ${deployment.id}; waiting for its status.`);
      return { kind: 'handed-off', externalId: String(deployment.id) };
    },
  };
}

const looksLikeSha = (ref: string) => /^[0-9a-f]{7,40}$/i.test(ref);

/**
 * Dispatches a GitHub Actions workflow with the SHA and environment as inputs. A dispatch
 * runs a branch or tag, so a deploy of a bare SHA dispatches from the default branch and the
 * workflow checks out `inputs.sha`. The outcome arrives as `deployment_status` (when the
 * workflow creates one carrying `tugboat_deploy_id`) or `workflow_run` webhooks.
 */
export function workflowExecutor(github: GitHub, workflow: string, defaultRef: string): Executor {
  return {
    async start(job, context) {
      const ref = looksLikeSha(job.ref) ? defaultRef : job.ref;
      await github.dispatchWorkflow(job.repo, workflow, ref, {
        sha: job.sha,
        environment: job.environment,
        deploy_id: String(job.id),
      });
      await context.progress(`Dispatched workflow \`${workflow}\` on \`${ref}\`; waiting for its run.`);
      return { kind: 'handed-off' };
    },
  };
}
