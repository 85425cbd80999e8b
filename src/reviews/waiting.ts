import { dateOrNull, type ColumnsOf, type Queryable } from '../store/index.ts';

/**
 * Someone an open pull request waits on: a reviewer whose review is requested, or, while the
 * author owes changes after a `changes_requested` review, the author (and then not the reviewers).
 */
export interface Wait {
  role: 'reviewer' | 'author';
  /** GitHub login, lower case. */
  login: string;
  repo: string;
  number: number;
  title: string;
  url: string;
  channel: string;
  threadTs: string | null;
  /** When the wait began: the review request, or the review that asked for changes. */
  since: Date;
  lastNudgedAt: Date | null;
  snoozedUntil: Date | null;
}

export type WaitRow = ColumnsOf<Wait>;

/**
 * Every current wait, one row each; callers select from it as `w`. A team asked as a whole
 * (`org/team`) is left out: its members were pinged when it was asked, and a team cannot be nudged.
 */
export const WAITS_SQL = `
  select 'reviewer' as role, r.reviewer as login, p.repo, p.number, p.title, p.url, p.channel, p.thread_ts,
         r.requested_at as since, r.last_nudged_at, r.snoozed_until
    from pull_request_reviewers r join pull_requests p on p.repo = r.repo and p.number = r.number
   where p.state = 'open' and r.state = 'requested' and r.requested_at is not null and r.reviewer not like '%/%'
     and not exists (select 1 from pull_request_author_nudges a where a.repo = p.repo and a.number = p.number)
  union all
  select 'author', lower(p.author), p.repo, p.number, p.title, p.url, p.channel, p.thread_ts,
         a.waiting_since, a.last_nudged_at, a.snoozed_until
    from pull_request_author_nudges a join pull_requests p on p.repo = a.repo and p.number = a.number
   where p.state = 'open'`;

export const toWait = (row: WaitRow): Wait => ({
  role: row.role,
  login: row.login,
  repo: row.repo,
  number: row.number,
  title: row.title,
  url: row.url,
  channel: row.channel,
  threadTs: row.thread_ts,
  since: new Date(row.since),
  lastNudgedAt: dateOrNull(row.last_nudged_at),
  snoozedUntil: dateOrNull(row.snoozed_until),
});

/** What waits on any of these GitHub logins, oldest first. */
export async function waitsOn(db: Queryable, logins: string[]): Promise<Wait[]> {
  const rows = await db.query<WaitRow>(
    `select * from (${WAITS_SQL}) w where w.login = any($1) order by w.since, w.repo, w.number`,
    [logins.map((login) => login.toLowerCase())],
  );
  return rows.map(toWait);
}
