import type { Deps } from '../src/deps.ts';
import { waitsOn } from '../src/reviews/waiting.ts';
import { noGitHubLogin, waitsOnYou } from '../src/slack/render/nudges.ts';
import type { Invocation, Reply } from './types.ts';

/** Every GitHub login that maps to this Slack user: `people:` in the config, then `/tugboat link` for logins the config leaves out. */
async function githubLoginsOf(deps: Pick<Deps, 'config' | 'store'>, slackUser: string): Promise<string[]> {
  const people = Object.entries(deps.config().people).map(([login, user]) => [login.toLowerCase(), user] as const);
  const configured = people.filter(([, user]) => user === slackUser).map(([login]) => login);
  const linked = await deps.store.query<{ github_login: string }>('select github_login from people_links where slack_user = $1', [slackUser]);
  const linkedOnly = linked.map((row) => row.github_login).filter((login) => !people.some(([configuredLogin]) => configuredLogin === login));
  return [...configured, ...linkedOnly];
}

/** `/tugboat reviews`: the reviews waiting on the caller, and their PRs waiting on their changes, oldest first. */
export async function reviews({ userId }: Invocation, reply: Reply, deps: Pick<Deps, 'config' | 'store' | 'now'>): Promise<void> {
  const logins = await githubLoginsOf(deps, userId);
  if (logins.length === 0) return reply(noGitHubLogin());
  await reply(waitsOnYou(await waitsOn(deps.store, logins), deps.now()));
}
