import type { Config } from './config/index.ts';

export const isAdmin = (config: Config, userId: string) => config.admins.includes(userId);

/** Admins always; otherwise the environment's `deployers` allow-list, when it has one. */
export function mayActOn(config: Config, userId: string, environment: string): boolean {
  const deployers = config.environments[environment]?.deployers;
  return isAdmin(config, userId) || !deployers || deployers.includes(userId);
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
  return comment.by.toLowerCase() === comment.pullRequestAuthor.toLowerCase() || ASKING_ASSOCIATIONS.has(comment.association);
}
