-- `/tugboat link <login>` that is not proven yet: the caller was given a one-time code to post,
-- as that GitHub login, in a comment on a repository tugboat watches. Only the code's SHA-256
-- is kept. One pending claim per login and Slack user; a new one replaces its code.
create table link_claims (
  github_login text not null,             -- lower case
  slack_user text not null,
  code_hash text not null,
  created_at timestamptz not null,
  expires_at timestamptz not null,
  primary key (github_login, slack_user)
);
create index link_claims_code_hash on link_claims (code_hash);

-- A link now stands only when proven: by the GitHub account's public email (email), by a code
-- posted from that account (code), or by an admin (admin). A link made by `/tugboat link` alone
-- (command) was never proven and anyone could have made it, so it is dropped; its person links
-- again, or is found by email.
delete from people_links where source = 'command';
alter table people_links drop constraint people_links_source_check;
alter table people_links add constraint people_links_source_check check (source in ('email', 'code', 'admin'));
