import { z } from 'zod';
import { DurationError, parseDuration } from './config/duration.ts';

// The environment variables tugboat reads (README, "Environment variables"). Secrets are never
// echoed back: messages name the variable and what is wrong with it, not its value.

/**
 * The variables tugboat is started with. Not `EnvironmentVariables`: a dev dependency (probot, for the
 * bench) narrows that global type's `LOG_LEVEL`, and tugboat validates the values itself.
 */
export type EnvironmentVariables = Record<string, string | undefined>;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface GitHubAppCredentials {
  appId: string;
  privateKey: string;
  installationId: string;
}

export interface Env {
  port: number;
  /** When set, `/metrics` is served on this port only, and not on `port`. */
  metricsPort?: number;
  configPath: string;
  /** Unset means the embedded PGlite database in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  slackBotToken: string;
  slackSigningSecret: string;
  /** Always ends with `/`, as the Slack Web API client expects. */
  slackApiUrl: string;
  githubToken?: string;
  githubApp?: GitHubAppCredentials;
  githubWebhookSecret: string;
  /** Never ends with `/`, as Octokit expects. */
  githubApiUrl: string;
  /** Where tugboat is reachable from outside, for callbacks from `via: webhook` deploy receivers. */
  publicUrl?: string;
  /** The HMAC secret shared with `via: webhook` deploy receivers. */
  deployWebhookSecret?: string;
  /** How long SIGTERM waits for running `via: command` deploy scripts before killing them. */
  shutdownGraceMs: number;
  logLevel: LogLevel;
}

/** Start-up cannot go on; `lines` has one line per bad variable. */
export class EnvError extends Error {
  override name = 'EnvError';
  readonly lines: string[];

  constructor(lines: string[]) {
    super(lines.join('\n'));
    this.lines = lines;
  }
}

const SEE_README = '(see README.md#environment-variables)';

/** What each required secret is and where to find it, for the "is not set" line. */
const WHERE_TO_FIND = {
  SLACK_BOT_TOKEN: `the bot token (xoxb-…) from your Slack app's "OAuth & Permissions" page`,
  SLACK_SIGNING_SECRET: `the signing secret from your Slack app's "Basic Information" page`,
  GITHUB_WEBHOOK_SECRET: 'the secret you gave GitHub when creating the webhook (or GitHub App)',
  GITHUB_APP_ID: `the App ID from your GitHub App's settings page`,
  GITHUB_PRIVATE_KEY: `a private key (.pem) generated on your GitHub App's settings page`,
  GITHUB_INSTALLATION_ID: 'the number at the end of the URL of your GitHub App installation (Settings → Integrations)',
} as const;

const GITHUB_APP_VARIABLES = ['GITHUB_APP_ID', 'GITHUB_PRIVATE_KEY', 'GITHUB_INSTALLATION_ID'] as const;

function secret(name: keyof typeof WHERE_TO_FIND) {
  return z.string({ error: `is not set: ${WHERE_TO_FIND[name]}` });
}

function httpUrl(what: string) {
  return z.url({ protocol: /^https?$/, error: `must be an http(s) URL: ${what}` });
}

function toPort(text: string, context: z.RefinementCtx): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (value >= 0 && value <= 65535) return value;
  context.addIssue({ code: 'custom', message: `must be a whole number from 0 to 65535, got ${JSON.stringify(text)}` });
  return z.NEVER;
}

const port = z.string().default('3000').transform(toPort);

function toDuration(text: string, context: z.RefinementCtx): number {
  try {
    return parseDuration(text);
  } catch (error) {
    if (!(error instanceof DurationError)) throw error;
    context.addIssue({
      code: 'custom',
      message: `must be a duration like 30s, 10m or 1h, got ${JSON.stringify(text)}`,
    });
    return z.NEVER;
  }
}

const logLevel = z
  .string()
  .default('info')
  .transform((level) => level.toLowerCase())
  .pipe(
    z.enum(LOG_LEVELS, {
      error: (issue) => `must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(issue.input)}`,
    }),
  );

