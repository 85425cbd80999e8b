import type { Queryable } from '../store/index.ts';

/**
 * Failures after an alert, folded: one row per check per minute. The row is the truth; its Slack
 * message follows it, posted once and then updated while `rendered` trails `failures`.
 */
export interface StreamEntry {
  incidentId: number;
  checkId: string;
  minute: Date;
  name: string;
  failures: number;
  lastError: string | null;
  lastAt: Date;
  /** Null until posted; empty while a replica is posting it. */
  messageTs: string | null;
  rendered: number;
}

interface StreamRow {
  incident_id: number;
  check_id: string;
  minute: Date;
  check_name: string;
  failures: number;
  last_error: string | null;
  last_at: Date;
  message_ts: string | null;
  rendered_failures: number;
}

const toEntry = (row: StreamRow): StreamEntry => ({
  incidentId: Number(row.incident_id),
  checkId: row.check_id,
  minute: new Date(row.minute),
  name: row.check_name,
  failures: row.failures,
  lastError: row.last_error,
  lastAt: new Date(row.last_at),
  messageTs: row.message_ts,
  rendered: row.rendered_failures,
});

const MINUTE_MS = 60_000;

export async function recordStreamedFailure(
  db: Queryable,
  failure: { incidentId: number; checkId: string; name: string; error: string | undefined; at: Date },
): Promise<void> {
  const minute = new Date(Math.floor(failure.at.getTime() / MINUTE_MS) * MINUTE_MS);
  await db.query(
    `insert into incident_stream (incident_id, check_id, minute, check_name, failures, last_error, last_at)
     values ($1, $2, $3, $4, 1, $5, $6)
     on conflict (incident_id, check_id, minute) do update
       set failures = incident_stream.failures + 1, last_error = excluded.last_error, last_at = greatest(incident_stream.last_at, excluded.last_at)`,
    [failure.incidentId, failure.checkId, minute, failure.name, failure.error ?? null, failure.at],
  );
}

/** Entries whose message is behind their row (not posted, or showing an older count), oldest first. */
export async function entriesBehind(db: Queryable, incidentId: number, limit: number): Promise<StreamEntry[]> {
  const rows = await db.query<StreamRow>(
    `select * from incident_stream
      where incident_id = $1 and failures > rendered_failures and (message_ts is null or message_ts <> '')
      order by minute, check_id limit $2`,
    [incidentId, limit],
  );
  return rows.map(toEntry);
}

type Key = Pick<StreamEntry, 'incidentId' | 'checkId' | 'minute'>;
const KEY = 'incident_id = $1 and check_id = $2 and minute = $3';
const keyParams = (key: Key) => [key.incidentId, key.checkId, key.minute];

/** Claims the posting of an entry's message (one replica wins); returns the entry as it is now. */
export async function claimPosting(db: Queryable, key: Key): Promise<StreamEntry | undefined> {
  const [row] = await db.query<StreamRow>(
    `update incident_stream set message_ts = '' where ${KEY} and message_ts is null returning *`,
    keyParams(key),
  );
  return row && toEntry(row);
}

/** Claims rendering the entry's current count over what `seen` rendered; returns the entry as it is now. */
export async function claimRendering(db: Queryable, key: Key, seen: number): Promise<StreamEntry | undefined> {
  const [row] = await db.query<StreamRow>(
    `update incident_stream set rendered_failures = failures where ${KEY} and rendered_failures = $4 and failures > $4 returning *`,
    [...keyParams(key), seen],
  );
  return row && toEntry(row);
}

export async function setStreamMessage(db: Queryable, key: Key, ts: string): Promise<void> {
  await db.query(`update incident_stream set message_ts = $4 where ${KEY}`, [...keyParams(key), ts]);
}

/** A post that failed: the entry is posted again by the next flush. */
export async function releasePosting(db: Queryable, key: Key): Promise<void> {
  await db.query(`update incident_stream set message_ts = null, rendered_failures = 0 where ${KEY}`, keyParams(key));
}
