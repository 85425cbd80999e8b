import type { Queryable } from '../store/index.ts';

/** The start of the interval `now` falls in. Ticks are aligned to the epoch, so every replica agrees on them. */
export function tickOf(everyMs: number, now: Date): Date {
  return new Date(Math.floor(now.getTime() / everyMs) * everyMs);
}

export interface Claim {
  checkId: string;
  tick: Date;
  replica: string;
  now: Date;
  /** Until when the claim holds off other replicas if it is never released (its replica died). */
  expiresAt: Date;
}

/**
 * Claims a check's tick for this replica: true at most once per check and tick across replicas,
 * and never while another replica's claim on an earlier tick is still running and unexpired.
 */
export async function claimTick(db: Queryable, claim: Claim): Promise<boolean> {
  const rows = await db.query(
    `insert into smoke_claims (check_id, tick, claimed_by, claim_expires_at) values ($1, $2, $3, $4)
     on conflict (check_id) do update
       set tick = excluded.tick, claimed_by = excluded.claimed_by, claim_expires_at = excluded.claim_expires_at
       where smoke_claims.tick < excluded.tick
         and (smoke_claims.claim_expires_at is null or smoke_claims.claim_expires_at <= $5)
     returning check_id`,
    [claim.checkId, claim.tick, claim.replica, claim.expiresAt, claim.now],
  );
  return rows.length === 1;
}

export async function releaseClaim(db: Queryable, checkId: string, replica: string): Promise<void> {
  await db.query(
    `update smoke_claims set claimed_by = null, claim_expires_at = null where check_id = $1 and claimed_by = $2`,
    [checkId, replica],
  );
}
