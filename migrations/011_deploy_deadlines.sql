-- Deadlines and stops: every deploy has a deadline; why a deploy was stopped is a fact of its row.
alter table deploys add column deadline_at timestamptz;
-- timed_out: past deploy.timeout; cancelled: /deploy cancel; superseded: a rollback took over;
-- shutdown: tugboat stopped (SIGTERM) while its script ran; lease_lapsed: the process running it died.
alter table deploys add column stop_reason text
  check (stop_reason in ('timed_out', 'cancelled', 'superseded', 'shutdown', 'lease_lapsed'));
-- A stopped deploy keeps lease_expires_at until the replica running its script has killed it (the
-- lease is then cleared) or stops renewing (it lapses): the next deploy of the service and
-- environment waits for either, so two scripts never run at once.
update deploys set stop_reason = 'superseded' where status = 'failed' and detail = 'superseded by a rollback';
create index deploys_in_flight_deadline on deploys (deadline_at) where status in ('pending', 'running');
