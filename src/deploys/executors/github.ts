import { setTimeout as sleep } from 'node:timers/promises';
import type { GitHub, WorkflowRun } from '../../github/client.ts';
import { codeText } from '../../slack/render/untrusted.ts';
import type { DeployJob, Executor, StopCause } from './types.ts';

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
    async reconcile(job) {
      if (!job.externalId) return { pending: 'GitHub never confirmed creating its deployment' };
      const latest = await github.latestDeploymentStatus(job.repo, Number(job.externalId));
      if (latest?.state === 'success') return { outcome: { succeeded: true, logUrl: latest.logUrl } };
      if (latest?.state === 'failure' || latest?.state === 'error') {
        return {
          outcome: {
            succeeded: false,
            detail: latest.description || `GitHub reported the deployment as ${latest.state}`,
            logUrl: latest.logUrl,
          },
        };
      }
      return {
        pending: `GitHub deployment ${job.externalId} ${latest ? `last reported ${latest.state}` : 'has no status at all'}`,
      };
    },
    async stop(job, cause) {
      if (!job.externalId) return 'tugboat has no GitHub deployment to mark';
      // `inactive` withdraws a deployment nobody needs any more; `error` says it went wrong.
      const state = cause === 'timed_out' ? 'error' : 'inactive';
      await github.createDeploymentStatus(
        job.repo,
        Number(job.externalId),
        state,
        `tugboat #${job.id}: ${STOP_WORDS[cause]}`,
      );
      return `GitHub deployment ${job.externalId} marked ${state}`;
    },
  };
}

const STOP_WORDS: Record<StopCause, string> = {
  cancelled: 'cancelled with /deploy cancel',
  timed_out: 'no outcome within deploy.timeout',
  superseded: 'superseded by a rollback',
};

/**
 * How a workflow names the deploy its run belongs to, in its `run-name:` (quoted: in YAML ` #`
 * starts a comment). GitHub's runs API does not return a dispatch's inputs, so the run's title
 * is the only place tugboat can read the deploy id back from. Other words may surround it.
 */
export const RUN_NAME_CONVENTION = 'tugboat deploy #${{ inputs.deploy_id }}';

/** The deploy a run's title names by the convention, when it names exactly one. */
export function deployIdInRunTitle(title: string | null | undefined): number | undefined {
  const ids = new Set([...(title ?? '').matchAll(/tugboat deploy #(\d+)(?!\d)/gi)].map((match) => Number(match[1])));
  return ids.size === 1 ? [...ids][0] : undefined;
}

/**
 * How far GitHub's clock and tugboat's may disagree. A minute is far more than NTP-synced
 * hosts drift, and far less than the time between two deploys that could share an id (a
 * database restored or rebuilt), which is what the created-before checks guard against.
 */
export const CLOCK_SKEW_MS = 60_000;

const looksLikeSha = (ref: string) => /^[0-9a-f]{7,40}$/i.test(ref);

/**
 * A dispatch runs a branch or tag: a deploy of a bare SHA is dispatched from the default
 * branch, so its run's `head_sha` is that branch's head, not the SHA deployed.
 */
export const dispatchedOnItsOwnRef = (ref: string) => !looksLikeSha(ref);

/** After a dispatch, the runs list is read right away, then after these pauses, until the run shows. */
const RUN_LOOKUP_DELAYS_MS = [1_000, 2_000, 4_000, 8_000];

/**
 * Dispatches a GitHub Actions workflow with the SHA, environment and deploy id as inputs, then
 * finds the run it started (by the deploy id in the run's title, see `RUN_NAME_CONVENTION`), so
 * that only that run's `workflow_run` webhooks report on the deploy. A run not listed in time is
 * recognised by its title when its first webhook arrives. A `deployment_status` carrying
 * `tugboat_deploy_id` also reports on the deploy.
 */
export function workflowExecutor(
  github: GitHub,
  workflow: string,
  defaultRef: string,
  options: { lookupDelaysMs?: number[] } = {},
): Executor {
  return {
    async start(job, context) {
      const ref = dispatchedOnItsOwnRef(job.ref) ? job.ref : defaultRef;
      const dispatchedAt = new Date();
      await github.dispatchWorkflow(job.repo, workflow, ref, {
        sha: job.sha,
        environment: job.environment,
        deploy_id: String(job.id),
      });
      const dispatched = `Dispatched workflow ${codeText(workflow)} on ${codeText(ref)}`;
      const run = await findDispatchedRun(
        github,
        workflow,
        job,
        dispatchedAt,
        options.lookupDelaysMs ?? RUN_LOOKUP_DELAYS_MS,
        context.signal,
      );
      if (run) {
        await context.progress(`${dispatched}: run ${run.id}; waiting for its outcome.`);
        return { kind: 'handed-off', externalId: String(run.id) };
      }
      await context.progress(
        `${dispatched}; its run is not listed yet (tugboat knows it by "tugboat deploy #${job.id}" in its run-name), waiting for it.`,
      );
      return { kind: 'handed-off' };
    },
    async reconcile(job) {
      if (!job.externalId) return { pending: `no run of ${workflow} naming "tugboat deploy #${job.id}" was ever seen` };
      const run = await github.workflowRun(job.repo, Number(job.externalId));
      if (run.status === 'completed') {
        const succeeded = run.conclusion === 'success';
        return {
          outcome: {
            succeeded,
            detail: succeeded ? undefined : `the workflow run concluded ${run.conclusion}`,
            logUrl: run.htmlUrl,
          },
        };
      }
      return { pending: `workflow run ${job.externalId} is still ${run.status}` };
    },
    async stop(job) {
      if (!job.externalId) return `no run of ${workflow} was found to cancel`;
      const cancelled = await github.cancelWorkflowRun(job.repo, Number(job.externalId));
      return cancelled
        ? `workflow run ${job.externalId} cancelled`
        : `workflow run ${job.externalId} had already finished`;
    },
  };
}

async function findDispatchedRun(
  github: GitHub,
  workflow: string,
  job: DeployJob,
  dispatchedAt: Date,
  delaysMs: number[],
  signal: AbortSignal,
): Promise<WorkflowRun | undefined> {
  const since = new Date(dispatchedAt.getTime() - CLOCK_SKEW_MS);
  for (const delay of [0, ...delaysMs]) {
    if (delay > 0 && !(await pause(delay, signal))) return undefined;
    // The workflow is dispatched: a failed lookup must not fail the deploy, the run's webhook still finds it.
    const runs = await github.dispatchedRuns(job.repo, workflow, since).catch(() => []);
    // Newest first: the oldest run naming this deploy is the one tugboat's own dispatch started.
    const ours = runs.filter((run) => deployIdInRunTitle(run.displayTitle) === job.id).at(-1);
    if (ours) return ours;
  }
  return undefined;
}

/** False when the deploy was stopped while waiting. */
async function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
