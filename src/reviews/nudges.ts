import type { Config } from '../config/index.ts';
import type { Deps } from '../deps.ts';
import type { Queryable } from '../store/index.ts';
import { isBusinessTime, nextBusinessDayStart, type BusinessTime } from './business-hours.ts';
import type { Recipient, Recipients } from './recipients.ts';
import { WAITS_SQL, toWait, type Wait, type WaitRow } from './waiting.ts';

export interface DueNudge {
  wait: Wait;
  recipient: Recipient;
}

/** Which wait a Snooze button is about. */
export interface NudgeTarget {
  role: Wait['role'];
  repo: string;
  number: number;
  login: string;
}

export const SNOOZE_CHOICES = ['1h', '4h', 'next-business-day'] as const;
export type SnoozeChoice = (typeof SNOOZE_CHOICES)[number];

type NudgeTiming = Pick<Config['reviews'], 'nudge_after' | 'nudge_every'>;

/**
 * Due by the clock: waiting since at least `nudge_after`, and either a snooze that has ended
 * or no nudge within `nudge_every`. Parameters: $1 now, $2 now − nudge_after, $3 now − nudge_every.
 */
const dueByClock = (since: string) => `${since} <= $2
  and (snoozed_until is null or snoozed_until <= $1)
  and (snoozed_until is not null or last_nudged_at is null or last_nudged_at <= $3)`;

const clockParams = (now: Date, timing: NudgeTiming) => [
  now,
  new Date(now.getTime() - timing.nudge_after),
  new Date(now.getTime() - timing.nudge_every),
];

async function waitsDueByClock(db: Queryable, now: Date, timing: NudgeTiming): Promise<Wait[]> {
  const rows = await db.query<WaitRow>(
    `select * from (${WAITS_SQL}) w where w.thread_ts is not null and ${dueByClock('w.since')} order by w.since`,
    clockParams(now, timing),
  );
  return rows.map(toWait);
}

/**
 * The nudges due at `now`: due by the clock, and inside business hours on the person's own
 * wall clock (their Slack time zone when known, else the config's `timezone`).
 */
export async function dueNudges(
  deps: Pick<Deps, 'store' | 'config'>,
  recipients: Recipients,
  now: Date,
): Promise<DueNudge[]> {
  const config = deps.config();
  const due: DueNudge[] = [];
  for (const wait of await waitsDueByClock(deps.store, now, config.reviews)) {
    const recipient = await recipients.of(wait.login);
    if (isBusinessTime(now, recipient.slackZone ?? config.timezone, config.reviews)) due.push({ wait, recipient });
  }
  return due;
}

/**
 * Takes a due nudge by marking it sent. The update re-checks the clock conditions, so when
 * several replicas sweep at once exactly one of them gets true and posts.
 */
export async function claimNudge(db: Queryable, wait: Wait, now: Date, timing: NudgeTiming): Promise<boolean> {
  const params = [...clockParams(now, timing), wait.repo, wait.number];
  const rows =
    wait.role === 'reviewer'
      ? await db.query(
          `update pull_request_reviewers set last_nudged_at = $1, snoozed_until = null
            where repo = $4 and number = $5 and reviewer = $6 and state = 'requested' and ${dueByClock('requested_at')}
            returning 1`,
          [...params, wait.login],
        )
      : await db.query(
          `update pull_request_author_nudges set last_nudged_at = $1, snoozed_until = null
            where repo = $4 and number = $5 and ${dueByClock('waiting_since')}
            returning 1`,
          params,
        );
  return rows.length > 0;
}

/** When a snooze chosen at `now` ends; "next business day" opens business hours in `zone`. */
export function snoozeEnd(choice: SnoozeChoice, now: Date, zone: string, settings: BusinessTime): Date {
  if (choice === 'next-business-day') return nextBusinessDayStart(now, zone, settings);
  const hours = choice === '1h' ? 1 : 4;
  return new Date(now.getTime() + hours * 3_600_000);
}

/** Holds nudges back until `until`. False when nobody waits there any more (reviewed, request removed, changes done). */
export async function snoozeNudge(db: Queryable, target: NudgeTarget, until: Date): Promise<boolean> {
  const rows =
    target.role === 'reviewer'
      ? await db.query(
          `update pull_request_reviewers set snoozed_until = $4
            where repo = $1 and number = $2 and reviewer = $3 and state = 'requested' returning 1`,
          [target.repo, target.number, target.login.toLowerCase(), until],
        )
      : await db.query(
          `update pull_request_author_nudges set snoozed_until = $3 where repo = $1 and number = $2 returning 1`,
          [target.repo, target.number, until],
        );
  return rows.length > 0;
}
