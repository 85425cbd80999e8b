import type { Deps } from '../deps.ts';
import type { Queryable } from '../store/index.ts';
import type { Job } from './scheduler.ts';

/**
 * How long the ids of Slack events and GitHub deliveries are kept for deduplication. Slack
 * retries an event within minutes; GitHub redelivers, on request only, deliveries of the past
 * 3 days (7 on older GHES).
 */
export const DELIVERY_RETENTION_MS = 7 * 24 * 60 * 60_000;

/**
 * Hourly: forgets Slack event ids and GitHub deliveries older than the retention (a delivery only
 * once it is handled or failed), and the auto-deploys those deliveries started.
 */
export function deliveryPruneJob(deps: Pick<Deps, 'store' | 'now' | 'log'>, retentionMs = DELIVERY_RETENTION_MS): Job {
  return {
    name: 'delivery-prune',
    schedule: '0 40 * * * *',
    run: async () => {
      const before = new Date(deps.now().getTime() - retentionMs);
      const pruned = await pruneDeliveries(deps.store, before);
      if (pruned.slackEvents + pruned.githubDeliveries + pruned.autoDeployStarts > 0)
        deps.log.info({ ...pruned, before }, 'pruned old delivery records');
    },
  };
}

interface Pruned {
  slackEvents: number;
  githubDeliveries: number;
  autoDeployStarts: number;
}

export async function pruneDeliveries(db: Queryable, before: Date): Promise<Pruned> {
  const [counts] = await db.query<Pruned>(
    `with slack as (delete from slack_events where received_at < $1 returning 1),
          github as (delete from github_deliveries where received_at < $1 and status in ('done', 'failed') returning 1),
          starts as (delete from auto_deploy_starts where claimed_until < $1 returning 1)
     select (select count(*) from slack)::integer as "slackEvents", (select count(*) from github)::integer as "githubDeliveries",
            (select count(*) from starts)::integer as "autoDeployStarts"`,
    [before],
  );
  return counts;
}
