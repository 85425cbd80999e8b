import { DateTime } from 'luxon';
import type { Config } from '../config/index.ts';

export type BusinessTime = Pick<Config['reviews'], 'business_hours' | 'business_days'>;

// Indexed by luxon's weekday (1 = Monday).
const WEEKDAYS = ['', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

const minutesOf = (hhmm: string) => {
  const [hours, minutes] = hhmm.split(':').map(Number);
  return hours * 60 + minutes;
};

function openingHours(settings: BusinessTime): { opens: number; closes: number } {
  const [opens, closes] = settings.business_hours.split('-').map(minutesOf);
  return { opens, closes };
}

const isBusinessDay = (local: DateTime, settings: BusinessTime) =>
  settings.business_days.some((day) => day === WEEKDAYS[local.weekday]);

/** Whether `at` falls inside business hours on a business day, on the wall clock of `zone`. */
export function isBusinessTime(at: Date, zone: string, settings: BusinessTime): boolean {
  const local = DateTime.fromJSDate(at, { zone });
  const minute = local.hour * 60 + local.minute;
  const { opens, closes } = openingHours(settings);
  return isBusinessDay(local, settings) && minute >= opens && minute < closes;
}

/** When business hours open on the first business day after the day of `at`, in `zone`. */
export function nextBusinessDayStart(at: Date, zone: string, settings: BusinessTime): Date {
  let day = DateTime.fromJSDate(at, { zone }).startOf('day').plus({ days: 1 });
  while (!isBusinessDay(day, settings)) day = day.plus({ days: 1 });
  const { opens } = openingHours(settings);
  return day.set({ hour: Math.floor(opens / 60), minute: opens % 60 }).toJSDate();
}
