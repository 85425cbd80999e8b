-- Announced locks. environment null = every environment (`/lock all`); service null = the whole environment.
create table locks (
  id serial primary key,
  environment text,
  service text,
  holder text not null,
  reason text not null default '',
  channel text not null,
  acquired_at timestamptz not null,
  duration_seconds integer not null check (duration_seconds > 0),
  expires_at timestamptz not null,
  reminded_at timestamptz,
  released_at timestamptz,
  released_by text,
  release_kind text check (release_kind in ('released', 'forced', 'expired')),
  expiry_announced_at timestamptz,
  check (service is null or environment is not null),
  check ((released_at is null) = (release_kind is null))
);

-- Backstop for the transaction in src/locks: never two live locks on the same scope.
create unique index locks_one_live_per_scope
  on locks (coalesce(environment, '*'), coalesce(service, '*'))
  where released_at is null;

create index locks_live on locks (expires_at) where released_at is null;

-- Audit trail of every lock change.
create table lock_events (
  id serial primary key,
  lock_id integer not null references locks (id),
  action text not null check (action in ('acquired', 'extended', 'released', 'forced', 'expired')),
  actor text,
  channel text,
  at timestamptz not null,
  detail jsonb not null default '{}'
);

create index lock_events_by_lock on lock_events (lock_id, at);
