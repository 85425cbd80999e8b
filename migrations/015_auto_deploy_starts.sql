-- Auto-deploys a push delivery started (src/github/handlers/deploys.ts), so that the delivery
-- handled again (a retry after a failure part-way, a lapsed lease) starts none of them twice.
-- A row without a deploy is a start in progress until `claimed_until`; after that, a start that
-- died half-way, which the next handling may take over.
create table auto_deploy_starts (
  delivery_id text not null,
  service text not null,
  environment text not null,
  deploy_id bigint,
  claimed_until timestamptz not null,
  primary key (delivery_id, service, environment)
);
