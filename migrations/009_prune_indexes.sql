-- The hourly delivery prune (src/jobs/deliveries.ts) deletes by age.

create index if not exists slack_events_received_at on slack_events (received_at);
create index if not exists github_deliveries_received_at on github_deliveries (received_at);
