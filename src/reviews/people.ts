import type { Config } from '../config/index.ts';
import type { Deps } from '../deps.ts';
import type { Queryable } from '../store/index.ts';

type LookupDeps = Pick<Deps, 'config' | 'store' | 'github' | 'slack' | 'log' | 'now'>;

/** How a link between a GitHub login and a Slack user was proven (see README "Linking GitHub and Slack"). */
export type LinkProof = 'email' | 'code' | 'admin';

/**
 * The Slack user of a GitHub login: `people:` in tugboat.yml first, then a proven link, then the
 * GitHub user's public email looked up in Slack (`users.lookupByEmail`, needs the
 * users:read.email scope). A login found by email is remembered; one not found is asked
 * about again next time (they may have joined Slack or made their email public since).
 */
export async function slackUserFor(deps: LookupDeps, login: string): Promise<string | undefined> {
  const configured = configuredSlackUser(deps.config(), login);
  if (configured) return configured;
  const linked = await linkedSlackUser(deps.store, login);
  if (linked) return linked;
  const found = await slackUserByGitHubEmail(deps, login);
  if (found) {
    await deps.store.query(
      `insert into people_links (github_login, slack_user, source, linked_at) values ($1, $2, 'email', $3) on conflict (github_login) do nothing`,
      [login.toLowerCase(), found, deps.now()],
    );
  }
  return found;
}

/** The Slack user `people:` in tugboat.yml maps a login to (any case). */
export const configuredSlackUser = (config: Config, login: string): string | undefined =>
  Object.entries(config.people).find(([github]) => github.toLowerCase() === login.toLowerCase())?.[1];

export async function linkedSlackUser(db: Queryable, login: string): Promise<string | undefined> {
  const [linked] = await db.query<{ slack_user: string }>(
    'select slack_user from people_links where github_login = $1',
    [login.toLowerCase()],
  );
  return linked?.slack_user;
}

/** Every GitHub login that maps to this Slack user: `people:` in the config, then `/tugboat link` for logins the config leaves out. */
export async function githubLoginsOf(deps: Pick<Deps, 'config' | 'store'>, slackUser: string): Promise<string[]> {
  const people = Object.entries(deps.config().people).map(([login, user]) => [login.toLowerCase(), user] as const);
  const configured = people.filter(([, user]) => user === slackUser).map(([login]) => login);
  const linked = await deps.store.query<{ github_login: string }>(
    'select github_login from people_links where slack_user = $1',
    [slackUser],
  );
  const linkedOnly = linked
    .map((row) => row.github_login)
    .filter((login) => !people.some(([configuredLogin]) => configuredLogin === login));
  return [...configured, ...linkedOnly];
}

/** Whether the GitHub login's public email is the Slack user's email: the two accounts belong to one person. */
export async function provenByEmail(
  deps: Pick<Deps, 'github' | 'slack' | 'log'>,
  login: string,
  slackUser: string,
): Promise<boolean> {
  return (await slackUserByGitHubEmail(deps, login)) === slackUser;
}

async function slackUserByGitHubEmail(
  deps: Pick<Deps, 'github' | 'slack' | 'log'>,
  login: string,
): Promise<string | undefined> {
  try {
    const email = await deps.github.publicEmail(login);
    if (!email) return undefined;
    return await deps.slack.userIdByEmail(email);
  } catch (error) {
    deps.log.debug({ err: error, login }, 'no Slack user found by GitHub email');
    return undefined;
  }
}

/**
 * Links a GitHub login to a Slack user once that is proven; a proven link replaces an earlier
 * one. Returns the Slack user it was linked to before, when that was someone else.
 */
export async function linkPerson(
  deps: Pick<Deps, 'store' | 'now'>,
  login: string,
  slackUser: string,
  proof: LinkProof,
): Promise<string | undefined> {
  const [row] = await deps.store.query<{ previous: string | null }>(
    `with before as (select slack_user from people_links where github_login = $1)
     insert into people_links (github_login, slack_user, source, linked_at) values ($1, $2, $3, $4)
     on conflict (github_login) do update set slack_user = excluded.slack_user, source = excluded.source, linked_at = excluded.linked_at
     returning (select slack_user from before) as previous`,
    [login.toLowerCase(), slackUser, proof, deps.now()],
  );
  return row?.previous && row.previous !== slackUser ? row.previous : undefined;
}
