import type { App, RespondFn } from '@slack/bolt';
import type { Deps } from '../../deps.ts';
import { isGitHubRateLimited } from '../../github/budget.ts';
import { isDatabaseUnavailable } from '../../store/index.ts';
import { githubLimitUsedUp } from '../render/deploys.ts';
import { databaseUnreachable } from '../render/format.ts';
import { ephemeral } from './respond.ts';

/**
 * A button clicked while PostgreSQL is unreachable, or while GitHub's rate limit for tugboat is
 * used up, is answered, to the person who clicked only, that nothing was done; clicking again once
 * it is back does it. (Commands answer the same in their own listener.)
 */
export function registerOutageAnswer(app: App, deps: Pick<Deps, 'log' | 'now'>): void {
  app.use(async (args) => {
    try {
      await args.next();
    } catch (error) {
      const respond = 'respond' in args ? (args.respond as RespondFn | undefined) : undefined;
      if (respond && isGitHubRateLimited(error)) {
        deps.log.warn({ err: error }, "GitHub's rate limit is used up; told the user nothing was done");
        await ephemeral(respond, githubLimitUsedUp(error.resetAt, deps.now())).catch((replyError) =>
          deps.log.warn({ err: replyError }, 'could not tell the user'),
        );
        return;
      }
      if (!respond || !isDatabaseUnavailable(error)) throw error;
      deps.log.warn({ err: error }, 'database unreachable; told the user nothing was done');
      await ephemeral(respond, databaseUnreachable()).catch((replyError) =>
        deps.log.warn({ err: replyError }, 'could not tell the user'),
      );
    }
  });
}
