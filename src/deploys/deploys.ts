import { dateOrNull, type ColumnsOf, type Queryable, type Store } from '../store/index.ts';

export type DeployStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'unknown';

/**
 * Why a deploy was stopped before its executor reported: past its `deploy.timeout`, `/deploy
 * cancel`, a rollback took over, tugboat shut down while its script ran, or the process running
 * it died (its lease lapsed).
 */
export type StopReason = 'timed_out' | 'cancelled' | 'superseded' | 'shutdown' | 'lease_lapsed';

export interface Deploy {
  id: number;
  service: string;
  environment: string;
  ref: string;
  sha: string;
  requestedBy: string;
  channel: string;
  messageTs: string | null;
  status: DeployStatus;
  executor: string;
  externalId: string | null;
  rollbackOf: number | null;
  forced: boolean;
  detail: string | null;
  logUrl: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  smokeStatus: 'passed' | 'failed' | null;
  /** Past this, the deploy is reconciled with GitHub, then stopped as timed out. */
  deadlineAt: Date | null;
  stopReason: StopReason | null;
}

/** A `deploys` row as queries return it (its `lease_expires_at` column is read on its own, by `leaseState`). */
type DeployRow = ColumnsOf<Deploy>;

export const toDeploy = (row: DeployRow): Deploy => ({
  id: row.id,
  service: row.service,
  environment: row.environment,
  ref: row.ref,
  sha: row.sha,
  requestedBy: row.requested_by,
  channel: row.channel,
  messageTs: row.message_ts,
  status: row.status,
  executor: row.executor,
  externalId: row.external_id,
  rollbackOf: row.rollback_of,
  forced: row.forced,
  detail: row.detail,
  logUrl: row.log_url,
  createdAt: new Date(row.created_at),
  startedAt: dateOrNull(row.started_at),
  finishedAt: dateOrNull(row.finished_at),
  smokeStatus: row.smoke_status,
  deadlineAt: dateOrNull(row.deadline_at),
  stopReason: row.stop_reason,
});

const IN_FLIGHT = `status in ('pending', 'running')`;

/** What recording a deploy takes: the fields its requester sets, and when. */
export interface NewDeploy
  extends Pick<Deploy, 'service' | 'environment' | 'ref' | 'sha' | 'requestedBy' | 'channel' | 'executor' | 'forced'> {
  rollbackOf?: number;
  now: Date;
  deadlineAt?: Date;
}

export type CreateResult = { ok: true; deploy: Deploy } | { ok: false; inFlight: Deploy };

/**
 * Records a deploy as pending. The partial unique index on (service, environment) for
 * in-flight deploys decides between simultaneous requests, on any number of replicas.
 */
export async function createDeploy(db: Queryable, deploy: NewDeploy): Promise<CreateResult> {
  const rows = await db.query<DeployRow>(
    `insert into deploys (service, environment, ref, sha, requested_by, channel, status, executor, rollback_of, forced, created_at, deadline_at)
     values ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $9, $10, $11)
     on conflict (service, environment) where ${IN_FLIGHT} do nothing
     returning *`,
    [
      deploy.service,
      deploy.environment,
      deploy.ref,
      deploy.sha,
      deploy.requestedBy,
      deploy.channel,
      deploy.executor,
      deploy.rollbackOf ?? null,
      deploy.forced,
      deploy.now,
      deploy.deadlineAt ?? null,
    ],
  );
  if (rows.length) return { ok: true, deploy: toDeploy(rows[0]) };
  const running = await inFlightDeploy(db, deploy.service, deploy.environment);
  // The one in flight finished between the insert and this read: try once more.
  return running ? { ok: false, inFlight: running } : createDeploy(db, deploy);
}

/**
 * Claims the auto-deploy of `service` to `environment` for a push delivery: false when that
 * delivery already started it, or another handling of it is starting it right now.
 */
export async function claimAutoDeployStart(
  db: Queryable,
  start: { deliveryId: string; service: string; environment: string },
  claimMs: number,
): Promise<boolean> {
  const claimed = await db.query(
    `insert into auto_deploy_starts (delivery_id, service, environment, claimed_until)
     values ($1, $2, $3, now() + $4 * interval '1 millisecond')
     on conflict (delivery_id, service, environment) do update set claimed_until = excluded.claimed_until
       where auto_deploy_starts.deploy_id is null and auto_deploy_starts.claimed_until < now()
     returning delivery_id`,
    [start.deliveryId, start.service, start.environment, claimMs],
  );
  return claimed.length > 0;
}

