import type { CheckConclusion, WorkflowRunRecord } from '../../src/fakes/github-api.ts';
import { deploymentStatusPayload } from '../../src/fakes/deploy-payloads.ts';
import { webhookExample } from '../../src/fakes/webhook-examples.ts';
import type { Harness } from './harness.ts';

/** Forty hex characters made from a short name, so tests read `sha('good')` and GitHub sees a real-looking SHA. */
export function sha(name: string): string {
  return Buffer.from(name).toString('hex').padEnd(40, '0').slice(0, 40);
}

/** A repository on the GitHub fake whose `main` has these commits, oldest first. */
export function seedRepo(h: Harness, repo: string, commits: string[]): void {
  h.githubApi.addRepo(repo, { defaultBranch: 'main' });
  for (const name of commits) h.githubApi.addCommit(repo, { sha: sha(name), message: name });
  h.githubApi.setBranch(repo, 'main', sha(commits.at(-1)!));
}

/** A signed push of `after` to acme/api's main branch, which auto-deploys to staging (test/fixtures/tugboat.yml). */
export function pushToMain(h: Harness, after: string, deliveryId: string) {
  const payload = webhookExample('push') as unknown as Record<string, unknown> & {
    repository: Record<string, unknown>;
    pusher: Record<string, unknown>;
  };
  Object.assign(payload, { ref: 'refs/heads/main', after, deleted: false });
  payload.repository.full_name = 'acme/api';
  payload.pusher.name = 'octocat';
  return h.github.deliver('push', payload, { deliveryId });
}

/** Where a GitHub delivery stands in the inbox, and how many times it was claimed. */
export const deliveryRow = async (h: Harness, deliveryId: string) =>
  (
    await h.db.store.query<{ status: string; attempts: number }>(
      'select status, attempts from github_deliveries where delivery_id = $1',
      [deliveryId],
    )
  )[0];

/** Sends a slash command and waits until tugboat has finished with it; returns the caller's ephemeral answers. */
export async function command(h: Harness, userId: string, line: string, channelId = 'C0RANDOM'): Promise<string[]> {
  const [name, ...rest] = line.split(' ');
  const sent = await h.slack.slashCommand({ command: name, text: rest.join(' '), userId, channelId });
  if (sent.status !== 200) throw new Error(`${line} answered ${sent.status}`);
  await h.tugboat.settle();
  return answersTo(h, sent.responseUrl);
}

export const answersTo = (h: Harness, responseUrl: string) =>
  h.slackApi.responses.filter((r) => responseUrl.endsWith(r.id)).map((r) => String(r.body.text));

/** The GitHub deployments tugboat created for a repo, oldest first. */
export const githubDeployments = (h: Harness, repo: string) => h.githubApi.deployments(repo);

/**
 * What GitHub sends when a deployment's status changes: a real payload, pointed at this
 * deployment (as the fake holds it, when it does). The deployment counts as created at the
 * harness clock's now unless `createdAt` says otherwise: the fake's own timestamps follow the
 * wall clock, not the harness clock that dates deploys.
 */
export async function reportDeploymentStatus(
  h: Harness,
  repo: string,
  deploymentId: number,
  state: 'success' | 'failure' | 'error' | 'in_progress',
  options: {
    deliveryId?: string;
    description?: string;
    payload?: Record<string, unknown>;
    environment?: string;
    createdAt?: Date;
  } = {},
) {
  const known = h.githubApi.deployments(repo).find((deployment) => deployment.id === deploymentId);
  const payload = deploymentStatusPayload(repo, deploymentId, state, known, {
    ...options,
    createdAt: options.createdAt ?? h.clock.now(),
  });
  const delivered = await h.github.deliver('deployment_status', payload, { deliveryId: options.deliveryId });
  await h.tugboat.settle();
  return delivered;
}

/**
 * What GitHub sends as a workflow run moves: a real payload, pointed at this run of the fake.
 * Dated like `reportDeploymentStatus`: the harness clock's now unless `createdAt` says otherwise.
 */
export async function reportWorkflowRun(
  h: Harness,
  repo: string,
  run: WorkflowRunRecord,
  action: 'requested' | 'in_progress' | 'completed',
  options: { conclusion?: CheckConclusion; createdAt?: Date } = {},
) {
  const payload = webhookExample('workflow_run', 'completed') as unknown as {
    action: string;
    workflow_run: Record<string, unknown>;
    repository: Record<string, unknown>;
  };
  payload.action = action;
  Object.assign(payload.workflow_run, {
    id: run.id,
    name: run.name,
    display_title: run.display_title,
    event: run.event,
    head_sha: run.head_sha,
    head_branch: run.head_branch,
    path: run.path,
    workflow_id: run.workflow_id,
    run_number: run.run_number,
    status: action === 'requested' ? 'queued' : action,
    conclusion: action === 'completed' ? (options.conclusion ?? 'success') : null,
    created_at: (options.createdAt ?? h.clock.now()).toISOString(),
    html_url: `https://github.com/${repo}/actions/runs/${run.id}`,
  });
  payload.repository.full_name = repo;
  const delivered = await h.github.deliver('workflow_run', payload);
  await h.tugboat.settle();
  return delivered;
}

/** The top-level messages of a channel as Slack shows them now (after every chat.update). */
export const channelMessages = (h: Harness, channel: string) => h.slackApi.messages(channel);

export function threadOf(h: Harness, channel: string, ts: string) {
  return h.slackApi.thread(channel, ts).filter((m) => m.ts !== ts);
}
