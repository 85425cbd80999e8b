import type { Queryable, Store } from '../store/index.ts';
import {
  audit,
  lockTransaction,
  serializeLockChanges,
  toLock,
  toReleased,
  type Lock,
  type LockRow,
  type ReleasedLock,
} from './rows.ts';
import { scopeColumns, sameScope, type LockScope } from './scope.ts';

export type { Lock, ReleasedLock } from './rows.ts';

/**
 * Live locks that overlap a scope: a global lock overlaps everything; an environment lock
 * overlaps every lock in that environment; a service lock overlaps its environment's lock
 * and itself. $1 = environment (null for all), $2 = service (null for the whole environment).
 */
const OVERLAPPING = `
  released_at is null and expires_at > $3 and (
    environment is null or $1::text is null or (
      environment = $1 and (service is null or $2::text is null or service = $2)
    )
  )`;

export type AcquireResult =
  | { ok: true; lock: Lock }
  | { ok: false; reason: 'held'; lock: Lock }
  | { ok: false; reason: 'already-yours'; lock: Lock };

/**
 * Takes a lock if nothing overlapping is held. Check and insert happen in one transaction
 * behind an advisory lock, so of many simultaneous requests exactly one wins.
 */
export async function acquireLock(
  store: Store,
  request: { scope: LockScope; holder: string; reason: string; channel: string; durationSeconds: number; now: Date },
): Promise<AcquireResult> {
  const { environment, service } = scopeColumns(request.scope);
  return lockTransaction(store, request.now, async (tx) => {
    const [blocking] = await tx.query<LockRow>(
      `select * from locks where ${OVERLAPPING} order by environment nulls first, service nulls first limit 1`,
      [environment, service, request.now],
    );
    if (blocking) {
      const lock = toLock(blocking);
      const mine = lock.holder === request.holder && sameScope(lock.scope, request.scope);
      return { ok: false, reason: mine ? 'already-yours' : 'held', lock };
    }
    const expiresAt = new Date(request.now.getTime() + request.durationSeconds * 1000);
    const [row] = await tx.query<LockRow>(
      `insert into locks (environment, service, holder, reason, channel, acquired_at, duration_seconds, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8) returning *`,
      [
        environment,
        service,
        request.holder,
        request.reason,
        request.channel,
        request.now,
        request.durationSeconds,
        expiresAt,
      ],
    );
    await audit(tx, {
      lockId: row.id,
      action: 'acquired',
      actor: request.holder,
      channel: request.channel,
      at: request.now,
      detail: { reason: request.reason, expires_at: expiresAt },
    });
    return { ok: true, lock: toLock(row) };
  });
}

export type ReleaseResult =
  | { ok: true; lock: ReleasedLock }
  | { ok: false; reason: 'none' }
  | { ok: false; reason: 'not-holder'; lock: Lock };

/**
 * Releases the live lock on exactly this scope. Only its holder may, or an admin with
 * `force`. The conditional update makes racing releases act once: the losers see 'none'.
 */
export async function releaseLock(
  store: Store,
  request: { scope: LockScope; actor: string; force: boolean; channel: string; now: Date },
): Promise<ReleaseResult> {
  const { environment, service } = scopeColumns(request.scope);
  return lockTransaction(store, request.now, async (tx) => {
    const [live] = await tx.query<LockRow>(
      `select * from locks where released_at is null
         and environment is not distinct from $1 and service is not distinct from $2`,
      [environment, service],
    );
    if (!live) return { ok: false, reason: 'none' };
    const forced = live.holder !== request.actor;
    if (forced && !request.force) return { ok: false, reason: 'not-holder', lock: toLock(live) };
    return { ok: true, lock: await release(tx, live.id, forced ? 'forced' : 'released', request) };
  });
}

