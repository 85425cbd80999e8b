import { resetAlertState } from '../smoke/index.ts';
import { dateOrNull, type Queryable, type Store } from '../store/index.ts';

export interface Incident {
  id: number;
  service: string;
  environment: string;
  status: 'open' | 'resolved';
  firstFailureAt: Date;
  openedAt: Date;
  channelId: string | null;
  channelName: string | null;
  acknowledgedBy: string | null;
  acknowledgedAt: Date | null;
  recoveredAt: Date | null;
  resolvedBy: string | null;
  resolvedAt: Date | null;
}

export interface IncidentCheck {
  checkId: string;
  name: string;
  failing: boolean;
  since: Date;
  lastError: string | null;
  lastStatus: number | null;
}

export type IncidentEventKind =
  | 'first_failure'
  | 'alert'
  | 'check_failing'
  | 'check_recovered'
  | 'acknowledged'
  | 'rollback_started'
  | 'rollback_finished'
  | 'recovered'
  | 'reminded'
  | 'resolved';

export interface IncidentEvent {
  kind: IncidentEventKind;
  at: Date;
  actor: string | null;
  detail: string | null;
}

interface IncidentRow {
  id: number;
  service: string;
  environment: string;
  status: 'open' | 'resolved';
  first_failure_at: Date;
  opened_at: Date;
  channel_id: string | null;
  channel_name: string | null;
  acknowledged_by: string | null;
  acknowledged_at: Date | null;
  recovered_at: Date | null;
  resolved_by: string | null;
  resolved_at: Date | null;
}

const toIncident = (row: IncidentRow): Incident => ({
  id: Number(row.id),
  service: row.service,
  environment: row.environment,
  status: row.status,
  firstFailureAt: new Date(row.first_failure_at),
  openedAt: new Date(row.opened_at),
  channelId: row.channel_id,
  channelName: row.channel_name,
  acknowledgedBy: row.acknowledged_by,
  acknowledgedAt: dateOrNull(row.acknowledged_at),
  recoveredAt: dateOrNull(row.recovered_at),
  resolvedBy: row.resolved_by,
  resolvedAt: dateOrNull(row.resolved_at),
});

/** A check that met the alert rule: what opens an incident or joins the open one. */
export interface FailingCheck {
  service: string;
  environment: string;
  checkId: string;
  name: string;
  since: Date;
  at: Date;
  lastError?: string;
  lastStatus?: number;
}

/**
 * Opens the service's incident in that environment, or adds the check to the one already open
 * (one open per service and environment, by a unique index). `opened` is true for exactly one caller.
 */
export async function openOrJoin(store: Store, check: FailingCheck): Promise<{ incident: Incident; opened: boolean }> {
  return store.transaction(async (tx) => {
    const [inserted] = await tx.query<IncidentRow>(
      `insert into incidents (service, environment, first_failure_at, opened_at, channel_attempted_at) values ($1, $2, $3, $4, $4)
       on conflict (service, environment) where status = 'open' do nothing returning *`,
      [check.service, check.environment, check.since, check.at],
    );
    const row = inserted ?? (await openRow(tx, check.service, check.environment));
    if (!row) throw new Error(`no open incident for ${check.service} in ${check.environment}`);
    const incident = toIncident(row);
    await tx.query(
      `insert into incident_checks (incident_id, check_id, check_name, failing, since, last_error, last_status, announced)
       values ($1, $2, $3, true, $4, $5, $6, $7)
       on conflict (incident_id, check_id) do update
         set failing = true, since = excluded.since, last_error = excluded.last_error, last_status = excluded.last_status, announced = false`,
      [
        incident.id,
        check.checkId,
        check.name,
        check.since,
        check.lastError ?? null,
        check.lastStatus ?? null,
        inserted !== undefined,
      ],
    );
    if (inserted) {
      await recordEvent(tx, incident.id, { kind: 'first_failure', at: check.since, detail: check.name });
      await recordEvent(tx, incident.id, { kind: 'alert', at: check.at, detail: check.name });
      return { incident, opened: true };
    }
    await tx.query('update incidents set recovered_at = null where id = $1', [incident.id]);
    await recordEvent(tx, incident.id, { kind: 'check_failing', at: check.at, detail: check.name });
    return { incident: { ...incident, recoveredAt: null }, opened: false };
  });
}

async function openRow(db: Queryable, service: string, environment: string): Promise<IncidentRow | undefined> {
  const [row] = await db.query<IncidentRow>(
    `select * from incidents where service = $1 and environment = $2 and status = 'open'`,
    [service, environment],
  );
  return row;
}

