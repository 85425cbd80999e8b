import { setMessageTs } from '../deploys/index.ts';
import { setStreamMessage } from '../incidents/index.ts';
import { type PullRequestKey, setThreadTs } from '../reviews/index.ts';
import type { Queryable } from '../store/index.ts';

/** The owner row that learns a message's ts once Slack has it, even when the process that asked has died. */
export type OnSent =
  | { deploy: number }
  | { pullRequest: PullRequestKey }
  | { streamEntry: { incidentId: number; checkId: string; minute: string } };

/** Something tugboat means to say in Slack, as written before it is sent. */
export interface OutboxMessage {
  channel: string;
  method: 'chat.postMessage' | 'chat.update' | 'conversations.setTopic' | 'conversations.invite';
  args: Record<string, unknown>;
  /** Pending rows with the same key are one message's updates: only the latest is sent. */
  coalesceKey?: string;
  onSent?: OnSent;
  /** For the note about a channel tugboat could not post to. */
  noteAbout?: string;
}

export interface OutboxRow {
  id: number;
  channel: string;
  method: string;
  args: Record<string, unknown>;
  coalesceKey: string | null;
  onSent: OnSent | null;
  noteAbout: string | null;
  status: 'pending' | 'sending' | 'sent' | 'failed' | 'superseded';
  attempts: number;
  /**
   * When the first attempt at this row started, if an earlier attempt may have reached Slack without
   * being recorded (as `startSending` found it): a post is looked for in the channel before it is sent again.
   */
  attemptedSince: Date | null;
  result: Record<string, unknown> | null;
  error: string | null;
}

interface Row {
  id: string;
  channel: string;
  method: string;
  args: Record<string, unknown>;
  coalesce_key: string | null;
  on_sent: OnSent | null;
  note_about: string | null;
  status: OutboxRow['status'];
  attempts: number;
  first_attempt_at: Date | string | null;
  created_at: Date | string;
  /** As it was before `startSending` marked this attempt. */
  was_maybe_in_slack?: boolean;
  result: Record<string, unknown> | null;
  error: string | null;
}

const toRow = (row: Row): OutboxRow => ({
  id: Number(row.id),
  channel: row.channel,
  method: row.method,
  args: row.args,
  coalesceKey: row.coalesce_key,
  onSent: row.on_sent,
  noteAbout: row.note_about,
  status: row.status,
  attempts: row.attempts,
  // Rows tried before migration 016 have no first_attempt_at: their lookups start when they were written.
  attemptedSince: row.was_maybe_in_slack ? new Date(row.first_attempt_at ?? row.created_at) : null,
  result: row.result,
  error: row.error,
});

/** Writes a message down; an update of a message that already has one pending replaces that one's content. Returns the row's id. */
export async function enqueue(db: Queryable, message: OutboxMessage): Promise<number> {
  const [row] = await db.query<{ id: string }>(
    `insert into slack_outbox (channel, method, args, coalesce_key, on_sent, note_about) values ($1, $2, $3, $4, $5, $6)
     on conflict (coalesce_key) where status = 'pending' do update set args = excluded.args
     returning id`,
    [
      message.channel,
      message.method,
      JSON.stringify(message.args),
      message.coalesceKey ?? null,
      message.onSent ? JSON.stringify(message.onSent) : null,
      message.noteAbout ?? null,
    ],
  );
  return Number(row.id);
}

/** Takes (or keeps) the right to send a channel's rows until the lease ends; false when another live sender has it. */
export async function claimChannel(db: Queryable, channel: string, holder: string, leaseMs: number): Promise<boolean> {
  const rows = await db.query(
    `insert into slack_outbox_senders (channel, holder, lease_until) values ($1, $2, now() + $3 * interval '1 millisecond')
     on conflict (channel) do update set holder = excluded.holder, lease_until = excluded.lease_until
     where slack_outbox_senders.holder = excluded.holder or slack_outbox_senders.lease_until < now()
     returning channel`,
    [channel, holder, leaseMs],
  );
  return rows.length > 0;
}

export async function releaseChannel(db: Queryable, channel: string, holder: string): Promise<void> {
  await db.query('delete from slack_outbox_senders where channel = $1 and holder = $2', [channel, holder]);
}

/** The channel's oldest unsent row, and how long until it is due (a retry waits; the rows behind it wait with it). */
export async function oldestUnsent(
  db: Queryable,
  channel: string,
): Promise<{ id: number; dueInMs: number } | undefined> {
  const [row] = await db.query<{ id: string; due_in_ms: number }>(
    `select id, greatest(0, ceil(extract(epoch from next_attempt_at - now()) * 1000))::float8 as due_in_ms
       from slack_outbox where channel = $1 and status in ('pending', 'sending') order by id limit 1`,
    [channel],
  );
  return row && { id: Number(row.id), dueInMs: Number(row.due_in_ms) };
}

/**
 * Marks a row as being sent, returning it as it is now (with the latest content of a coalesced update).
 * Until Slack answers, the row may be in Slack (`maybe_in_slack`); `attemptedSince` says whether it
 * already was before this attempt (the self-join reads the row as it was).
 */
