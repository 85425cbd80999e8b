import { forceRefused } from '../src/deploys/index.ts';
import { code, plain } from '../src/slack/render/format.ts';
import { deployPlan, deployRefusal, deployStarted, forceNotAllowed } from '../src/slack/render/deploys.ts';
import { cancelDeploy } from './deploy-cancel.ts';
import { refRefusal, resolveDeployTarget, splitFlags } from './deploy-target.ts';
import type { Command } from './types.ts';

const FLAGS = new Set(['--force', '--plan']);
const USAGE = `${code('/deploy <service> [<ref>] [to <env>] [--plan] [--force]')} or ${code('/deploy cancel <service> [to <env>]')}`;

/** `/deploy <service> [<ref>] [to <env>]`: `api`, `api v1.4.2`, `api to prod`, `api 3f2a1bc to staging --plan`. */
export function parseDeployArgs(text: string): {
  service?: string;
  ref?: string;
  environment?: string;
  flags: Set<string>;
} {
  const { words, flags } = splitFlags(text);
  const to = words.findIndex((w) => w.toLowerCase() === 'to');
  const environment = to >= 0 ? words[to + 1] : undefined;
  const rest = to >= 0 ? words.slice(0, to) : words;
  return { service: rest[0], ref: rest[1], environment, flags };
}

export const deploy: Command<'config' | 'now' | 'store' | 'deployer' | 'links'> = {
  name: '/deploy',
  async run({ text, userId, channelId }, reply, deps) {
    const config = deps.config();
    const args = parseDeployArgs(text);
    if (args.service?.toLowerCase() === 'cancel') {
      return reply(
        await cancelDeploy(parseDeployArgs(text.trim().slice('cancel'.length)), { userId, channelId }, deps),
      );
    }
    const unknownFlag = [...args.flags].find((f) => !FLAGS.has(f));
    if (unknownFlag) return reply(plain(`Unknown option ${code(unknownFlag)}. Usage: ${USAGE}`));
    const serviceText = args.service ?? config.channels[channelId]?.service;
    if (!serviceText) return reply(plain(`Say which service to deploy: ${USAGE}.`));
    const target = resolveDeployTarget(config, serviceText, args.environment, channelId);
    if (!target.ok) return reply(plain(target.message));
    const badRef = refRefusal(args.ref);
    if (badRef) return reply(plain(badRef));
    const request = {
      service: target.service,
      environment: target.environment,
      ref: args.ref ?? config.services[target.service].default_ref,
      requestedBy: userId,
      force: args.flags.has('--force'),
      confirmBadSha: false,
    };
    if (forceRefused(config, request)) return reply(forceNotAllowed());
    const now = deps.now();
    if (args.flags.has('--plan')) {
      return reply(
        deployPlan(await deps.deployer.plan(request), deps.links, config.services[target.service].repo, now),
      );
    }
    const attempt = await deps.deployer.deploy(request);
    if (!attempt.ok) return reply(deployRefusal(attempt.preflight, now));
    if (attempt.deploy.channel !== channelId) await reply(deployStarted(attempt.deploy));
  },
};