export async function openIncident(db: Queryable, service: string, environment: string): Promise<Incident | undefined> {
  const row = await openRow(db, service, environment);
  return row && toIncident(row);
}

export async function getIncident(db: Queryable, id: number): Promise<Incident | undefined> {
  const [row] = await db.query<IncidentRow>('select * from incidents where id = $1', [id]);
  return row && toIncident(row);
}

/** The newest incident whose channel this is. */
export async function incidentInChannel(db: Queryable, channelId: string): Promise<Incident | undefined> {
  const [row] = await db.query<IncidentRow>('select * from incidents where channel_id = $1 order by id desc limit 1', [
    channelId,
  ]);
  return row && toIncident(row);
}

export async function openIncidents(db: Queryable): Promise<Incident[]> {
  return (await db.query<IncidentRow>(`select * from incidents where status = 'open' order by id`)).map(toIncident);
}

export async function setChannel(db: Queryable, id: number, channel: { id: string; name: string }): Promise<void> {
  await db.query('update incidents set channel_id = $2, channel_name = $3 where id = $1', [
    id,
    channel.id,
    channel.name,
  ]);
}

interface CheckRow {
  check_id: string;
  check_name: string;
  failing: boolean;
  since: Date;
  last_error: string | null;
  last_status: number | null;
}

const toCheck = (row: CheckRow): IncidentCheck => ({
  checkId: row.check_id,
  name: row.check_name,
  failing: row.failing,
  since: new Date(row.since),
  lastError: row.last_error,
  lastStatus: row.last_status,
});

export async function incidentChecks(db: Queryable, id: number): Promise<IncidentCheck[]> {
  return (
    await db.query<CheckRow>('select * from incident_checks where incident_id = $1 order by since, check_id', [id])
  ).map(toCheck);
}

/** The incident's failing checks the channel has not been told of yet, claimed once across replicas. */
export async function claimUnannounced(db: Queryable, id: number): Promise<IncidentCheck[]> {
  const rows = await db.query<CheckRow>(
    'update incident_checks set announced = true where incident_id = $1 and failing and not announced returning *',
    [id],
  );
  return rows.map(toCheck).sort((a, b) => a.since.getTime() - b.since.getTime() || a.name.localeCompare(b.name));
}

/**
 * A check of an open incident passes again. Returns the incident, and whether this made every one of its
 * checks pass (reported once: `recovered_at` is set by a conditional update).
 */
export async function recoverCheck(
  store: Store,
  check: { service: string; environment: string; checkId: string; name: string; at: Date },
): Promise<{ incident: Incident; allRecovered: boolean } | undefined> {
  return store.transaction(async (tx) => {
    const row = await openRow(tx, check.service, check.environment);
    if (!row) return undefined;
    const [changed] = await tx.query(
      'update incident_checks set failing = false where incident_id = $1 and check_id = $2 and failing returning 1',
      [row.id, check.checkId],
    );
    if (!changed) return undefined;
    await recordEvent(tx, row.id, { kind: 'check_recovered', at: check.at, detail: check.name });
    const [recovered] = await tx.query<IncidentRow>(
      `update incidents set recovered_at = $2 where id = $1 and recovered_at is null
         and not exists (select 1 from incident_checks where incident_id = $1 and failing)
       returning *`,
      [row.id, check.at],
    );
    if (recovered) await recordEvent(tx, row.id, { kind: 'recovered', at: check.at });
    return { incident: toIncident(recovered ?? row), allRecovered: recovered !== undefined };
  });
}

export type AcknowledgeResult = { ok: true; incident: Incident } | { ok: false; incident: Incident | undefined };

/** The first acknowledgement counts; a second click learns who was first. */
export async function acknowledge(store: Store, id: number, user: string, at: Date): Promise<AcknowledgeResult> {
  return store.transaction(async (tx) => {
    const [row] = await tx.query<IncidentRow>(
      `update incidents set acknowledged_by = $2, acknowledged_at = $3 where id = $1 and acknowledged_by is null and status = 'open' returning *`,
      [id, user, at],
    );
    if (!row) return { ok: false, incident: await getIncident(tx, id) };
    await recordEvent(tx, id, { kind: 'acknowledged', at, actor: user });
    return { ok: true, incident: toIncident(row) };
  });
}

export type ResolveResult =
  | { ok: true; incident: Incident }
  | { ok: false; reason: 'still-failing'; failing: IncidentCheck[] }
  | { ok: false; reason: 'not-open'; incident: Incident | undefined };

