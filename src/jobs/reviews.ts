import type { Deps } from '../deps.ts';
import { claimNudge, dueNudges, type OnRepaired, Recipients, reconcilePullRequests } from '../reviews/index.ts';
import { nudgeMessage } from '../slack/render/nudges.ts';
import { cronForInterval } from './cron-interval.ts';
import type { Job } from './scheduler.ts';

/** Nudges find their recipients through the reviews' people lookups, which need GitHub and Slack. */
type NudgeDeps = Pick<Deps, 'config' | 'github' | 'log' | 'now' | 'slack' | 'store'>;

/** Nudges, in each PR's thread, whoever a review has waited on too long (`reviews.sweep_every`). */
export function reviewNudgeJob(deps: NudgeDeps): Job {
  const recipients = new Recipients(deps);
  return {
    name: 'review-nudges',
    schedule: cronForInterval(deps.config().reviews.sweep_every),
    run: () => sweepNudges(deps, recipients),
  };
}

export async function sweepNudges(deps: NudgeDeps, recipients: Recipients): Promise<void> {
  const now = deps.now();
  const { reviews } = deps.config();
  for (const { wait, recipient } of await dueNudges(deps, recipients, now)) {
    if (!(await claimNudge(deps.store, wait, now, reviews))) continue;
    try {
      await deps.slack.post({
        channel: wait.channel,
        thread_ts: wait.threadTs!,
        ...nudgeMessage(wait, recipient.slackUser, now),
        unfurl_links: false,
      });
    } catch (error) {
      // The claim stands: the next try comes after `nudge_every`, not every sweep.
      deps.log.warn(
        { err: error, repo: wait.repo, number: wait.number, login: wait.login },
        'could not post a review nudge',
      );
    }
  }
}

/** Hourly: repairs tracked pull requests from the GitHub API after missed webhooks. */
export function reviewReconcileJob(deps: Pick<Deps, 'store' | 'github' | 'now' | 'log'>, onRepaired: OnRepaired): Job {
  return {
    name: 'review-reconcile',
    schedule: '0 0 * * * *',
    run: async () => {
      // Nobody waits on it: while GitHub's rate limit for tugboat runs low, it waits for the next hour.
      if (!deps.github.budget.allowsBackgroundWork())
        return deps.log.info("GitHub's rate limit is low; review reconcile skipped this hour");
      await reconcilePullRequests(deps, onRepaired);
    },
  };
}
