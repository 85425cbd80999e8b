-- Everything tugboat says in Slack is a row here before it is sent (src/slack/outbox.ts).
create table slack_outbox (
  id bigserial primary key,
  channel text not null,
  method text not null,
  args jsonb not null,
  -- Pending rows with the same key are updates of one message: a newer one replaces the older.
  coalesce_key text,
  -- What learns the message's ts once it is sent: {"deploy": id} | {"pullRequest": {...}} | {"streamEntry": {...}}.
  on_sent jsonb,
  -- Set on the notes tugboat sends about a channel it could not post to (never noted about in turn).
  note_about text,
  status text not null default 'pending' check (status in ('pending', 'sending', 'sent', 'failed', 'superseded')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  result jsonb,
  error text,
  created_at timestamptz not null default now(),
  sent_at timestamptz
);
create index slack_outbox_due on slack_outbox (channel, id) where status in ('pending', 'sending');
create unique index slack_outbox_coalesce on slack_outbox (coalesce_key) where status = 'pending';
create index slack_outbox_done on slack_outbox (created_at) where status in ('sent', 'failed', 'superseded');

-- The replica sending a channel's rows, for as long as its lease lasts: one sender per channel keeps the order.
create table slack_outbox_senders (
  channel text primary key,
  holder text not null,
  lease_until timestamptz not null
);
