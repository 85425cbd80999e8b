-- Deploys: each a row moving pending -> running -> succeeded | failed | unknown.
create table deploys (
  id serial primary key,
  service text not null,
  environment text not null,
  ref text not null,
  sha text not null,
  requested_by text not null,
  channel text not null,
  message_ts text,
  status text not null check (status in ('pending', 'running', 'succeeded', 'failed', 'unknown')),
  executor text not null,
  external_id text,
  rollback_of integer references deploys (id),
  forced boolean not null default false,
  detail text,
  log_url text,
  created_at timestamptz not null,
  started_at timestamptz,
  finished_at timestamptz,
  -- Set while this process runs the executor itself; a lapsed lease means the process died.
  lease_expires_at timestamptz,
  smoke_status text check (smoke_status in ('passed', 'failed'))
);

-- At most one deploy per service and environment in flight, whatever the number of replicas.
create unique index deploys_one_in_flight on deploys (service, environment) where status in ('pending', 'running');
create index deploys_history on deploys (service, environment, id desc);
create index deploys_external on deploys (external_id) where external_id is not null;

-- SHAs rolled back from: auto-deploy skips them and a manual deploy asks first.
create table bad_shas (
  service text not null,
  sha text not null,
  deploy_id integer not null references deploys (id),
  marked_at timestamptz not null,
  cleared_at timestamptz,
  cleared_by text,
  primary key (service, sha)
);

-- People waiting for the way to clear (a running deploy, someone's lock).
create table deploy_queue (
  id serial primary key,
  service text not null,
  environment text not null,
  ref text not null,
  requested_by text not null,
  channel text not null,
  queued_at timestamptz not null,
  state text not null default 'waiting' check (state in ('waiting', 'started', 'dropped')),
  deploy_id integer references deploys (id),
  detail text
);

create unique index deploy_queue_once on deploy_queue (service, environment, requested_by, ref) where state = 'waiting';
create index deploy_queue_waiting on deploy_queue (service, environment, id) where state = 'waiting';
