import { environmentsOf, removedFromConfig } from '../src/config/index.ts';
import { allInFlight, allWaiting, currentReleases, recentDeploys } from '../src/deploys/index.ts';
import { listLocks, scopeCovers } from '../src/locks/index.ts';
import { checkId, latestCheckStates } from '../src/smoke/index.ts';
import { code, plain } from '../src/slack/render/format.ts';
import { escapeText, LIMITS } from '../src/slack/render/untrusted.ts';
import { deployHistory, deployStatus } from '../src/slack/render/deploys.ts';
import type { Deps } from '../src/deps.ts';
import { resolveDeployTarget } from './deploy-target.ts';
import { incident } from './tugboat-incident.ts';
import { link } from './tugboat-link.ts';
import { reviews } from './tugboat-reviews.ts';
import type { Command, Reply } from './types.ts';

export const HELP = [
  '*tugboat*: deploy all day without breaking production.',
  '`/deploy <service> [<ref>] [to <env>] [--plan] [--force]`: deploy a ref (default the service’s `default_ref`); `--plan` only checks',
  '`/deploy cancel <service> [to <env>]`: stop the deploy in flight (whoever started it, deployers of the environment, admins)',
  '`/rollback <service> [<env>] [to <ref-or-#id>]`: deploy the release before the current one',
  '`/lock <env>|<service>@<env>|all [for <duration>] [reason…]`: take a lock, announced in the channel',
  '`/unlock <env>|<service>@<env>|all [--force]`: release your lock (`--force`: admins, anyone’s)',
  '`/locks`: list current locks',
  '`/tugboat status`: what runs where, what is locked, in flight or queued, and how each smoke check fares',
  '`/tugboat incident`: in an incident channel, its timeline so far',
  '`/tugboat history <service> [env]`: the last 10 deploys',
  '`/tugboat reviews`: the reviews waiting on you, oldest first',
  '`/tugboat link <github-login>`: tell tugboat your GitHub login (proven by your public email or a one-time code), so review pings mention you; admins: `/tugboat link <github-login> @person`',
  '`/tugboat help`: this message',
]
  // Escaped like any text, so Slack shows the `<placeholders>` instead of reading them as links.
  .map((line) => escapeText(line, LIMITS.sentence))
  .join('\n');

async function status(reply: Reply, deps: Pick<Deps, 'config' | 'now' | 'store'>) {
  const config = deps.config();
  const now = deps.now();
  const [current, inFlight, locks, queued, checks] = await Promise.all([
    currentReleases(deps.store),
    allInFlight(deps.store),
    listLocks(deps.store, now),
    allWaiting(deps.store),
    latestCheckStates(deps.store),
  ]);
  const lockOn = (service: string, environment: string) =>
    locks.find((l) => scopeCovers(l.scope, service, environment));
  const sections = Object.keys(config.services).map((service) => ({
    service,
    environments: environmentsOf(config, service).map((environment) => {
      return {
        environment,
        current: current.find((d) => d.service === service && d.environment === environment),
        inFlight: inFlight.find((d) => d.service === service && d.environment === environment),
        lock: lockOn(service, environment),
        queued: queued.filter((q) => q.service === service && q.environment === environment),
        checks: (config.services[service].smoke[environment] ?? []).map((check) => ({
          name: check.name,
          latest: checks.find((state) => state.checkId === checkId(service, environment, check.name)),
        })),
      };
    }),
  }));
  // Deploys still moving for what a reload took out of tugboat.yml: they finish, or leave the queue, and are shown until then.
  const removed = [
    ...new Map(
      [...inFlight, ...queued]
        .filter((row) => removedFromConfig(config, row.service, row.environment))
        .map((row) => [`${row.service}@${row.environment}`, row]),
    ).values(),
  ].map(({ service, environment }) => ({
    service,
    environment,
    inFlight: inFlight.find((d) => d.service === service && d.environment === environment),
    queued: queued.filter((q) => q.service === service && q.environment === environment),
  }));
  await reply(deployStatus(sections, now, removed));
}

async function history(args: string[], channelId: string, reply: Reply, deps: Pick<Deps, 'config' | 'now' | 'store'>) {
  const [serviceText, environmentText] = args;
  if (!serviceText) return reply(plain('Say which service: `/tugboat history <service> [env]`.'));
  const config = deps.config();
  const target = resolveDeployTarget(config, serviceText, environmentText, channelId);
  if (!target.ok) return reply(plain(target.message));
  const environment = environmentText ? target.environment : undefined;
  await reply(
    deployHistory(
      target.service,
      environment,
      await recentDeploys(deps.store, target.service, environment, 10),
      deps.now(),
    ),
  );
}

export const tugboat: Command<'config' | 'now' | 'store' | 'github' | 'slack' | 'log'> = {
  name: '/tugboat',
  async run({ text, userId, channelId }, reply, deps) {
    const [subcommand = 'help', ...args] = text.trim().split(/\s+/).filter(Boolean);
    switch (subcommand.toLowerCase()) {
      case 'help':
        return reply(plain(HELP));
      case 'status':
        return status(reply, deps);
      case 'history':
        return history(args, channelId, reply, deps);
      case 'reviews':
        return reviews({ text, userId, channelId }, reply, deps);
      case 'link':
        return link(args, { text, userId, channelId }, reply, deps);
      case 'incident':
        return incident(channelId, reply, deps);
      default:
        return reply(plain(`Unknown subcommand ${code(subcommand)}.\n${HELP}`));
    }
  },
};