const envSchema = z.object({
  PORT: port,
  TUGBOAT_METRICS_PORT: z.string().transform(toPort).optional(),
  TUGBOAT_CONFIG: z.string().default('./tugboat.yml'),
  DATABASE_URL: z
    .url({
      protocol: /^postgres(ql)?$/,
      error: 'must be a postgres:// or postgresql:// URL; unset it to use the embedded database',
    })
    .optional(),
  TUGBOAT_DATA_DIR: z.string().default('./.tugboat'),
  SLACK_BOT_TOKEN: secret('SLACK_BOT_TOKEN'),
  SLACK_SIGNING_SECRET: secret('SLACK_SIGNING_SECRET'),
  SLACK_API_URL: httpUrl('the Slack Web API base, like https://slack.com/api/').default('https://slack.com/api/'),
  GITHUB_TOKEN: z.string().optional(),
  GITHUB_APP_ID: z
    .string()
    .regex(/^\d+$/, { error: `must be a number: ${WHERE_TO_FIND.GITHUB_APP_ID}` })
    .optional(),
  GITHUB_PRIVATE_KEY: z
    .string()
    .regex(/-----BEGIN [A-Z ]*PRIVATE KEY-----/, {
      error: `must be a PEM private key (-----BEGIN … PRIVATE KEY-----): ${WHERE_TO_FIND.GITHUB_PRIVATE_KEY}`,
    })
    .optional(),
  GITHUB_INSTALLATION_ID: z
    .string()
    .regex(/^\d+$/, { error: `must be a number: ${WHERE_TO_FIND.GITHUB_INSTALLATION_ID}` })
    .optional(),
  GITHUB_WEBHOOK_SECRET: secret('GITHUB_WEBHOOK_SECRET'),
  GITHUB_API_URL: httpUrl('the GitHub REST API base, like https://api.github.com').default('https://api.github.com'),
  TUGBOAT_PUBLIC_URL: httpUrl('the URL tugboat is reachable at, like https://tugboat.example.com').optional(),
  TUGBOAT_WEBHOOK_SECRET: z.string().optional(),
  TUGBOAT_SHUTDOWN_GRACE: z.string().default('10m').transform(toDuration),
  LOG_LEVEL: logLevel,
});

type Variables = z.output<typeof envSchema>;

/** Every variable `readEnv` reads; NODE_ENV, read by src/main.ts to choose the start mode, is not among them. */
export const VARIABLE_NAMES: readonly string[] = Object.keys(envSchema.shape);

export function readEnv(vars: EnvironmentVariables = process.env): Env {
  const given = withoutEmptyValues(vars);
  const parsed = envSchema.safeParse(given);
  const lines = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((issue) => `${String(issue.path[0])} ${issue.message} ${SEE_README}`)),
    ...partialGitHubAppLines(given),
    ...(parsed.success ? samePortLines(parsed.data) : []),
  ];
  if (!parsed.success || lines.length > 0) throw new EnvError(lines);
  return toEnv(parsed.data);
}

/** `PORT=` in an env file means "not set", not "set to nothing". */
function withoutEmptyValues(vars: EnvironmentVariables): Record<string, string> {
  return Object.fromEntries(
    Object.entries(vars).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1].trim() !== ''),
  );
}

function partialGitHubAppLines(given: Record<string, string>): string[] {
  const present = GITHUB_APP_VARIABLES.filter((name) => name in given);
  if (present.length === 0 || present.length === GITHUB_APP_VARIABLES.length) return [];
  const missing = GITHUB_APP_VARIABLES.filter((name) => !(name in given));
  const but = `but ${present.join(' and ')} ${present.length === 1 ? 'is' : 'are'}`;
  const why = `a GitHub App needs all three of GITHUB_APP_ID, GITHUB_PRIVATE_KEY and GITHUB_INSTALLATION_ID (or use GITHUB_TOKEN instead)`;
  return missing.map((name) => `${name} is not set, ${but}: ${why} ${SEE_README}`);
}

function samePortLines(variables: Variables): string[] {
  const { PORT, TUGBOAT_METRICS_PORT } = variables;
  if (TUGBOAT_METRICS_PORT === undefined || TUGBOAT_METRICS_PORT === 0 || TUGBOAT_METRICS_PORT !== PORT) return [];
  return [
    `TUGBOAT_METRICS_PORT must differ from PORT (both are ${PORT}): unset it to serve /metrics on PORT ${SEE_README}`,
  ];
}

function toEnv(variables: Variables): Env {
  const { GITHUB_APP_ID: appId, GITHUB_PRIVATE_KEY: privateKey, GITHUB_INSTALLATION_ID: installationId } = variables;
  return {
    port: variables.PORT,
    metricsPort: variables.TUGBOAT_METRICS_PORT,
    configPath: variables.TUGBOAT_CONFIG,
    databaseUrl: variables.DATABASE_URL,
    dataDir: variables.TUGBOAT_DATA_DIR,
    slackBotToken: variables.SLACK_BOT_TOKEN,
    slackSigningSecret: variables.SLACK_SIGNING_SECRET,
    slackApiUrl: variables.SLACK_API_URL.replace(/\/*$/, '/'),
    githubToken: variables.GITHUB_TOKEN,
    // Keys pasted into a single-line variable often carry their line breaks as literal "\n".
    githubApp:
      appId && privateKey && installationId
        ? { appId, privateKey: privateKey.replaceAll('\\n', '\n'), installationId }
        : undefined,
    githubWebhookSecret: variables.GITHUB_WEBHOOK_SECRET,
    githubApiUrl: variables.GITHUB_API_URL.replace(/\/+$/, ''),
    publicUrl: variables.TUGBOAT_PUBLIC_URL?.replace(/\/+$/, ''),
    deployWebhookSecret: variables.TUGBOAT_WEBHOOK_SECRET,
    shutdownGraceMs: variables.TUGBOAT_SHUTDOWN_GRACE,
    logLevel: variables.LOG_LEVEL,
  };
}
