-- The webhook inbox (src/github/inbox.ts): a delivery is stored with the bytes GitHub signed before it is
-- answered 202, then handled from here by any replica, claimed with a lease and retried with
-- backoff. `attempts` also identifies a claim: an outcome is recorded only by the claim that
-- made it, never by a replica whose lease lapsed meanwhile.

alter table github_deliveries
  add column payload bytea,
  add column attempts integer not null default 0,
  add column lease_until timestamptz,
  add column next_attempt_at timestamptz not null default now();
-- Bodies compressed with lz4 where the server has it (PGlite has not: pglz, the default): fewer
-- bytes to write and flush before the 202, for a little CPU (measured with npm run bench).
do $$ begin
  alter table github_deliveries alter column payload set compression lz4;
exception when feature_not_supported then null;
end $$;

alter table github_deliveries drop constraint github_deliveries_status_check;
update github_deliveries set status = 'done' where status = 'processed';
-- Left `processing` by a process that died before the inbox existed: the body was never kept,
-- so the work cannot be resumed; `failed` lets Redeliver in GitHub run it again.
update github_deliveries set status = 'failed', error = 'interrupted before tugboat kept deliveries' where status = 'processing';
alter table github_deliveries add constraint github_deliveries_status_check
  check (status in ('pending', 'processing', 'done', 'failed'));

-- What the drainers claim, and what the depth and age metrics count.
create index github_deliveries_unfinished on github_deliveries (next_attempt_at) where status in ('pending', 'processing');
