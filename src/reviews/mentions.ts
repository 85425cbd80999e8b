import type { Deps } from '../deps.ts';
import { mentionOf } from './people.ts';
import { isTeam } from './reviewers.ts';

type MentionDeps = Pick<Deps, 'config' | 'store' | 'github' | 'slack' | 'log' | 'now'>;

/** How people and teams appear in one message: mentions where mapped, `@login` (or `@org/team`) where not. */
export interface Mentions {
  of(loginOrTeam: string): string;
  /** The logins that could not be mentioned: they get the `/tugboat link` hint. */
  unmapped: string[];
}

export async function resolveMentions(deps: MentionDeps, logins: Iterable<string>): Promise<Mentions> {
  const texts = new Map<string, string>();
  const unmapped: string[] = [];
  for (const login of new Set(logins)) {
    if (isTeam(login)) {
      texts.set(login, await teamMention(deps, login));
      continue;
    }
    const mention = await mentionOf(deps, login);
    texts.set(login, mention.text);
    if (!mention.mapped) unmapped.push(login);
  }
  return { of: (login) => texts.get(login) ?? `@${login}`, unmapped };
}

/** A team's mapped members, or `@org/team` when none maps (or GitHub will not say who is in it). */
async function teamMention(deps: MentionDeps, team: string): Promise<string> {
  const [org, slug] = team.split('/');
  const members = await deps.github.teamMembers(org, slug).catch((error) => {
    deps.log.debug({ err: error, team }, 'could not list the members of a team');
    return [];
  });
  const mentions = await Promise.all(members.map((member) => mentionOf(deps, member)));
  const mapped = mentions.filter((m) => m.mapped).map((m) => m.text);
  return mapped.length > 0 ? mapped.join(' ') : `@${team}`;
}
