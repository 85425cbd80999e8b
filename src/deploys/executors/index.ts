import type { ServiceConfig } from '../../config/index.ts';
import type { GitHub } from '../../github/client.ts';
import { CALLBACK_PATH } from '../callback.ts';
import { commandExecutor } from './command.ts';
import { githubDeploymentExecutor, workflowExecutor } from './github.ts';
import type { Executor } from './types.ts';
import { webhookExecutor } from './webhook.ts';

export type { DeployJob, Executor, ExecutorOutcome, HandedOffJob, StopCause } from './types.ts';

/** How long a deploy handed to GitHub or a receiver may stay in flight when `deploy.timeout` does not say. */
export const DEFAULT_DEPLOY_TIMEOUT_MS = 60 * 60_000;

export interface ExecutorSettings {
  github: GitHub;
  /** Where `via: command` runs: the folder of tugboat.yml, so `./scripts/deploy.sh` means the same to everyone. */
  commandCwd: string;
  /** How long a `via: command` script may run when `deploy.timeout` does not say. */
  commandTimeoutMs: number;
  /** Takes tugboat's secrets out of a command's output before it is posted. */
  scrub: (text: string) => string;
  /** For `via: webhook`: tugboat's public URL (the receiver's callback) and the shared HMAC secret. */
  publicUrl?: string;
  webhookSecret?: string;
}

/** The executor that `deploy.via` names. */
export function executorFor(service: ServiceConfig, settings: ExecutorSettings): Executor {
  const deploy = service.deploy;
  switch (deploy.via) {
    case 'github-deployment':
      return githubDeploymentExecutor(settings.github);
    case 'workflow':
      return workflowExecutor(settings.github, deploy.workflow, service.default_ref);
    case 'command':
      return commandExecutor({
        run: deploy.run,
        cwd: settings.commandCwd,
        timeoutMs: deployTimeoutMs(service, settings.commandTimeoutMs),
        passEnv: deploy.env,
        scrub: settings.scrub,
      });
    case 'webhook':
      if (!settings.publicUrl || !settings.webhookSecret)
        return misconfigured('deploys via webhook need TUGBOAT_PUBLIC_URL and TUGBOAT_WEBHOOK_SECRET to be set');
      return webhookExecutor({
        url: deploy.url,
        secret: settings.webhookSecret,
        callbackUrl: `${settings.publicUrl}${CALLBACK_PATH}`,
      });
  }
}

/** How long a deploy of this service may stay in flight: `deploy.timeout`, else the executor's default. */
export function deployTimeoutMs(service: ServiceConfig, commandTimeoutMs: number): number {
  return service.deploy.timeout ?? (service.deploy.via === 'command' ? commandTimeoutMs : DEFAULT_DEPLOY_TIMEOUT_MS);
}

function misconfigured(reason: string): Executor {
  return { start: async () => ({ kind: 'finished', succeeded: false, reason }) };
}
