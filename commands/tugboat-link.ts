import type { Deps } from '../src/deps.ts';
import { linkPerson } from '../src/reviews/people.ts';
import { linkConfirmation, linkUsage } from '../src/slack/render/reviews.ts';
import type { Invocation, Reply } from './types.ts';

/** GitHub's rules: letters, digits and single hyphens, not at either end, at most 39 characters. */
const GITHUB_LOGIN = /^(?=.{1,39}$)[A-Za-z0-9](?:-?[A-Za-z0-9])*$/;

/** `/tugboat link <github-login>`: the caller says which GitHub login is theirs, so reviews mention them. */
export async function link(args: string[], invocation: Invocation, reply: Reply, deps: Deps): Promise<void> {
  const [given, ...extra] = args;
  if (given === undefined) return reply(linkUsage());
  const login = given.replace(/^@/, '');
  if (extra.length > 0 || !GITHUB_LOGIN.test(login)) return reply(linkUsage([given, ...extra].join(' ')));
  await linkPerson(deps, login, invocation.userId);
  const configured = Object.entries(deps.config().people).find(([github]) => github.toLowerCase() === login.toLowerCase())?.[1];
  await reply(linkConfirmation(login, invocation.userId, configured));
}