/** The claimed auto-deploy started as `deployId`, for good; or (no id) it did not start, and a later handling may try again. */
export async function settleAutoDeployStart(
  db: Queryable,
  start: { deliveryId: string; service: string; environment: string },
  deployId?: number,
): Promise<void> {
  const key = [start.deliveryId, start.service, start.environment];
  if (deployId === undefined)
    await db.query('delete from auto_deploy_starts where delivery_id = $1 and service = $2 and environment = $3', key);
  else
    await db.query(
      'update auto_deploy_starts set deploy_id = $4 where delivery_id = $1 and service = $2 and environment = $3',
      [...key, deployId],
    );
}

export async function inFlightDeploy(db: Queryable, service: string, environment: string): Promise<Deploy | undefined> {
  const rows = await db.query<DeployRow>(
    `select * from deploys where service = $1 and environment = $2 and ${IN_FLIGHT}`,
    [service, environment],
  );
  return rows.map(toDeploy)[0];
}

export async function getDeploy(db: Queryable, id: number): Promise<Deploy | undefined> {
  return (await db.query<DeployRow>('select * from deploys where id = $1', [id])).map(toDeploy)[0];
}

export async function setMessageTs(db: Queryable, id: number, ts: string): Promise<void> {
  await db.query('update deploys set message_ts = $2 where id = $1', [id, ts]);
}

/**
 * pending -> running; `leaseUntil` when this process runs the executor itself. An external id
 * already recorded stays (see `attachExternalId`).
 */
export async function markRunning(
  db: Queryable,
  id: number,
  update: { now: Date; leaseUntil?: Date; externalId?: string },
): Promise<Deploy | undefined> {
  const rows = await db.query<DeployRow>(
    `update deploys set status = 'running', started_at = coalesce(started_at, $2), lease_expires_at = $3,
            external_id = coalesce(external_id, $4)
      where id = $1 and ${IN_FLIGHT} returning *`,
    [id, update.now, update.leaseUntil ?? null, update.externalId ?? null],
  );
  return rows.map(toDeploy)[0];
}

/**
 * Extends the lease of a deploy whose script this process runs, and returns the row: a deploy no
 * longer in flight was stopped (cancelled, superseded, timed out) and its script must be killed.
 * A stopped deploy's lease is still renewed until its script is gone; undefined means the lease
 * was taken away (it lapsed and another replica declared the deploy lost).
 */
export async function renewLease(db: Queryable, id: number, until: Date): Promise<Deploy | undefined> {
  const rows = await db.query<DeployRow>(
    `update deploys set lease_expires_at = $2 where id = $1 and lease_expires_at is not null returning *`,
    [id, until],
  );
  return rows.map(toDeploy)[0];
}

/** The script of this deploy has stopped: the next deploy of its service and environment may start. */
export async function releaseLease(db: Queryable, id: number): Promise<void> {
  await db.query('update deploys set lease_expires_at = null where id = $1', [id]);
}

/** Another deploy of the service and environment whose script still runs somewhere (its lease is live). */
export async function liveLeaseBesides(db: Queryable, deploy: Deploy, now: Date): Promise<Deploy | undefined> {
  const rows = await db.query<DeployRow>(
    `select * from deploys where service = $1 and environment = $2 and id <> $3 and lease_expires_at > $4 order by id limit 1`,
    [deploy.service, deploy.environment, deploy.id, now],
  );
  return rows.map(toDeploy)[0];
}

/** Whether a deploy's script still holds its lease, has released it (it stopped), or let it lapse (its process died). */
export async function leaseState(db: Queryable, id: number, now: Date): Promise<'held' | 'released' | 'lapsed'> {
  const [row] = await db.query<{ lease_expires_at: Date | null }>(
    'select lease_expires_at from deploys where id = $1',
    [id],
  );
  if (!row?.lease_expires_at) return 'released';
  return new Date(row.lease_expires_at) > now ? 'held' : 'lapsed';
}

/**
 * Stops an in-flight deploy before its executor reported (once: the update is conditional). A
 * script's lease is kept: the replica running it sees the stop at its next renewal, kills it and
 * only then releases the lease.
 */
export async function stopDeploy(
  db: Queryable,
  id: number,
  stop: { status: 'failed' | 'unknown'; reason: StopReason; detail: string; now: Date },
): Promise<Deploy | undefined> {
  const rows = await db.query<DeployRow>(
    `update deploys set status = $2, stop_reason = $3, detail = $4, finished_at = $5, started_at = coalesce(started_at, $5)
      where id = $1 and ${IN_FLIGHT} returning *`,
    [id, stop.status, stop.reason, stop.detail, stop.now],
  );
  return rows.map(toDeploy)[0];
}

