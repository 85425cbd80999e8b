import type { Deps } from '../deps.ts';

const SLACK_USER = /^[UW][A-Z0-9]+$/;

/**
 * The Slack user of a GitHub login: `people:` in tugboat.yml first, then `/tugboat link`,
 * then the GitHub user's public email looked up in Slack (`users.lookupByEmail`, needs the
 * users:read.email scope). A login found by email is remembered; one not found is asked
 * about again next time (they may have joined Slack or made their email public since).
 */
export async function slackUserFor(deps: Pick<Deps, 'config' | 'store' | 'github' | 'slack' | 'log' | 'now'>, login: string): Promise<string | undefined> {
  const configured = Object.entries(deps.config().people).find(([github]) => github.toLowerCase() === login.toLowerCase())?.[1];
  if (configured) return configured;
  const [linked] = await deps.store.query<{ slack_user: string }>('select slack_user from people_links where github_login = $1', [login.toLowerCase()]);
  if (linked) return linked.slack_user;
  const found = await lookUpByEmail(deps, login);
  if (found) {
    await deps.store.query(
      `insert into people_links (github_login, slack_user, source, linked_at) values ($1, $2, 'email', $3) on conflict (github_login) do nothing`,
      [login.toLowerCase(), found, deps.now()],
    );
  }
  return found;
}

async function lookUpByEmail(deps: Pick<Deps, 'github' | 'slack' | 'log'>, login: string): Promise<string | undefined> {
  try {
    const { data } = await deps.github.octokit.users.getByUsername({ username: login });
    if (!data.email) return undefined;
    const found = await deps.slack.call('users.lookupByEmail', 'users.lookupByEmail', () => deps.slack.client.users.lookupByEmail({ email: data.email! }));
    const id = found.user?.id;
    return id && SLACK_USER.test(id) ? id : undefined;
  } catch (error) {
    deps.log.debug({ err: error, login }, 'no Slack user found by GitHub email');
    return undefined;
  }
}

/** Records `/tugboat link <login>` for a Slack user; the newest claim on a login wins. */
export async function linkPerson(deps: Pick<Deps, 'store' | 'now'>, login: string, slackUser: string): Promise<void> {
  await deps.store.query(
    `insert into people_links (github_login, slack_user, source, linked_at) values ($1, $2, 'command', $3)
     on conflict (github_login) do update set slack_user = excluded.slack_user, source = 'command', linked_at = excluded.linked_at`,
    [login.toLowerCase(), slackUser, deps.now()],
  );
}

/** How a GitHub login appears in Slack: a mention when mapped, else `@login` (never a broken mention). */
export async function mentionOf(deps: Parameters<typeof slackUserFor>[0], login: string): Promise<{ text: string; mapped: boolean }> {
  const user = await slackUserFor(deps, login);
  return user ? { text: `<@${user}>`, mapped: true } : { text: `@${login}`, mapped: false };
}
