-- Scheduled jobs take turns through a lease row instead of a session advisory lock, so no
-- connection stays checked out while a job waits on Slack or GitHub, and tugboat runs behind
-- PgBouncer in transaction mode. A replica that dies mid-job leaves a lease that simply lapses.
create table job_leases (
  name text primary key,
  holder text not null,
  lease_until timestamptz not null
);
