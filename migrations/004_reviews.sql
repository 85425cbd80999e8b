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
  root_claimed_at timestamptz,            -- set by the process posting the root, so two racing webhooks post one
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

-- Each review GitHub reported, once: a review delivered twice is announced once, and each
-- changes_requested review gets one "new commits" notice.
create table pull_request_reviews (
  repo text not null,
  number integer not null,
  review_id bigint not null,
  reviewer text not null,                 -- GitHub login, lower case
  state text not null check (state in ('approved', 'changes_requested', 'commented')),
  submitted_at timestamptz not null,
  new_commits_told_at timestamptz,
  primary key (repo, review_id),
  foreign key (repo, number) references pull_requests (repo, number) on delete cascade
);

-- What is still to be said in a PR's thread. The process that writes a note waits briefly for
-- the rest of its burst, then claims every note of the PR at once (delete ... returning) and
-- posts them as one reply; a periodic flush takes the notes of a process that died first.
create table review_thread_notes (
  id bigint generated always as identity primary key,
  repo text not null,
  number integer not null,
  note jsonb not null,
  created_at timestamptz not null,
  foreign key (repo, number) references pull_requests (repo, number) on delete cascade
);

create index review_thread_notes_by_pr on review_thread_notes (repo, number, id);
create index review_thread_notes_by_age on review_thread_notes (created_at);

-- Things said once per thread: the answer to a comment (by comment ID), the hint to an
-- unmapped login to run /tugboat link.
create table review_thread_marks (
  repo text not null,
  number integer not null,
  mark text not null,
  created_at timestamptz not null,
  primary key (repo, number, mark),
  foreign key (repo, number) references pull_requests (repo, number) on delete cascade
);
