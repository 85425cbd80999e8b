-- Smoke checks: every result, which replica runs each check's tick, and the alert rule's state.
-- A check is known by its id, service/environment/name.

-- Every result of every check, pruned after incidents.result_retention. run_id groups the results
-- of one scheduler pass. inconclusive: failed while monitoring itself was impaired; the alert rule skips it.
create table smoke_results (
  id bigint generated always as identity primary key,
  run_id text not null,
  check_id text not null,
  service text not null,
  environment text not null,
  check_name text not null,
  ok boolean not null,
  inconclusive boolean not null default false,
  status integer,
  latency_ms integer not null,
  error text,
  failed_step text,
  started_at timestamptz not null
);

create index smoke_results_by_check on smoke_results (check_id, started_at desc, id desc) where not inconclusive;
create index smoke_results_by_age on smoke_results (started_at);

-- One row per check: the last tick a replica claimed, and that claim while its run lasts. A tick is
-- claimed once whatever the number of replicas; a claim held past claim_expires_at means its replica died.
create table smoke_claims (
  check_id text primary key,
  tick timestamptz not null,
  claimed_by text,
  claim_expires_at timestamptz
);

-- The alert rule's state per check: alerting since the first failure of the streak that raised it.
-- Transitions are conditional updates, so two replicas never both report the same one.
create table smoke_check_state (
  check_id text primary key,
  service text not null,
  environment text not null,
  alerting boolean not null,
  since timestamptz not null,
  changed_at timestamptz not null
);

-- One row: whether monitoring itself is impaired (the canary fails, or no check can reach its server).
create table smoke_monitoring (
  id boolean primary key default true check (id),
  impaired boolean not null default false,
  impaired_since timestamptz,
  reason text
);

insert into smoke_monitoring default values;
