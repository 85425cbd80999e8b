import type { Queryable } from '../store/index.ts';
import type { SmokeCheckResult } from './check.ts';
import type { SmokeResult } from './results.ts';

export interface AlertRule {
  failuresBeforeAlert: number;
  passesBeforeRecovery: number;
}

/** A check starts or stops alerting. `since`: the first failure of the streak; `at`: the result that decided it. */
export interface CheckTransition {
  kind: 'alert' | 'recovered';
  checkId: string;
  service: string;
  environment: string;
  check: string;
  since: Date;
  at: Date;
  /** The newest failure's error (for a recovery, the last one before it). */
  lastError?: string;
}

/** Monitoring itself becomes impaired, or is fine again. `since`: when it became impaired. */
export interface MonitoringTransition {
  kind: 'impaired' | 'restored';
  since: Date;
  at: Date;
  reason: string;
}

export type Transition = CheckTransition | MonitoringTransition;

export interface Streak {
  failures: number;
  passes: number;
  lastError?: string;
}

/** The run the newest results start with (newest first): so many failures, or so many passes, in a row. */
export function streakOf(results: Array<{ ok: boolean; error?: string | null }>): Streak {
  if (results.length === 0) return { failures: 0, passes: 0 };
  const newest = results[0];
  const end = results.findIndex((result) => result.ok !== newest.ok);
  const length = end === -1 ? results.length : end;
  const lastFailure = newest.ok ? results[length] : newest;
  return {
    failures: newest.ok ? 0 : length,
    passes: newest.ok ? length : 0,
    ...(lastFailure?.error ? { lastError: lastFailure.error } : {}),
  };
}

export function transitionKind(
  alerting: boolean,
  streak: Streak,
  rule: AlertRule,
): CheckTransition['kind'] | undefined {
  if (!alerting && streak.failures >= rule.failuresBeforeAlert) return 'alert';
  if (alerting && streak.passes >= rule.passesBeforeRecovery) return 'recovered';
  return undefined;
}

/**
 * Why monitoring itself is impaired, judging one pass of checks, or undefined when their failures count.
 * A configured canary decides alone. Without one: every check failed without reaching its server, on at
 * least two hosts (one host down is an outage of that service, not of tugboat's network).
 */
export function impairmentOf(results: SmokeCheckResult[], canary: SmokeCheckResult | undefined): string | undefined {
  if (results.every((result) => result.ok)) return undefined;
  if (canary) return canary.ok ? undefined : `the canary failed too: ${canary.error}`;
  const hosts = new Set(results.map((result) => result.unreachableHost));
  if (hosts.has(undefined) || hosts.size < 2) return undefined;
  return `no check could reach its server (DNS or connection errors on ${hosts.size} hosts)`;
}

/**
 * Where a check's streak may start: its state's `changed_at`. The result that made the last
 * transition belongs to the streak before the one that can make the next (an alert is made by a
 * failure, and only passes count towards recovery), so this cuts no streak short; a resolved
 * incident moves it (`resetAlertState`) so that its checks count from then on.
 */
const COUNTED_FROM = `coalesce((select changed_at from smoke_check_state where check_id = $1), '-infinity'::timestamptz)`;

/** Applies the rule to a check after its newest counted result: the transition it makes, reported once across replicas. */
export async function evaluateCheck(
  db: Queryable,
  result: SmokeResult,
  rule: AlertRule,
): Promise<CheckTransition | undefined> {
  const recent = await db.query<{ ok: boolean; error: string | null }>(
    `select ok, error from smoke_results where check_id = $1 and not inconclusive and started_at >= ${COUNTED_FROM}
      order by started_at desc, id desc limit $2`,
    [result.checkId, Math.max(rule.failuresBeforeAlert, rule.passesBeforeRecovery) + 1],
  );
  const streak = streakOf(recent);
  const [state] = await db.query<{ alerting: boolean }>('select alerting from smoke_check_state where check_id = $1', [
    result.checkId,
  ]);
  const kind = transitionKind(state?.alerting ?? false, streak, rule);
  if (kind === undefined) return undefined;
  const since = kind === 'alert' ? await startAlerting(db, result) : await stopAlerting(db, result);
  if (since === undefined) return undefined;
  return {
    kind,
    checkId: result.checkId,
    service: result.service,
    environment: result.environment,
    check: result.name,
    since,
    at: result.startedAt,
    ...(streak.lastError === undefined ? {} : { lastError: streak.lastError }),
  };
}

/** Since the first failure of the streak (after the last pass, within what counts); undefined when another replica got there first. */
async function startAlerting(db: Queryable, result: SmokeResult): Promise<Date | undefined> {
  const [row] = await db.query<{ since: Date }>(
    `insert into smoke_check_state (check_id, service, environment, alerting, since, changed_at)
     select $1, $2, $3, true, coalesce(min(started_at), $4), $4
       from smoke_results
      where check_id = $1 and not inconclusive and not ok and started_at >= ${COUNTED_FROM}
        and started_at > coalesce(
          (select max(started_at) from smoke_results where check_id = $1 and not inconclusive and ok),
          '-infinity'::timestamptz)
     on conflict (check_id) do update set alerting = true, since = excluded.since, changed_at = excluded.changed_at
       where not smoke_check_state.alerting
     returning since`,
    [result.checkId, result.service, result.environment, result.startedAt],
  );
  return row?.since;
}

async function stopAlerting(db: Queryable, result: SmokeResult): Promise<Date | undefined> {
  const [row] = await db.query<{ since: Date }>(
    'update smoke_check_state set alerting = false, changed_at = $2 where check_id = $1 and alerting returning since',
    [result.checkId, result.startedAt],
  );
  return row?.since;
}

/**
 * Resolving an incident puts its checks back to not alerting, with no streak: a check that still
 * fails opens a new incident after `failures_before_alert` more failures, so resolving never
 * silences monitoring.
 */
export async function resetAlertState(db: Queryable, checkIds: string[], at: Date): Promise<void> {
  await db.query('update smoke_check_state set alerting = false, changed_at = $2 where check_id = any($1)', [
    checkIds,
    at,
  ]);
}

/** Records whether the latest pass found monitoring impaired: the transition, reported once across replicas. */
export async function settleMonitoring(
  db: Queryable,
  impairment: string | undefined,
  at: Date,
): Promise<MonitoringTransition | undefined> {
  const [row] =
    impairment === undefined
      ? await db.query<{ impaired_since: Date; reason: string }>(
          'update smoke_monitoring set impaired = false where impaired returning impaired_since, reason',
        )
      : await db.query<{ impaired_since: Date; reason: string }>(
          'update smoke_monitoring set impaired = true, impaired_since = $1, reason = $2 where not impaired returning impaired_since, reason',
          [at, impairment],
        );
  if (row === undefined) return undefined;
  return {
    kind: impairment === undefined ? 'restored' : 'impaired',
    since: row.impaired_since,
    at,
    reason: row.reason,
  };
}
