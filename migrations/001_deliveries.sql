-- Inbound deduplication: a retried Slack event or a redelivered GitHub webhook acts once.

create table slack_events (
  event_id text primary key,
  received_at timestamptz not null default now()
);

-- GitHub delivery GUIDs are unique per event, not per hook, so the hook id is part of the key.
create table github_deliveries (
  hook_id text not null default '',
  delivery_id text not null,
  event text not null,
  status text not null check (status in ('processing', 'processed', 'failed')),
  received_at timestamptz not null default now(),
  finished_at timestamptz,
  error text,
  primary key (hook_id, delivery_id)
);