export async function startSending(db: Queryable, id: number): Promise<OutboxRow | undefined> {
  const [row] = await db.query<Row>(
    `update slack_outbox o set status = 'sending', attempts = o.attempts + 1, maybe_in_slack = true,
            first_attempt_at = coalesce(o.first_attempt_at, now())
       from slack_outbox was
      where o.id = $1 and was.id = o.id and o.status in ('pending', 'sending')
      returning o.*, was.maybe_in_slack as was_maybe_in_slack`,
    [id],
  );
  return row && toRow(row);
}

/** Records what Slack answered and tells the owner row the ts, in one transaction. */
export async function markSent(db: Queryable, row: OutboxRow, result: Record<string, unknown>): Promise<void> {
  await db.query(`update slack_outbox set status = 'sent', result = $2, sent_at = now() where id = $1`, [
    row.id,
    JSON.stringify(result),
  ]);
  const ts = typeof result.ts === 'string' ? result.ts : undefined;
  if (ts && row.onSent) await tellOwner(db, row.onSent, ts);
}

async function tellOwner(db: Queryable, owner: OnSent, ts: string): Promise<void> {
  if ('deploy' in owner) await setMessageTs(db, owner.deploy, ts);
  else if ('pullRequest' in owner) await setThreadTs(db, owner.pullRequest, ts);
  else await setStreamMessage(db, { ...owner.streamEntry, minute: new Date(owner.streamEntry.minute) }, ts);
}

export async function markFailed(db: Queryable, id: number, error: string): Promise<void> {
  await db.query(`update slack_outbox set status = 'failed', error = $2 where id = $1`, [id, error]);
}

/**
 * Puts a row back to be tried after `delayMs`; an update already replaced by a newer pending one is dropped instead.
 * `refused`: Slack answered this attempt with a refusal, so it took nothing, and the row is in Slack only if an earlier attempt may have put it there.
 */
export async function retryLater(
  db: Queryable,
  row: OutboxRow,
  delayMs: number,
  error: string,
  refused = false,
): Promise<void> {
  await db.query(
    `update slack_outbox
        set status = case when coalesce_key is not null and exists (
                       select 1 from slack_outbox newer where newer.coalesce_key = slack_outbox.coalesce_key and newer.status = 'pending')
                     then 'superseded' else 'pending' end,
            next_attempt_at = now() + $2 * interval '1 millisecond', error = $3,
            maybe_in_slack = case when $4 then $5 else maybe_in_slack end
      where id = $1`,
    [row.id, delayMs, error, refused, row.attemptedSince !== null],
  );
}

/**
 * Channels with a row due now: waiting out a retry, or never tried for `orphanedAfterMs` (its writer,
 * which sends its own rows at once, has died).
 */
export async function channelsDue(db: Queryable, orphanedAfterMs: number): Promise<string[]> {
  const rows = await db.query<{ channel: string }>(
    `select distinct channel from slack_outbox
      where status in ('pending', 'sending') and next_attempt_at <= now()
        and (attempts > 0 or created_at < now() - $1 * interval '1 millisecond')`,
    [orphanedAfterMs],
  );
  return rows.map((row) => row.channel);
}

/** The rows among `ids` that are settled (sent, failed or superseded), wherever they were sent. */
export async function settledRows(db: Queryable, ids: number[]): Promise<OutboxRow[]> {
  const rows = await db.query<Row>(
    `select * from slack_outbox where id = any($1::bigint[]) and status in ('sent', 'failed', 'superseded')`,
    [ids],
  );
  return rows.map(toRow);
}

/** True when a note about `channel` was written in the last `withinMs`: one note an hour is enough. */
export async function notedRecently(db: Queryable, channel: string, withinMs: number): Promise<boolean> {
  const rows = await db.query(
    `select 1 from slack_outbox where note_about = $1 and created_at > now() - $2 * interval '1 millisecond' limit 1`,
    [channel, withinMs],
  );
  return rows.length > 0;
}

/** Pending rows and the age of the oldest, for /metrics. */
export async function outboxDepth(db: Queryable): Promise<{ pending: number; oldestSeconds: number }> {
  const [row] = await db.query<{ pending: string; oldest_seconds: number | null }>(
    `select count(*) as pending, extract(epoch from now() - min(created_at))::float8 as oldest_seconds
       from slack_outbox where status in ('pending', 'sending')`,
  );
  return { pending: Number(row.pending), oldestSeconds: Number(row.oldest_seconds ?? 0) };
}

/** Sent and given-up rows older than `olderThanMs` (Slack has them, or never will). */
export async function pruneOutbox(db: Queryable, olderThanMs: number): Promise<number> {
  const rows = await db.query(
    `delete from slack_outbox where status in ('sent', 'failed', 'superseded') and created_at < now() - $1 * interval '1 millisecond' returning id`,
    [olderThanMs],
  );
  return rows.length;
}
