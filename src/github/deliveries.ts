import type { Queryable } from '../store/index.ts';

export interface Delivery {
  hookId: string;
  id: string;
  event: string;
}

/** A delivery as received: its body is kept as the bytes GitHub signed, decoded only when handled. */
export interface ReceivedDelivery extends Delivery {
  body: Uint8Array;
}

/** A delivery as stored: `claimed` when the replica that received it handles it itself, at once. */
export interface IncomingDelivery extends ReceivedDelivery {
  claimed: boolean;
}

/** A delivery claimed for handling; `attempts` counts this one and identifies the claim. */
export interface ClaimedDelivery extends ReceivedDelivery {
  attempts: number;
}

export type Outcome =
  | { delivery: ClaimedDelivery; kind: 'done' }
  | { delivery: ClaimedDelivery; kind: 'retry'; error: string; retryInMs: number }
  | { delivery: ClaimedDelivery; kind: 'failed'; error: string };

const key = (d: { hookId: string; id: string }) => `${d.hookId}\u0000${d.id}`;

/**
 * Stores deliveries in one statement; true for each one that is now to be handled: a new
 * delivery, or a redelivery of one whose handling failed for good (it runs again). A
 * redelivery of one done, waiting or being handled is false and changes nothing. A `claimed`
 * delivery is stored as claimed for its first attempt, with a lease of `leaseMs`.
 */
export async function storeDeliveries(
  db: Queryable,
  deliveries: IncomingDelivery[],
  leaseMs: number,
): Promise<boolean[]> {
  // The same delivery twice in one statement would be an error: only its first occurrence is stored.
  const firsts = new Map<string, IncomingDelivery>();
  for (const d of deliveries) if (!firsts.has(key(d))) firsts.set(key(d), d);
  // In key order, so that batches written at the same time lock the same rows in the same order.
  const rows = [...firsts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, d]) => d);
  // One parameter per value, not arrays: a body passes as it is, with no array-literal quoting.
  const values = rows
    .map(
      (_, i) =>
        `($${5 * i + 2}::text, $${5 * i + 3}::text, $${5 * i + 4}::text, $${5 * i + 5}::bytea, $${5 * i + 6}::boolean)`,
    )
    .join(', ');
  const stored = await db.query<{ hook_id: string; delivery_id: string }>(
    `insert into github_deliveries (hook_id, delivery_id, event, payload, status, attempts, lease_until)
     select hook_id, delivery_id, event, payload, case when claimed then 'processing' else 'pending' end,
            case when claimed then 1 else 0 end, case when claimed then now() + $1 * interval '1 millisecond' end
       from (values ${values}) as t (hook_id, delivery_id, event, payload, claimed)
     on conflict (hook_id, delivery_id) do update
       set status = excluded.status, attempts = excluded.attempts, lease_until = excluded.lease_until, payload = excluded.payload,
           next_attempt_at = now(), received_at = now(), finished_at = null, error = null
       where github_deliveries.status = 'failed'
     returning hook_id, delivery_id`,
    [leaseMs, ...rows.flatMap((d) => [d.hookId, d.id, d.event, d.body, d.claimed])],
  );
  const waiting = new Set(stored.map((row) => key({ hookId: row.hook_id, id: row.delivery_id })));
  return deliveries.map((d) => firsts.get(key(d)) === d && waiting.has(key(d)));
}

/**
 * Claims up to `limit` deliveries that are due: waiting for their (next) attempt, or claimed
 * by a replica whose lease has lapsed. Replicas claiming at the same moment skip each
 * other's rows, so each delivery has one claim at a time.
 */
export async function claimDueDeliveries(db: Queryable, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const rows = await db.query<{
    hook_id: string;
    delivery_id: string;
    event: string;
    payload: Uint8Array;
    attempts: number;
  }>(
    `update github_deliveries d
        set status = 'processing', attempts = d.attempts + 1, lease_until = now() + $2 * interval '1 millisecond'
      where (d.hook_id, d.delivery_id) in (
              select hook_id, delivery_id from github_deliveries
               where (status = 'pending' and next_attempt_at <= now()) or (status = 'processing' and lease_until < now())
               order by next_attempt_at
               limit $1
               for update skip locked)
      returning d.hook_id, d.delivery_id, d.event, d.payload, d.attempts`,
    [limit, leaseMs],
  );
  return rows.map((r) => ({
    hookId: r.hook_id,
    id: r.delivery_id,
    event: r.event,
    body: r.payload,
    attempts: r.attempts,
  }));
}

/**
 * Extends the leases of deliveries still being handled, in one statement; a claim that no
 * longer holds its row (its lease lapsed and another replica claimed it) is left alone.
 */
export async function renewLeases(db: Queryable, deliveries: ClaimedDelivery[], leaseMs: number): Promise<void> {
  await db.query(
    `update github_deliveries d set lease_until = now() + $4 * interval '1 millisecond'
       from unnest($1::text[], $2::text[], $3::integer[]) as t (hook_id, delivery_id, attempts)
      where d.hook_id = t.hook_id and d.delivery_id = t.delivery_id and d.status = 'processing' and d.attempts = t.attempts`,
    [deliveries.map((d) => d.hookId), deliveries.map((d) => d.id), deliveries.map((d) => d.attempts), leaseMs],
  );
}

/**
 * Records outcomes in one statement, each only if its claim still holds (a replica whose
 * lease lapsed and was reclaimed records nothing). A done delivery's body is dropped: a
 * redelivery of it is ignored, so it is never read again.
 */
export async function recordOutcomes(db: Queryable, outcomes: Outcome[]): Promise<void[]> {
  const column = <T>(pick: (o: Outcome) => T) => outcomes.map(pick);
  await db.query(
    `update github_deliveries d
        set status = t.status, error = t.error, lease_until = null,
            finished_at = case when t.status = 'pending' then null else now() end,
            next_attempt_at = case when t.status = 'pending' then now() + t.retry_ms * interval '1 millisecond' else d.next_attempt_at end,
            payload = case when t.status = 'done' then null else d.payload end
       from unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::bigint[]) as t (hook_id, delivery_id, attempts, status, error, retry_ms)
      where d.hook_id = t.hook_id and d.delivery_id = t.delivery_id and d.status = 'processing' and d.attempts = t.attempts`,
    [
      column((o) => o.delivery.hookId),
      column((o) => o.delivery.id),
      column((o) => o.delivery.attempts),
      column((o) => (o.kind === 'retry' ? 'pending' : o.kind)),
      column((o) => (o.kind === 'done' ? null : o.error)),
      column((o) => (o.kind === 'retry' ? o.retryInMs : null)),
    ],
  );
  return outcomes.map(() => undefined);
}

/** Deliveries not yet handled (waiting or being handled), and how long the oldest has waited. */
export async function inboxBacklog(db: Queryable): Promise<{ depth: number; oldestAgeSeconds: number }> {
  const [row] = await db.query<{ depth: number; oldest_age_seconds: number }>(
    `select count(*)::integer as depth, coalesce(extract(epoch from now() - min(received_at)), 0)::float8 as oldest_age_seconds
       from github_deliveries where status in ('pending', 'processing')`,
  );
  return { depth: row.depth, oldestAgeSeconds: row.oldest_age_seconds };
}
