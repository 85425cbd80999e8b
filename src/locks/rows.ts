import type { Queryable, Store } from '../store/index.ts';
import { scopeFromColumns, type LockScope } from './scope.ts';

export interface Lock {
  id: number;
  scope: LockScope;
  holder: string;
  reason: string;
  channel: string;
  acquiredAt: Date;
  expiresAt: Date;
  durationSeconds: number;
}

export type ReleasedLock = Lock & { releasedBy: string | null; releaseKind: 'released' | 'forced' | 'expired' };

export interface LockRow {
  id: number;
  environment: string | null;
  service: string | null;
  holder: string;
  reason: string;
  channel: string;
  acquired_at: Date;
  expires_at: Date;
  duration_seconds: number;
  released_by: string | null;
  release_kind: 'released' | 'forced' | 'expired' | null;
}

export const toLock = (row: LockRow): Lock => ({
  id: row.id,
  scope: scopeFromColumns(row.environment, row.service),
  holder: row.holder,
  reason: row.reason,
  channel: row.channel,
  acquiredAt: new Date(row.acquired_at),
  expiresAt: new Date(row.expires_at),
  durationSeconds: row.duration_seconds,
});

export const toReleased = (row: LockRow): ReleasedLock => ({
  ...toLock(row),
  releasedBy: row.released_by,
  releaseKind: row.release_kind!,
});

/** Every lock acquisition and release in the database queues behind this one, and so does recording a deploy (its lock re-check). */
export const serializeLockChanges = (tx: Queryable) =>
  tx.query(`select pg_advisory_xact_lock(hashtext('tugboat:locks'))`);

export async function audit(
  tx: Queryable,
  event: { lockId: number; action: string; actor: string | null; channel: string | null; at: Date; detail?: object },
) {
  await tx.query(
    'insert into lock_events (lock_id, action, actor, channel, at, detail) values ($1, $2, $3, $4, $5, $6)',
    [event.lockId, event.action, event.actor, event.channel, event.at, JSON.stringify(event.detail ?? {})],
  );
}

/** Runs `work` in a transaction queued behind every other lock change, once lapsed locks are marked expired. */
export function lockTransaction<T>(store: Store, now: Date, work: (tx: Queryable) => Promise<T>): Promise<T> {
  return store.transaction(async (tx) => {
    await serializeLockChanges(tx);
    await expireLapsed(tx, now);
    return work(tx);
  });
}

/** Marks lapsed locks released (kind `expired`); the expiry sweep announces them later. */
export async function expireLapsed(tx: Queryable, now: Date) {
  const rows = await tx.query<{ id: number }>(
    `update locks set released_at = expires_at, release_kind = 'expired'
      where released_at is null and expires_at <= $1 returning id`,
    [now],
  );
  for (const row of rows) await audit(tx, { lockId: row.id, action: 'expired', actor: null, channel: null, at: now });
}
