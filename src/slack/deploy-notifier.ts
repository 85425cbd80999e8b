import type { Config } from '../config/index.ts';
import {
  type Deploy,
  deployLogLink,
  type DeployNotifier,
  type DeployReply,
  type PreflightResult,
  type QueuedDeploy,
} from '../deploys/index.ts';
import type { Logger } from '../log.ts';
import type { SlackPoster } from './poster.ts';
import type { SlackMessage } from './render/format.ts';
import {
  deployAnnouncement,
  deployOutput,
  deployProgress,
  deployScriptStopped,
  deployStopped,
  deploySuperseded,
  deployWaitedForScript,
  queuedDropped,
  queuedRemoved,
  queuedStarted,
  smokeResult,
  type CommitLinks,
} from './render/deploys.ts';

/** GitHub's web address for a commit, from the REST base (api.github.com, or GHES's /api/v3). */
export function commitLinks(githubApiUrl: string): CommitLinks {
  const api = new URL(githubApiUrl);
  const web =
    api.hostname === 'api.github.com'
      ? 'https://github.com'
      : `${api.origin}${api.pathname.replace(/\/api\/v3\/?$/, '')}`;
  return { commitUrl: (repo, sha) => `${web.replace(/\/$/, '')}/${repo}/commit/${encodeURIComponent(sha)}` };
}

/** Tells a deploy's story in Slack: the announcement in the environment's channel, updated in place, and its thread. */
export class SlackDeployNotifier implements DeployNotifier {
  constructor(
    private readonly deps: { slack: SlackPoster; config(): Config; links: CommitLinks; now(): Date; log: Logger },
  ) {}

  #announcement(deploy: Deploy): SlackMessage {
    // A service removed from tugboat.yml while its deploy ran still has its story told, without the links the config gave.
    const service = this.deps.config().services[deploy.service];
    const now = this.deps.now();
    return deployAnnouncement(deploy, {
      repo: service?.repo,
      links: this.deps.links,
      logUrl: deployLogLink(service?.logs, deploy, now),
      now,
    });
  }

  async announce(deploy: Deploy, _preflight: PreflightResult): Promise<string | undefined> {
    try {
      const posted = await this.deps.slack.post(
        { channel: deploy.channel, ...this.#announcement(deploy) },
        { deploy: deploy.id },
      );
      return posted.ts;
    } catch (error) {
      this.deps.log.warn({ err: error, deploy: deploy.id, channel: deploy.channel }, 'could not announce a deploy');
      return undefined;
    }
  }

  async update(deploy: Deploy): Promise<void> {
    if (!deploy.messageTs) return;
    await this.deps.slack
      .update({ channel: deploy.channel, ts: deploy.messageTs, ...this.#announcement(deploy) })
      .catch((error) =>
        this.deps.log.warn({ err: error, deploy: deploy.id }, 'could not update a deploy announcement'),
      );
  }

  async reply(deploy: Deploy, reply: DeployReply): Promise<void> {
    const message = renderReply(deploy, reply);
    await this.deps.slack
      .post({ channel: deploy.channel, ...(deploy.messageTs ? { thread_ts: deploy.messageTs } : {}), ...message })
      .catch((error) => this.deps.log.warn({ err: error, deploy: deploy.id }, 'could not reply in a deploy thread'));
  }

  async queueOutcome(entry: QueuedDeploy, outcome: Parameters<DeployNotifier['queueOutcome']>[1]): Promise<void> {
    const message =
      'started' in outcome
        ? queuedStarted(entry, outcome.started)
        : 'removed' in outcome
          ? queuedRemoved(entry, outcome.removed)
          : queuedDropped(entry, outcome.dropped, this.deps.now());
    await this.deps.slack.postToEach([entry.requestedBy], message);
  }
}

function renderReply(deploy: Deploy, reply: DeployReply): SlackMessage {
  switch (reply.kind) {
    case 'progress':
      return deployProgress(reply.text);
    case 'output':
      return deployOutput(reply.tail);
    case 'smoke':
      return smokeResult(deploy, reply);
    case 'superseded':
      return deploySuperseded(reply.by);
    case 'stopped':
      return deployStopped(deploy, reply.stop);
    case 'script-stopped':
      return deployScriptStopped();
    case 'waited':
      return deployWaitedForScript(reply.for, reply.how);
  }
}
