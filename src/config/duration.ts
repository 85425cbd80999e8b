import ms from 'ms';

const DURATION_PATTERN = /^\d+[smhd]$/;
const UNITS: ReadonlyArray<[suffix: string, seconds: number]> = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/** Thrown by `parseDuration`; `problem` is the reason alone, for callers that name the field themselves. */
export class DurationError extends Error {
  override name = 'DurationError';

  constructor(
    readonly text: string,
    readonly problem: string,
  ) {
    super(`invalid duration ${JSON.stringify(text)}: ${problem}`);
  }
}

/** Parses `30s`, `90m`, `2h` or `14d` (a whole number and one unit) into milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (!DURATION_PATTERN.test(trimmed)) throw new DurationError(text, 'expected a duration like 30s, 10m, 2h or 14d');
  // The pattern admits only units that ms reads as seconds, minutes, hours or days.
  const milliseconds = ms(trimmed as ms.StringValue);
  if (milliseconds === 0) throw new DurationError(text, 'expected a duration longer than zero');
  if (!Number.isSafeInteger(milliseconds)) throw new DurationError(text, 'expected a shorter duration');
  return milliseconds;
}

/** Formats milliseconds for people, largest unit first: `2h`, `1h 30m`, `45s`, `3d`. */
export function formatDuration(milliseconds: number): string {
  let seconds = Math.round(Math.abs(milliseconds) / 1000);
  const parts: string[] = [];
  for (const [suffix, unitSeconds] of UNITS) {
    const count = Math.floor(seconds / unitSeconds);
    if (count > 0) parts.push(`${count}${suffix}`);
    seconds -= count * unitSeconds;
  }
  if (parts.length === 0) return '0s';
  return (milliseconds < 0 ? '-' : '') + parts.join(' ');
}

/** A timeout for people: whole seconds like formatDuration (`30s`, `2m`), anything else exactly (`400 ms`; tests use them). */
export function humanDuration(milliseconds: number): string {
  return milliseconds % 1_000 === 0 ? formatDuration(milliseconds) : `${milliseconds} ms`;
}
