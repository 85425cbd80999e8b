import { plain } from '../src/slack/render/format.ts';
import { deployStarted, rollbackAnswer } from '../src/slack/render/deploys.ts';
import { refRefusal, resolveDeployTarget } from './deploy-target.ts';
import type { Command } from './types.ts';

/** `/rollback <service> [<env>] [to <ref-or-#id>]`. */
export function parseRollbackArgs(text: string): { service?: string; environment?: string; to?: string } {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const to = words.findIndex((w) => w.toLowerCase() === 'to');
  const named = to >= 0 ? words[to + 1] : undefined;
  const rest = to >= 0 ? words.slice(0, to) : words;
  return { service: rest[0], environment: rest[1], to: named };
}

export const rollback: Command<'config' | 'now' | 'deployer'> = {
  name: '/rollback',
  async run({ text, userId, channelId }, reply, deps) {
    const config = deps.config();
    const args = parseRollbackArgs(text);
    const serviceText = args.service ?? config.channels[channelId]?.service;
    if (!serviceText)
      return reply(plain('Say which service to roll back: `/rollback <service> [<env>] [to <ref-or-#id>]`.'));
    const target = resolveDeployTarget(config, serviceText, args.environment, channelId);
    if (!target.ok) return reply(plain(target.message));
    const badRef = refRefusal(args.to);
    if (badRef) return reply(plain(badRef));
    const attempt = await deps.deployer.rollback({
      service: target.service,
      environment: target.environment,
      requestedBy: userId,
      named: args.to,
    });
    if (!attempt.ok)
      return reply(rollbackAnswer(attempt, target, config.services[target.service].rollback, deps.now()));
    if (attempt.deploy.channel !== channelId) await reply(deployStarted(attempt.deploy));
  },
};