async function release(
  tx: Queryable,
  lockId: number,
  kind: 'released' | 'forced',
  by: { actor: string; channel: string; now: Date },
): Promise<ReleasedLock> {
  const [row] = await tx.query<LockRow>(
    `update locks set released_at = $2, released_by = $3, release_kind = $4 where id = $1 returning *`,
    [lockId, by.now, by.actor, kind],
  );
  await audit(tx, { lockId, action: kind, actor: by.actor, channel: by.channel, at: by.now });
  return toReleased(row);
}

/** The live lock with this id, if `actor` holds it (buttons carry a lock id). */
async function liveLockHeldBy(
  tx: Queryable,
  request: { lockId: number; actor: string; now: Date },
): Promise<LockRow | { ok: false; reason: 'none' } | { ok: false; reason: 'not-holder'; lock: Lock }> {
  const [live] = await tx.query<LockRow>(
    'select * from locks where id = $1 and released_at is null and expires_at > $2',
    [request.lockId, request.now],
  );
  if (!live) return { ok: false, reason: 'none' };
  if (live.holder !== request.actor) return { ok: false, reason: 'not-holder', lock: toLock(live) };
  return live;
}

/** Releases a lock by id from its reminder's button; only the holder may. */
export async function releaseLockById(
  store: Store,
  request: { lockId: number; actor: string; channel: string; now: Date },
): Promise<ReleaseResult> {
  return store.transaction(async (tx) => {
    await serializeLockChanges(tx);
    const live = await liveLockHeldBy(tx, request);
    if ('ok' in live) return live;
    return { ok: true, lock: await release(tx, live.id, 'released', request) };
  });
}

export type ExtendResult =
  | { ok: true; lock: Lock }
  | { ok: false; reason: 'none' | 'already-extended' }
  | { ok: false; reason: 'not-holder'; lock: Lock };

/**
 * Extends a live lock by its own duration. `seenExpiresAt` is the expiry the button was
 * rendered with, so a double click extends once.
 */
export async function extendLock(
  store: Store,
  request: { lockId: number; seenExpiresAt: Date; actor: string; channel: string; now: Date },
): Promise<ExtendResult> {
  return store.transaction(async (tx) => {
    await serializeLockChanges(tx);
    const live = await liveLockHeldBy(tx, request);
    if ('ok' in live) return live;
    if (new Date(live.expires_at).getTime() !== request.seenExpiresAt.getTime())
      return { ok: false, reason: 'already-extended' };
    const [row] = await tx.query<LockRow>(
      `update locks set expires_at = expires_at + make_interval(secs => duration_seconds), reminded_at = null
        where id = $1 returning *`,
      [live.id],
    );
    await audit(tx, {
      lockId: row.id,
      action: 'extended',
      actor: request.actor,
      channel: request.channel,
      at: request.now,
      detail: { expires_at: row.expires_at },
    });
    return { ok: true, lock: toLock(row) };
  });
}

/** Live locks, the widest scopes first. */
export async function listLocks(db: Queryable, now: Date): Promise<Lock[]> {
  const rows = await db.query<LockRow>(
    `select * from locks where released_at is null and expires_at > $1
      order by environment nulls first, service nulls first, acquired_at`,
    [now],
  );
  return rows.map(toLock);
}

export async function countLiveLocks(db: Queryable, now: Date): Promise<number> {
  const [{ count }] = await db.query<{ count: number }>(
    'select count(*)::int as count from locks where released_at is null and expires_at > $1',
    [now],
  );
  return count;
}

/** The live lock held by someone other than `actor` that covers a service in an environment, if any. */
export async function findBlockingLock(
  db: Queryable,
  target: { environment: string; service: string; actor: string; now: Date },
): Promise<Lock | undefined> {
  const rows = await db.query<LockRow>(
    `select * from locks where ${OVERLAPPING} and holder <> $4 order by environment nulls first, service nulls first limit 1`,
    [target.environment, target.service, target.now, target.actor],
  );
  return rows.map(toLock)[0];
}
