import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../log.ts';
import type { Queryable } from '../store/index.ts';

export interface LeaseOptions {
  /** How long a claim lasts unless renewed; what a replica that died mid-job delays the next run by. */
  leaseMs: number;
  /** How often a running job renews its lease. */
  renewMs: number;
}

export const JOB_LEASE: LeaseOptions = { leaseMs: 30_000, renewMs: 10_000 };

/**
 * Runs `fn` only if no replica (this one included) holds the job's lease, holding it meanwhile;
 * false when another holder had it. Claiming, renewing and releasing are single statements, so
 * no connection is kept while `fn` waits on Slack or GitHub.
 */
export async function runWithLease(
  deps: { store: Queryable; log: Logger },
  name: string,
  fn: () => Promise<void>,
  options: LeaseOptions = JOB_LEASE,
): Promise<boolean> {
  const holder = `${hostname()}/${process.pid}/${randomUUID()}`;
  if (!(await claimLease(deps.store, name, holder, options.leaseMs))) return false;
  const renewal = setInterval(() => {
    renewLease(deps.store, name, holder, options.leaseMs).catch((error) =>
      deps.log.warn({ err: error, job: name }, 'could not renew a job lease; it lapses unless renewed'),
    );
  }, options.renewMs);
  try {
    await fn();
    return true;
  } finally {
    clearInterval(renewal);
    await releaseLease(deps.store, name, holder).catch((error) =>
      deps.log.warn({ err: error, job: name }, 'could not release a job lease; it lapses by itself'),
    );
  }
}

async function claimLease(db: Queryable, name: string, holder: string, leaseMs: number): Promise<boolean> {
  const claimed = await db.query(
    `insert into job_leases (name, holder, lease_until) values ($1, $2, now() + $3 * interval '1 millisecond')
     on conflict (name) do update set holder = excluded.holder, lease_until = excluded.lease_until
       where job_leases.lease_until < now()
     returning name`,
    [name, holder, leaseMs],
  );
  return claimed.length > 0;
}

async function renewLease(db: Queryable, name: string, holder: string, leaseMs: number): Promise<void> {
  await db.query(
    `update job_leases set lease_until = now() + $3 * interval '1 millisecond' where name = $1 and holder = $2`,
    [name, holder, leaseMs],
  );
}

async function releaseLease(db: Queryable, name: string, holder: string): Promise<void> {
  await db.query('delete from job_leases where name = $1 and holder = $2', [name, holder]);
}
