import { Batcher } from '../store/batcher.ts';
import type { Queryable } from '../store/index.ts';

export interface Delivery {
  hookId: string;
  id: string;
  event: string;
}

const key = (d: { hookId: string; id: string }) => `${d.hookId}\u0000${d.id}`;

/**
 * The record of webhook deliveries. A delivery is claimed before it is handled: a redelivery
 * of one already handled, or being handled, is refused; one whose handling failed may be
 * claimed again, so a manual redelivery from GitHub retries it. Claims and outcomes are
 * written in batches.
 */
export class DeliveryLedger {
  readonly #claims: Batcher<Delivery, boolean>;
  readonly #outcomes: Batcher<{ delivery: Delivery; error?: string }, void>;

  constructor(db: Queryable) {
    this.#claims = new Batcher((deliveries) => claimAll(db, deliveries));
    this.#outcomes = new Batcher((outcomes) => recordAll(db, outcomes));
  }

  claim(delivery: Delivery): Promise<boolean> {
    return this.#claims.add(delivery);
  }

  finish(delivery: Delivery, error?: unknown): Promise<void> {
    return this.#outcomes.add({ delivery, error: error === undefined ? undefined : String((error as Error)?.message ?? error) });
  }
}

async function claimAll(db: Queryable, deliveries: Delivery[]): Promise<boolean[]> {
  const unique = [...new Map(deliveries.map((d) => [key(d), d])).values()];
  const won = await db.query<{ hook_id: string; delivery_id: string }>(
    `insert into github_deliveries (hook_id, delivery_id, event, status)
     select hook_id, delivery_id, event, 'processing' from unnest($1::text[], $2::text[], $3::text[]) as t (hook_id, delivery_id, event)
     on conflict (hook_id, delivery_id) do update set status = 'processing', received_at = now(), error = null
       where github_deliveries.status = 'failed'
     returning hook_id, delivery_id`,
    [unique.map((d) => d.hookId), unique.map((d) => d.id), unique.map((d) => d.event)],
  );
  const winners = new Set(won.map((row) => key({ hookId: row.hook_id, id: row.delivery_id })));
  // The same delivery twice in one batch: only its first occurrence wins.
  const seen = new Set<string>();
  return deliveries.map((d) => {
    const first = !seen.has(key(d));
    seen.add(key(d));
    return first && winners.has(key(d));
  });
}

async function recordAll(db: Queryable, outcomes: Array<{ delivery: Delivery; error?: string }>): Promise<void[]> {
  await db.query(
    `update github_deliveries d set status = case when t.error is null then 'processed' else 'failed' end,
            finished_at = now(), error = t.error
       from unnest($1::text[], $2::text[], $3::text[]) as t (hook_id, delivery_id, error)
      where d.hook_id = t.hook_id and d.delivery_id = t.delivery_id`,
    [outcomes.map((o) => o.delivery.hookId), outcomes.map((o) => o.delivery.id), outcomes.map((o) => o.error ?? null)],
  );
  return outcomes.map(() => undefined);
}
