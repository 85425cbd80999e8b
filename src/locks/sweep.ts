import type { Store } from '../store/index.ts';
import { lockTransaction, toLock, toReleased, type Lock, type LockRow, type ReleasedLock } from './rows.ts';

/** A reminder goes to the holder this long before expiry, for locks long enough to need one. */
export const REMINDER_LEAD_SECONDS = 10 * 60;

/**
 * Claims the locks whose expiry has not been announced yet (lapsed live ones are marked
 * expired first). The claim is a conditional update, so each expiry is returned to exactly
 * one caller across replicas, which then announces it.
 */
export async function claimExpiredLocks(store: Store, now: Date): Promise<ReleasedLock[]> {
  return lockTransaction(store, now, async (tx) => {
    const rows = await tx.query<LockRow>(
      `update locks set expiry_announced_at = $1
        where release_kind = 'expired' and expiry_announced_at is null returning *`,
      [now],
    );
    return rows.map(toReleased);
  });
}

/** Claims the live locks due a "your lock expires soon" reminder, each once per expiry. */
export async function claimDueReminders(store: Store, now: Date): Promise<Lock[]> {
  const rows = await store.query<LockRow>(
    `update locks set reminded_at = $1
      where released_at is null and reminded_at is null
        and duration_seconds > $2
        and expires_at > $1 and expires_at <= $1 + make_interval(secs => $2)
      returning *`,
    [now, REMINDER_LEAD_SECONDS],
  );
  return rows.map(toLock);
}
