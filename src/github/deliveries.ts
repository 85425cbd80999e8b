import type { Queryable } from '../store/index.ts';

/**
 * Records a delivery before it is handled. Returns false for a redelivery of one already
 * handled or being handled; a delivery whose handling failed may be claimed again, so a
 * manual redelivery from GitHub's UI retries it.
 */
export async function claimDelivery(db: Queryable, delivery: { hookId: string; id: string; event: string }): Promise<boolean> {
  const rows = await db.query(
    `insert into github_deliveries (hook_id, delivery_id, event, status) values ($1, $2, $3, 'processing')
     on conflict (hook_id, delivery_id) do update set status = 'processing', received_at = now(), error = null
       where github_deliveries.status = 'failed'
     returning delivery_id`,
    [delivery.hookId, delivery.id, delivery.event],
  );
  return rows.length > 0;
}

export async function finishDelivery(db: Queryable, delivery: { hookId: string; id: string }, error?: unknown): Promise<void> {
  await db.query(
    `update github_deliveries set status = $3, finished_at = now(), error = $4 where hook_id = $1 and delivery_id = $2`,
    [delivery.hookId, delivery.id, error ? 'failed' : 'processed', error ? String((error as Error).message ?? error) : null],
  );
}
