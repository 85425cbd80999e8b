import type { DeploymentRecord } from './github-state.ts';
import { webhookExample } from './webhook-examples.ts';

export interface DeploymentStatusPatch {
  description?: string;
  payload?: Record<string, unknown>;
  environment?: string;
  /** When the deployment was created; now unless given. */
  createdAt?: Date;
}

/**
 * What GitHub sends when a deployment's status changes: a real `deployment_status` payload,
 * pointed at this deployment (as the GitHub fake holds it, when it does).
 */
export function deploymentStatusPayload(
  repo: string,
  deploymentId: number,
  state: 'success' | 'failure' | 'error' | 'in_progress',
  known: DeploymentRecord | undefined,
  options: DeploymentStatusPatch = {},
) {
  const payload = webhookExample('deployment_status', 'created') as unknown as {
    deployment_status: Record<string, unknown>;
    deployment: Record<string, unknown>;
    repository: Record<string, unknown>;
  };
  if (known)
    Object.assign(payload.deployment, {
      sha: known.sha,
      ref: known.ref,
      environment: known.environment,
      payload: known.payload,
    });
  payload.deployment_status.state = state;
  payload.deployment_status.description = options.description ?? '';
  payload.deployment_status.log_url = `https://ci.example.com/deploys/${deploymentId}`;
  payload.deployment.id = deploymentId;
  payload.deployment.created_at = (options.createdAt ?? new Date()).toISOString();
  if (options.payload) payload.deployment.payload = options.payload;
  if (options.environment) payload.deployment.environment = payload.deployment_status.environment = options.environment;
  payload.repository.full_name = repo;
  return payload;
}
