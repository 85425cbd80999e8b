import { inFlightDeploy } from '../src/deploys/index.ts';
import { mayCancelDeploy } from '../src/permissions.ts';
import { cancelNotAllowed, cancelOutcome, nothingToCancel } from '../src/slack/render/deploys.ts';
import { code, plain, type SlackMessage } from '../src/slack/render/format.ts';
import { resolveDeployTarget } from './deploy-target.ts';
import type { CommandDeps } from './types.ts';

const USAGE = code('/deploy cancel <service> [to <env>]');

/** `/deploy cancel <service> [to <env>]`: stops the deploy of that service in flight there, wherever it runs. */
export async function cancelDeploy(
  args: { service?: string; environment?: string },
  caller: { userId: string; channelId: string },
  deps: Pick<CommandDeps, 'config' | 'store' | 'deployer'>,
): Promise<SlackMessage> {
  const config = deps.config();
  const serviceText = args.service ?? config.channels[caller.channelId]?.service;
  if (!serviceText) return plain(`Say which service's deploy to cancel: ${USAGE}.`);
  const target = resolveDeployTarget(config, serviceText, args.environment, caller.channelId);
  if (!target.ok) return plain(target.message);
  const deploy = await inFlightDeploy(deps.store, target.service, target.environment);
  if (!deploy) return nothingToCancel(target.service, target.environment);
  if (!mayCancelDeploy(config, caller.userId, deploy)) return cancelNotAllowed(deploy);
  return cancelOutcome(deploy, (await deps.deployer.cancel(deploy, caller.userId)) !== undefined);
}