/**
 * Closes an incident; refused while a check still fails, unless `confirmed`. Its checks' alert
 * state is reset with it, so one that still fails opens a new incident after enough failures.
 */
export async function resolveIncident(
  store: Store,
  request: { id: number; user: string; at: Date; confirmed: boolean },
): Promise<ResolveResult> {
  return store.transaction(async (tx) => {
    const failing = (await incidentChecks(tx, request.id)).filter((check) => check.failing);
    if (failing.length > 0 && !request.confirmed) return { ok: false, reason: 'still-failing', failing };
    const [row] = await tx.query<IncidentRow>(
      `update incidents set status = 'resolved', resolved_by = $2, resolved_at = $3 where id = $1 and status = 'open' returning *`,
      [request.id, request.user, request.at],
    );
    if (!row) return { ok: false, reason: 'not-open', incident: await getIncident(tx, request.id) };
    const checks = await tx.query<{ check_id: string }>(
      'update incident_checks set failing = false where incident_id = $1 returning check_id',
      [request.id],
    );
    await resetAlertState(
      tx,
      checks.map((check) => check.check_id),
      request.at,
    );
    await recordEvent(tx, request.id, {
      kind: 'resolved',
      at: request.at,
      actor: request.user,
      ...(failing.length ? { detail: 'while checks still failed' } : {}),
    });
    return { ok: true, incident: toIncident(row) };
  });
}

export async function recordEvent(
  db: Queryable,
  incidentId: number,
  event: { kind: IncidentEventKind; at: Date; actor?: string; detail?: string; rollbackKey?: string },
): Promise<void> {
  await db.query(
    'insert into incident_events (incident_id, kind, at, actor, detail, rollback_key) values ($1, $2, $3, $4, $5, $6)',
    [incidentId, event.kind, event.at, event.actor ?? null, event.detail ?? null, event.rollbackKey ?? null],
  );
}

/** The rollback deploy a button of this incident already started, if any (its detail names it). */
export async function rollbackStartedBy(
  db: Queryable,
  incidentId: number,
  rollbackKey: string,
): Promise<IncidentEvent | undefined> {
  const [row] = await db.query<{ kind: IncidentEventKind; at: Date; actor: string | null; detail: string | null }>(
    `select kind, at, actor, detail from incident_events where incident_id = $1 and kind = 'rollback_started' and rollback_key = $2 limit 1`,
    [incidentId, rollbackKey],
  );
  return row && { ...row, at: new Date(row.at) };
}

export async function incidentEvents(db: Queryable, id: number): Promise<IncidentEvent[]> {
  const rows = await db.query<{ kind: IncidentEventKind; at: Date; actor: string | null; detail: string | null }>(
    'select kind, at, actor, detail from incident_events where incident_id = $1 order by at, id',
    [id],
  );
  return rows.map((row) => ({ ...row, at: new Date(row.at) }));
}

/** Open incidents whose channel could not be created, last tried at least `afterMs` ago, each claimed for another try. */
export async function claimChannelRetries(db: Queryable, now: Date, afterMs: number): Promise<Incident[]> {
  const rows = await db.query<IncidentRow>(
    `update incidents set channel_attempted_at = $1
      where status = 'open' and channel_id is null and channel_attempted_at <= $2
     returning *`,
    [now, new Date(now.getTime() - afterMs)],
  );
  return rows.map(toIncident);
}

/** Open incidents still failing `after` their alert, each claimed once across replicas for the reminder. */
export async function claimDueReminders(db: Queryable, now: Date, afterMs: number): Promise<Incident[]> {
  const rows = await db.query<IncidentRow>(
    `update incidents set reminded_at = $1
      where status = 'open' and recovered_at is null and reminded_at is null and opened_at <= $2
     returning *`,
    [now, new Date(now.getTime() - afterMs)],
  );
  for (const row of rows) await recordEvent(db, Number(row.id), { kind: 'reminded', at: now });
  return rows.map(toIncident);
}

/** Incidents resolved at least `afterMs` ago whose channel has not been offered for archiving, each claimed once. */
export async function claimArchiveOffers(db: Queryable, now: Date, afterMs: number): Promise<Incident[]> {
  const rows = await db.query<IncidentRow>(
    `update incidents set archive_offered_at = $1
      where status = 'resolved' and channel_id is not null and archive_offered_at is null and resolved_at <= $2
     returning *`,
    [now, new Date(now.getTime() - afterMs)],
  );
  return rows.map(toIncident);
}
