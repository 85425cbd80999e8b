import type { Queryable } from '../store/index.ts';

/**
 * Records a Slack event's `event_id` (the `slack_events` table, pruned by the delivery-prune job);
 * false when it was already recorded: Slack retried an event tugboat took.
 */
export async function firstDeliveryOf(db: Queryable, eventId: string): Promise<boolean> {
  const inserted = await db.query(
    'insert into slack_events (event_id) values ($1) on conflict do nothing returning event_id',
    [eventId],
  );
  return inserted.length > 0;
}
