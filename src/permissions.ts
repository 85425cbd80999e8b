import type { Config } from './config/index.ts';
import type { LockScope } from './locks/index.ts';

/**
 * Who may do what: every rule about people that tugboat enforces, in one place (README "Who may
 * do what" is this file in words). Buttons check the person who clicks, never the one who caused
 * the message, so a button shown in a channel gives no one more than their own rights.
 */

export const isAdmin = (config: Config, userId: string) => config.admins.includes(userId);

export const isOwner = (config: Config, userId: string, service: string) =>
  config.services[service]?.owners.includes(userId) ?? false;

/**
 * Deploy, roll back and lock there: admins always; otherwise the environment's `deployers`
 * allow-list, when it has one (without one, anyone).
 */
export function mayActOn(config: Config, userId: string, environment: string): boolean {
  const deployers = config.environments[environment]?.deployers;
  return isAdmin(config, userId) || !deployers || deployers.includes(userId);
}

/** Take a lock: the right to act on every environment it covers (`all`: every one). */
export function mayLock(config: Config, userId: string, scope: LockScope): boolean {
  const environments = scope.kind === 'all' ? Object.keys(config.environments) : [scope.environment];
  return environments.every((environment) => mayActOn(config, userId, environment));
}

/** Cancel an in-flight deploy (`/deploy cancel`): whoever started it, the deployers of its environment (anyone without `deployers:`) and admins. */
export function mayCancelDeploy(
  config: Config,
  userId: string,
  deploy: { requestedBy: string; environment: string },
): boolean {
  return deploy.requestedBy === userId || mayActOn(config, userId, deploy.environment);
}

/** Deploy past red CI (`/deploy --force`, and a Deploy button carrying it). */
export const mayForceDeploy = isAdmin;

/** Release or force-release anyone's lock (`/unlock --force`). */
export const mayForceUnlock = isAdmin;

/**
 * Resolve an incident, also while its checks still fail: the service's owners, whoever may deploy
 * to its environment (anyone, where the environment has no `deployers:`) and admins. An environment
 * tugboat.yml does not name (an alert's label) leaves only owners and admins.
 */
export function mayResolveIncident(
  config: Config,
  userId: string,
  incident: { service: string; environment: string },
): boolean {
  const knownEnvironment = config.environments[incident.environment] !== undefined;
  return (
    isOwner(config, userId, incident.service) ||
    isAdmin(config, userId) ||
    (knownEnvironment && mayActOn(config, userId, incident.environment))
  );
}

/** Archive an incident's channel: the service's owners and admins. */
export function mayArchiveIncident(config: Config, userId: string, incident: { service: string }): boolean {
  return isOwner(config, userId, incident.service) || isAdmin(config, userId);
}

/** People to ask for something only they may do, so a refusal can name them: first the owners, then the deployers, then admins. */
export function whomToAsk(config: Config, incident: { service: string; environment?: string }): string[] {
  const owners = config.services[incident.service]?.owners ?? [];
  const deployers =
    incident.environment === undefined ? [] : (config.environments[incident.environment]?.deployers ?? []);
  return [...new Set([...owners, ...deployers, ...config.admins])];
}

/** Link a GitHub login to someone else's Slack user (`/tugboat link <login> @person`): admins. */
export const mayLinkSomeoneElse = isAdmin;

/** GitHub's standing of a commenter in a repository (`author_association`) that lets them ask for review. */
const ASKING_ASSOCIATIONS = new Set(['OWNER', 'MEMBER', 'COLLABORATOR']);

/**
 * Ping people from a pull request comment (`ready for review @…`, `resolved`): its author, and
 * the repository's owners, members and collaborators; not any GitHub user who can comment.
 */
export function mayPingFromComment(comment: { by: string; association: string; pullRequestAuthor: string }): boolean {
  return (
    comment.by.toLowerCase() === comment.pullRequestAuthor.toLowerCase() || ASKING_ASSOCIATIONS.has(comment.association)
  );
}
