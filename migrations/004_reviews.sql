-- Code review: one Slack thread per pull request, and who it waits on.

-- GitHub login -> Slack user, as people said with `/tugboat link <login>` (source 'command'),
-- or as found through the GitHub user's public email (source 'email'). Config `people:` wins.
create table people_links (
  github_login text primary key,          -- lower case
  slack_user text not null,
  source text not null check (source in ('command', 'email')),
  linked_at timestamptz not null
);

-- A tracked pull request and its thread: the root message is updated in place.
create table pull_requests (
  repo text not null,                     -- owner/name, lower case
  number integer not null,
  service text not null,
  channel text not null,
  thread_ts text,                         -- root message ts; null until posted
  title text not null,
  url text not null,
  author text not null,                   -- GitHub login
  state text not null check (state in ('open', 'draft', 'merged', 'closed')),
  additions integer not null default 0,
  deletions integer not null default 0,
  head_sha text,
  opened_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (repo, number)
);

-- One row per reviewer of a pull request. state: requested (waiting on the reviewer),
-- approved, changes_requested (waiting on the author), commented, removed.
create table pull_request_reviewers (
  repo text not null,
  number integer not null,
  reviewer text not null,                 -- GitHub login, lower case
  state text not null check (state in ('requested', 'approved', 'changes_requested', 'commented', 'removed')),
  requested_at timestamptz,               -- when the current request started (nudge clock)
  last_nudged_at timestamptz,
  snoozed_until timestamptz,
  updated_at timestamptz not null,
  primary key (repo, number, reviewer),
  foreign key (repo, number) references pull_requests (repo, number) on delete cascade
);

create index pull_request_reviewers_waiting on pull_request_reviewers (requested_at) where state = 'requested';

-- When the author owes changes after a changes_requested review: the author is the one nudged.
create table pull_request_author_nudges (
  repo text not null,
  number integer not null,
  waiting_since timestamptz not null,
  last_nudged_at timestamptz,
  snoozed_until timestamptz,
  primary key (repo, number),
  foreign key (repo, number) references pull_requests (repo, number) on delete cascade
);

-- Repos that send webhooks but belong to no service: logged once, not every delivery.
create table untracked_repos (
  repo text primary key,
  first_seen timestamptz not null
);
