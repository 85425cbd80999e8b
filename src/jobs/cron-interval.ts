import { formatDuration } from '../config/duration.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const step = (count: number) => (count === 1 ? '*' : `*/${count}`);

/**
 * A node-cron expression (with seconds) firing every `ms`: 30s at :00 and :30 of each minute,
 * 5m at every fifth minute, 1h at the top of each hour. Cron steps restart at each minute, hour
 * or day, so an interval that does not divide it evenly (45s, 7m, 5h) cannot be expressed and is refused.
 */
export function cronForInterval(ms: number): string {
  const fits = (unit: number, per: number) => ms % unit === 0 && per % (ms / unit) === 0;
  if (ms < MINUTE && fits(SECOND, 60)) return `${step(ms / SECOND)} * * * * *`;
  if (ms < HOUR && fits(MINUTE, 60)) return `0 ${step(ms / MINUTE)} * * * *`;
  if (ms < DAY && fits(HOUR, 24)) return `0 0 ${step(ms / HOUR)} * * *`;
  if (ms === DAY) return '0 0 0 * * *';
  throw new Error(
    `cannot run every ${formatDuration(ms)} on a cron schedule: use a number of seconds or minutes that divides 60, or of hours that divides 24`,
  );
}
