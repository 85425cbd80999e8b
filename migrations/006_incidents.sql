-- Incidents: opened by the smoke checks' alert rule, one open per service and environment.

create table incidents (
  id bigint generated always as identity primary key,
  service text not null,
  environment text not null,
  status text not null default 'open' check (status in ('open', 'resolved')),
  -- The first failure of the streak that raised the alert.
  first_failure_at timestamptz not null,
  opened_at timestamptz not null,
  channel_id text,
  channel_name text,
  -- The last attempt at creating the channel: one that failed (Slack down) is retried a minute later.
  channel_attempted_at timestamptz not null,
  acknowledged_by text,
  acknowledged_at timestamptz,
  -- Set when every check of the incident passes again; cleared when one fails again.
  recovered_at timestamptz,
  resolved_by text,
  resolved_at timestamptz,
  -- Claimed once across replicas: the 30-minute reminder and the archive offer.
  reminded_at timestamptz,
  archive_offered_at timestamptz
);

create unique index incidents_one_open on incidents (service, environment) where status = 'open';
create index incidents_by_channel on incidents (channel_id);

-- The checks an incident is about, and whether each still fails.
create table incident_checks (
  incident_id bigint not null references incidents (id),
  check_id text not null,
  check_name text not null,
  failing boolean not null,
  since timestamptz not null,
  last_error text,
  last_status integer,
  -- Whether the channel has been told this check fails (the first check is, by the first message).
  announced boolean not null default false,
  primary key (incident_id, check_id)
);

-- Everything that happened, for the timeline and the post-mortem.
create table incident_events (
  id bigint generated always as identity primary key,
  incident_id bigint not null references incidents (id),
  kind text not null,
  at timestamptz not null,
  actor text,
  detail text,
  -- For a rollback: the button it came from, so a second click of the same button does nothing.
  rollback_key text
);

create index incident_events_by_incident on incident_events (incident_id, at, id);

-- Failures after the alert, folded: one row (and one Slack message) per check per minute, updated
-- in place. rendered_failures trails failures until the message shows the latest count.
create table incident_stream (
  incident_id bigint not null references incidents (id),
  check_id text not null,
  minute timestamptz not null,
  check_name text not null,
  failures integer not null,
  last_error text,
  last_at timestamptz not null,
  message_ts text,
  rendered_failures integer not null default 0,
  primary key (incident_id, check_id, minute)
);
