import type { Deps } from '../deps.ts';
import { pruneOutbox } from '../slack/outbox.ts';
import type { Job } from './scheduler.ts';

/** How long sent (and given-up) Slack messages stay in the outbox, for looking into what was said and when. */
export const OUTBOX_RETENTION_MS = 7 * 24 * 60 * 60_000;

/** Hourly: forgets outbox rows Slack has had (or refused for good) for longer than the retention; unsent rows stay. */
export function outboxPruneJob(deps: Pick<Deps, 'store' | 'log'>, retentionMs = OUTBOX_RETENTION_MS): Job {
  return {
    name: 'slack-outbox-prune',
    schedule: '0 50 * * * *',
    run: async () => {
      const pruned = await pruneOutbox(deps.store, retentionMs);
      if (pruned > 0) deps.log.info({ pruned }, 'pruned sent slack messages from the outbox');
    },
  };
}
