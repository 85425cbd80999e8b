import type { Deps } from '../src/deps.ts';
import { mayLinkSomeoneElse } from '../src/permissions.ts';
import {
  claimLogin,
  type ClaimOutcome,
  configuredSlackUser,
  confirmLink,
  LINK_CODE_TTL_MS,
  tellSlackUser,
} from '../src/reviews/index.ts';
import {
  linkAdminsOnly,
  linkAlreadyYours,
  linkCodeInstructions,
  linkConfirmedByAdmin,
  linkedByAdmin,
  linkMovedAway,
  linkProvenByEmail,
  linkSetInConfig,
  linkUsage,
} from '../src/slack/render/reviews.ts';
import type { Invocation, Reply } from './types.ts';

type LinkDeps = Pick<Deps, 'config' | 'store' | 'github' | 'slack' | 'log' | 'now'>;

/** GitHub's rules: letters, digits and single hyphens, not at either end, at most 39 characters. */
const GITHUB_LOGIN = /^(?=.{1,39}$)[A-Za-z0-9](?:-?[A-Za-z0-9])*$/;
const SLACK_USER_ID = /^[UW][A-Z0-9]{2,30}$/;

/**
 * `/tugboat link <github-login>`: the caller says which GitHub login is theirs, so reviews mention
 * them; it is linked once proven (see src/reviews/link-claims.ts). `/tugboat link <login> @person`:
 * an admin links it to someone directly.
 */
export async function link(args: string[], invocation: Invocation, reply: Reply, deps: LinkDeps): Promise<void> {
  const [given, ...person] = args;
  if (given === undefined) return reply(linkUsage());
  const login = given.startsWith('@') ? given.slice(1) : given;
  const forUser = person.length > 0 ? slackUserIn(person.join(' ')) : invocation.userId;
  if (!GITHUB_LOGIN.test(login) || forUser === undefined) return reply(linkUsage(args.join(' ')));
  const configured = configuredSlackUser(deps.config(), login);
  if (configured) return reply(linkSetInConfig(login, configured, forUser));
  if (person.length > 0) return confirmForSomeone(login, forUser, invocation.userId, reply, deps);
  await answerClaim(login, invocation.userId, await claimLogin(deps, login, invocation.userId), reply, deps);
}

async function answerClaim(
  login: string,
  caller: string,
  outcome: ClaimOutcome,
  reply: Reply,
  deps: LinkDeps,
): Promise<void> {
  switch (outcome.kind) {
    case 'already_yours':
      return reply(linkAlreadyYours(login));
    case 'linked_by_email':
      if (outcome.previous) await tellSlackUser(deps, outcome.previous, linkMovedAway(login, caller, 'email'));
      return reply(linkProvenByEmail(login, caller));
    case 'code': {
      const config = deps.config();
      const repos = [...new Set(Object.values(config.services).map((service) => service.repo))];
      const ttlMinutes = LINK_CODE_TTL_MS / 60_000;
      return reply(
        linkCodeInstructions({
          login,
          code: outcome.code,
          ttlMinutes,
          linkedTo: outcome.linkedTo,
          repos,
          admins: config.admins,
        }),
      );
    }
  }
}

async function confirmForSomeone(
  login: string,
  slackUser: string,
  admin: string,
  reply: Reply,
  deps: LinkDeps,
): Promise<void> {
  const config = deps.config();
  if (!mayLinkSomeoneElse(config, admin)) return reply(linkAdminsOnly(config.admins));
  const previous = await confirmLink(deps, login, slackUser);
  if (previous) await tellSlackUser(deps, previous, linkMovedAway(login, slackUser, 'admin'));
  if (slackUser !== admin) await tellSlackUser(deps, slackUser, linkedByAdmin(login, admin));
  await reply(linkConfirmedByAdmin(login, slackUser, previous));
}

/** The Slack user of `<@U123>` or `<@U123|name>` (how Slack sends a mention) or a bare `U123`; undefined otherwise. */
function slackUserIn(text: string): string | undefined {
  const inner = text.startsWith('<@') && text.endsWith('>') ? text.slice(2, -1) : text;
  const bar = inner.indexOf('|');
  const id = bar >= 0 ? inner.slice(0, bar) : inner;
  return SLACK_USER_ID.test(id) ? id : undefined;
}
