import type { Config, SmokeCheck } from '../config/index.ts';
import type { Queryable } from '../store/index.ts';
import type { SmokeCheckResult } from './check.ts';

/** A configured check and where it belongs. */
export interface ConfiguredCheck {
  /** `service/environment/name`: how results, claims and alerts find the check. */
  id: string;
  service: string;
  environment: string;
  check: SmokeCheck;
}

/** A check's result as recorded: a row of `smoke_results`. */
export interface SmokeResult extends SmokeCheckResult {
  checkId: string;
  service: string;
  environment: string;
  /** Shared by the results of one scheduler pass. */
  runId: string;
  /** Failed while monitoring itself was impaired: kept, but not counted by the alert rule. */
  inconclusive: boolean;
}

export function checkId(service: string, environment: string, name: string): string {
  return `${service}/${environment}/${name}`;
}

export function configuredChecks(config: Config): ConfiguredCheck[] {
  return Object.entries(config.services).flatMap(([service, { smoke }]) =>
    Object.entries(smoke).flatMap(([environment, checks]) =>
      checks.map((check) => ({ id: checkId(service, environment, check.name), service, environment, check })),
    ),
  );
}

export async function recordResults(db: Queryable, results: SmokeResult[]): Promise<void> {
  if (results.length === 0) return;
  const column = <T>(value: (result: SmokeResult) => T) => results.map(value);
  await db.query(
    `insert into smoke_results
       (run_id, check_id, service, environment, check_name, ok, inconclusive, status, latency_ms, error, failed_step, started_at)
     select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::boolean[],
                          $8::integer[], $9::integer[], $10::text[], $11::text[], $12::timestamptz[])`,
    [
      column((r) => r.runId),
      column((r) => r.checkId),
      column((r) => r.service),
      column((r) => r.environment),
      column((r) => r.name),
      column((r) => r.ok),
      column((r) => r.inconclusive),
      column((r) => r.status ?? null),
      column((r) => r.latencyMs),
      column((r) => r.error ?? null),
      column((r) => r.failedStep ?? null),
      column((r) => r.startedAt),
    ],
  );
}

/** Deletes the results that started before `before`; returns how many. */
export async function pruneResults(db: Queryable, before: Date): Promise<number> {
  const [{ count }] = await db.query<{ count: number }>(
    `with pruned as (delete from smoke_results where started_at < $1 returning 1) select count(*)::integer as count from pruned`,
    [before],
  );
  return count;
}

/** A check's latest result and whether it is alerting: what `/tugboat status` shows. */
export interface CheckState {
  checkId: string;
  service: string;
  environment: string;
  name: string;
  ok: boolean;
  inconclusive: boolean;
  latencyMs: number;
  error: string | null;
  at: Date;
  alerting: boolean;
}

export async function latestCheckStates(db: Queryable): Promise<CheckState[]> {
  const rows = await db.query<{
    check_id: string;
    service: string;
    environment: string;
    check_name: string;
    ok: boolean;
    inconclusive: boolean;
    latency_ms: number;
    error: string | null;
    started_at: Date;
    alerting: boolean | null;
  }>(
    `select distinct on (r.check_id) r.check_id, r.service, r.environment, r.check_name, r.ok, r.inconclusive, r.latency_ms, r.error, r.started_at, s.alerting
       from smoke_results r left join smoke_check_state s on s.check_id = r.check_id
      order by r.check_id, r.started_at desc, r.id desc`,
  );
  return rows.map((row) => ({
    checkId: row.check_id,
    service: row.service,
    environment: row.environment,
    name: row.check_name,
    ok: row.ok,
    inconclusive: row.inconclusive,
    latencyMs: row.latency_ms,
    error: row.error,
    at: new Date(row.started_at),
    alerting: row.alerting ?? false,
  }));
}
