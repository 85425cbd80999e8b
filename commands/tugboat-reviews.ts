import type { Deps } from '../src/deps.ts';
import { githubLoginsOf, waitsOn } from '../src/reviews/index.ts';
import { noGitHubLogin, waitsOnYou } from '../src/slack/render/nudges.ts';
import type { Invocation, Reply } from './types.ts';

/** `/tugboat reviews`: the reviews waiting on the caller, and their PRs waiting on their changes, oldest first. */
export async function reviews(
  { userId }: Invocation,
  reply: Reply,
  deps: Pick<Deps, 'config' | 'store' | 'now'>,
): Promise<void> {
  const logins = await githubLoginsOf(deps, userId);
  if (logins.length === 0) return reply(noGitHubLogin());
  await reply(waitsOnYou(await waitsOn(deps.store, logins), deps.now()));
}