/** In-flight deploys past their deadline whose outcome must come from outside (no script of tugboat's holds a lease on them). */
export async function overdueDeploys(db: Queryable, now: Date): Promise<Deploy[]> {
  const rows = await db.query<DeployRow>(
    `select * from deploys where ${IN_FLIGHT} and deadline_at < $1 and lease_expires_at is null order by id`,
    [now],
  );
  return rows.map(toDeploy);
}

/**
 * Records an outcome once: only an in-flight deploy can finish, so a redelivered webhook or
 * a second callback finds nothing to update and gets undefined.
 */
export async function finishDeploy(
  db: Queryable,
  id: number,
  outcome: { status: 'succeeded' | 'failed' | 'unknown'; detail?: string; logUrl?: string; now: Date },
): Promise<Deploy | undefined> {
  const rows = await db.query<DeployRow>(
    `update deploys set status = $2, detail = $3, log_url = coalesce($4, log_url), finished_at = $5, lease_expires_at = null,
            started_at = coalesce(started_at, $5)
      where id = $1 and ${IN_FLIGHT} returning *`,
    [id, outcome.status, outcome.detail ?? null, outcome.logUrl ?? null, outcome.now],
  );
  return rows.map(toDeploy)[0];
}

export async function recordSmokeResult(db: Queryable, id: number, passed: boolean): Promise<void> {
  await db.query('update deploys set smoke_status = $2 where id = $1', [id, passed ? 'passed' : 'failed']);
}

export async function findByExternalId(
  db: Queryable,
  executor: string,
  externalId: string,
): Promise<Deploy | undefined> {
  const rows = await db.query<DeployRow>('select * from deploys where executor = $1 and external_id = $2', [
    executor,
    externalId,
  ]);
  return rows.map(toDeploy)[0];
}

/**
 * Records the GitHub object (a workflow run) an in-flight deploy belongs to, unless another one
 * was recorded first: the first recorded wins, whether the executor found it through the API
 * or its webhook arrived first, on any replica. Returns the deploy if it now belongs to it.
 */
export async function attachExternalId(db: Queryable, id: number, externalId: string): Promise<Deploy | undefined> {
  const rows = await db.query<DeployRow>(
    `update deploys set external_id = $2 where id = $1 and (external_id is null or external_id = $2) and ${IN_FLIGHT} returning *`,
    [id, externalId],
  );
  return rows.map(toDeploy)[0];
}

export async function recentDeploys(
  db: Queryable,
  service: string,
  environment: string | undefined,
  limit: number,
): Promise<Deploy[]> {
  const rows = await db.query<DeployRow>(
    `select * from deploys where service = $1 and ($2::text is null or environment = $2) order by id desc limit $3`,
    [service, environment ?? null, limit],
  );
  return rows.map(toDeploy);
}

/** A service's deploys in an environment created in a window, newest first. */
export async function deploysBetween(
  db: Queryable,
  service: string,
  environment: string,
  window: { from: Date; to: Date },
): Promise<Deploy[]> {
  const rows = await db.query<DeployRow>(
    `select * from deploys where service = $1 and environment = $2 and created_at >= $3 and created_at <= $4 order by id desc`,
    [service, environment, window.from, window.to],
  );
  return rows.map(toDeploy);
}

/** The latest successful deploy of each service in each environment: what runs where. */
export async function currentReleases(db: Queryable): Promise<Deploy[]> {
  const rows = await db.query<DeployRow>(
    `select distinct on (service, environment) * from deploys where status = 'succeeded'
      order by service, environment, finished_at desc, id desc`,
  );
  return rows.map(toDeploy);
}

export async function allInFlight(db: Queryable): Promise<Deploy[]> {
  return (await db.query<DeployRow>(`select * from deploys where ${IN_FLIGHT} order by id`)).map(toDeploy);
}

/** A deploy still pending this long never reached its executor: its process died in between. */
const PENDING_TIMEOUT_SECONDS = 5 * 60;

/**
 * Deploys whose process died: the lease it kept renewing has lapsed (or it never left
 * pending). Each is marked `unknown` once (conditional update), which frees its service and
 * environment. Deploys handed off to GitHub or a CI server hold no lease: their outcome
 * still arrives on its own.
 */
export async function claimLapsedDeploys(store: Store, now: Date): Promise<Deploy[]> {
  const rows = await store.query<DeployRow>(
    `update deploys set status = 'unknown', finished_at = $1, lease_expires_at = null, stop_reason = 'lease_lapsed',
            detail = 'the tugboat process running it stopped before it finished'
      where (status = 'running' and lease_expires_at < $1)
         or (status = 'pending' and created_at < $1 - make_interval(secs => $2))
      returning *`,
    [now, PENDING_TIMEOUT_SECONDS],
  );
  return rows.map(toDeploy);
}
