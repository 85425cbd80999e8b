import type { Queryable } from '../store/index.ts';

export interface QueuedDeploy {
  id: number;
  service: string;
  environment: string;
  ref: string;
  requestedBy: string;
  channel: string;
  queuedAt: Date;
}

interface QueueRow {
  id: number;
  service: string;
  environment: string;
  ref: string;
  requested_by: string;
  channel: string;
  queued_at: Date;
}

const toQueued = (row: QueueRow): QueuedDeploy => ({
  id: row.id,
  service: row.service,
  environment: row.environment,
  ref: row.ref,
  requestedBy: row.requested_by,
  channel: row.channel,
  queuedAt: new Date(row.queued_at),
});

/** Adds a deploy to its service and environment's queue; a second click by the same person queues nothing more. */
export async function enqueue(
  db: Queryable,
  entry: { service: string; environment: string; ref: string; requestedBy: string; channel: string; now: Date },
): Promise<{ queued: QueuedDeploy; position: number; alreadyQueued: boolean }> {
  const inserted = await db.query<QueueRow>(
    `insert into deploy_queue (service, environment, ref, requested_by, channel, queued_at) values ($1, $2, $3, $4, $5, $6)
     on conflict (service, environment, requested_by, ref) where state = 'waiting' do nothing returning *`,
    [entry.service, entry.environment, entry.ref, entry.requestedBy, entry.channel, entry.now],
  );
  const waiting = await allWaiting(db, entry.service, entry.environment);
  const queued = inserted.length
    ? toQueued(inserted[0])
    : waiting.find((w) => w.requestedBy === entry.requestedBy && w.ref === entry.ref)!;
  return { queued, position: waiting.findIndex((w) => w.id === queued.id) + 1, alreadyQueued: inserted.length === 0 };
}

export async function allWaiting(db: Queryable, service?: string, environment?: string): Promise<QueuedDeploy[]> {
  const rows = await db.query<QueueRow>(
    `select * from deploy_queue where state = 'waiting' and ($1::text is null or service = $1) and ($2::text is null or environment = $2)
      order by id`,
    [service ?? null, environment ?? null],
  );
  return rows.map(toQueued);
}

export async function markQueuedStarted(db: Queryable, id: number, deployId: number): Promise<boolean> {
  const rows = await db.query(
    `update deploy_queue set state = 'started', deploy_id = $2 where id = $1 and state = 'waiting' returning id`,
    [id, deployId],
  );
  return rows.length > 0;
}

export async function dropQueued(db: Queryable, id: number, detail: string): Promise<boolean> {
  const rows = await db.query(
    `update deploy_queue set state = 'dropped', detail = $2 where id = $1 and state = 'waiting' returning id`,
    [id, detail],
  );
  return rows.length > 0;
}

/** Every service and environment someone is queued for. */
export async function waitingQueues(db: Queryable): Promise<Array<{ service: string; environment: string }>> {
  return db.query(`select distinct service, environment from deploy_queue where state = 'waiting'`);
}
