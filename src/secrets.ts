// tugboat's own secrets: which environment variables hold them, their values, and the one way
// they are scrubbed from text that leaves tugboat (log lines, deploy script output in Slack).

import type { EnvironmentVariables } from './env.ts';

export const REDACTED = '[Redacted]';

/**
 * Variables whose values are tugboat's credentials: never passed to a deploy script (even when
 * `deploy.env` names them) and scrubbed wherever they show up. `DATABASE_URL` carries the
 * database password; `PGPASSWORD` is read by the PostgreSQL client when the URL has none.
 */
export const SECRET_VARIABLES = [
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'GITHUB_TOKEN',
  'GITHUB_PRIVATE_KEY',
  'GITHUB_WEBHOOK_SECRET',
  'TUGBOAT_WEBHOOK_SECRET',
  'TUGBOAT_ALERTS_TOKEN',
  'GRAFANA_TOKEN',
  'PAGERDUTY_ROUTING_KEY',
  'DATABASE_URL',
  'PGPASSWORD',
] as const;

export function isSecretVariable(name: string): boolean {
  return (SECRET_VARIABLES as readonly string[]).includes(name);
}

/** The secret values set in `vars`, the database password on its own too (as written in the URL and decoded). */
export function secretValues(vars: EnvironmentVariables): string[] {
  const values = SECRET_VARIABLES.map((name) => vars[name]).filter((value): value is string => Boolean(value));
  return [...values, ...databasePassword(vars.DATABASE_URL)];
}

function databasePassword(databaseUrl: string | undefined): string[] {
  let password = '';
  try {
    password = databaseUrl ? new URL(databaseUrl).password : '';
  } catch {
    return [];
  }
  if (!password) return [];
  try {
    return [password, decodeURIComponent(password)];
  } catch {
    return [password];
  }
}

/** Shorter values are too likely to be ordinary words or numbers: scrubbing them would mangle text. */
const MIN_SECRET_CHARS = 6;

/**
 * A function that replaces every known secret value in a text with `[Redacted]`: each value as
 * is and JSON-escaped (as it appears inside a log line), and each line of a multi-line value (a
 * PEM key printed in part). Longest first, so a secret containing another is scrubbed whole.
 */
export function createScrubber(values: ReadonlyArray<string | undefined>): (text: string) => string {
  const secrets = new Set<string>();
  for (const value of values) {
    if (typeof value !== 'string') continue;
    for (const candidate of [
      value,
      JSON.stringify(value).slice(1, -1),
      ...value.split(/\r?\n/).map((line) => line.trim()),
    ]) {
      if (candidate.length >= MIN_SECRET_CHARS) secrets.add(candidate);
    }
  }
  const longestFirst = [...secrets].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const secret of longestFirst) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  };
}
