-- Whether a row may already be in Slack although not recorded as sent (src/slack/outbox.ts): an
-- attempt started and its outcome is unknown (the sender died mid-call, or the call timed out after
-- Slack may have taken it). Before posting such a row again, the sender looks in the channel, from a
-- little before `first_attempt_at`, for a message carrying the row's id in its metadata
-- (src/slack/poster.ts). An attempt Slack answered with a refusal (429, 5xx) does not count.
alter table slack_outbox add column first_attempt_at timestamptz;
alter table slack_outbox add column maybe_in_slack boolean not null default false;
-- Rows tried before this migration: their lookups start at created_at.
update slack_outbox set maybe_in_slack = true where attempts > 0 and status in ('pending', 'sending');
