import type { Deps } from '../deps.ts';
import { slackUserFor } from './people.ts';
import { isTeam } from './reviewers.ts';

type MentionDeps = Pick<Deps, 'config' | 'store' | 'github' | 'slack' | 'log' | 'now'>;

/** Who people and teams are in Slack, for one message (the Slack layer words them). */
export interface Mentions {
  /** The Slack users a login maps to, or a team's mapped members; none when unmapped. */
  usersOf(loginOrTeam: string): string[];
  /** The logins that could not be mentioned: they get the `/tugboat link` hint. */
  unmapped: string[];
}

export async function resolveMentions(deps: MentionDeps, logins: Iterable<string>): Promise<Mentions> {
  const users = new Map<string, string[]>();
  const unmapped: string[] = [];
  for (const login of new Set(logins)) {
    if (isTeam(login)) {
      users.set(login, await teamMembersInSlack(deps, login));
      continue;
    }
    const user = await slackUserFor(deps, login);
    users.set(login, user ? [user] : []);
    if (!user) unmapped.push(login);
  }
  return { usersOf: (login) => users.get(login) ?? [], unmapped };
}

/** A team's members that map to Slack users; none when none maps (or GitHub will not say who is in it). */
async function teamMembersInSlack(deps: MentionDeps, team: string): Promise<string[]> {
  const [org, slug] = team.split('/');
  const members = await deps.github.teamMembers(org, slug).catch((error) => {
    deps.log.debug({ err: error, team }, 'could not list the members of a team');
    return [];
  });
  const users = await Promise.all(members.map((member) => slackUserFor(deps, member)));
  return users.filter((user): user is string => user !== undefined);
}
