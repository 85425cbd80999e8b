import { IANAZone } from 'luxon';
import { z } from 'zod';
import { DurationError, parseDuration } from './duration.ts';
import { describeValue, listWithOr, suggest } from './wording.ts';
import { cronForInterval } from '../jobs/cron-interval.ts';
import { DEPLOY_VARIABLES, refProblem } from '../deploys/index.ts';
import { isSecretVariable } from '../secrets.ts';

// The shape of tugboat.yml. Keys keep the file's snake_case names; durations become milliseconds.

type RawIssue = z.core.$ZodRawIssue;

/** An error function for a schema: `expected <what>, got <value>` (missing values fall through to "is required"). */
function expected(what: string) {
  return (issue: RawIssue) =>
    issue.input === undefined ? undefined : `expected ${what}, got ${describeValue(issue.input)}`;
}

function matching(pattern: RegExp, what: string) {
  const error = expected(what);
  return z.string({ error }).regex(pattern, { error });
}

const nonEmptyString = z.string().min(1);
/** A branch, tag or SHA: checked here as every ref tugboat takes in is (src/deploys/refs.ts). */
const gitRef = z.string().check((context) => {
  const problem = refProblem(context.value);
  if (problem)
    context.issues.push({
      code: 'custom',
      message: `${describeValue(context.value)} is not a valid git ref: ${problem}`,
      input: context.value,
    });
});
const slackUserId = matching(/^[UW][A-Z0-9]+$/, 'a Slack user ID like U0123ABCD');
const slackChannelId = matching(/^[CGD][A-Z0-9]+$/, 'a Slack channel ID like C0123ABCD');
const githubLogin = matching(/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/, 'a GitHub login like octocat');
const githubRepo = matching(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, 'a GitHub repository as owner/name, like acme/api');
const httpUrl = z.url({ protocol: /^https?$/, error: expected('an http(s) URL like https://example.com/path') });

const duration = z.unknown().transform((value, context) => {
  if (typeof value === 'string') {
    try {
      return parseDuration(value);
    } catch (error) {
      if (!(error instanceof DurationError)) throw error;
      context.addIssue({ code: 'custom', message: error.problem });
      return z.NEVER;
    }
  }
  const hint = typeof value === 'number' ? ' (a number needs a unit)' : '';
  const message = value === undefined ? 'is required' : `expected a duration like 30s, 10m, 2h or 14d${hint}`;
  context.addIssue({ code: 'custom', message });
  return z.NEVER;
});

const timezone = z.string().refine((zone) => IANAZone.isValidZone(zone), {
  error: (issue) => {
    const zone = String(issue.input);
    const guess = suggest(zone, Intl.supportedValuesOf('timeZone'));
    const didYouMean = guess ? `; did you mean ${guess}?` : '';
    return `expected an IANA time zone like America/New_York or UTC, got ${describeValue(zone)}${didYouMean}`;
  },
});

const environmentSchema = z.strictObject({
  channel: slackChannelId,
  aliases: z.array(z.string()).default([]),
  deployers: z.array(slackUserId).optional(),
  require_ci: z.boolean().default(false),
  lock_ttl: duration.prefault('1h'),
  on_smoke_failure: z.enum(['ask', 'rollback', 'off']).default('ask'),
});

const ENV_VAR_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why a deploy script may not be given this variable, or undefined when it may. */
function unpassableVariable(name: string): string | undefined {
  if (!ENV_VAR_NAME.test(name))
    return `expected an environment variable name like AWS_PROFILE, got ${describeValue(name)}`;
  if (isSecretVariable(name))
    return `${name} is one of tugboat's own secrets, which deploy scripts never receive; give the script a credential of its own`;
  if ((DEPLOY_VARIABLES as readonly string[]).includes(name))
    return `${name} is set by tugboat for each deploy; the script always receives it`;
  return undefined;
}

const passedVariable = z
  .string({ error: expected('an environment variable name like AWS_PROFILE') })
  .check((context) => {
    const problem = unpassableVariable(context.value);
    if (problem) context.issues.push({ code: 'custom', message: problem, input: context.value });
  });

// The other ways deploy elsewhere, where tugboat's environment means nothing.
const onlyForCommand = z
  .never({ error: 'only via: command runs a script, so only it is given environment variables' })
  .optional();

// How long a deploy may stay in flight (seconds allowed); unset: 60m, or the command executor's 30m for via: command.
const deployTimeout = duration.optional();

const deploySchema = z.discriminatedUnion('via', [
  z.strictObject({ via: z.literal('github-deployment'), env: onlyForCommand, timeout: deployTimeout }),
  z.strictObject({ via: z.literal('workflow'), workflow: nonEmptyString, env: onlyForCommand, timeout: deployTimeout }),
  z.strictObject({ via: z.literal('webhook'), url: httpUrl, env: onlyForCommand, timeout: deployTimeout }),
  z.strictObject({
    via: z.literal('command'),
    run: z.array(nonEmptyString).min(1),
    timeout: deployTimeout,
    // Variables of tugboat's environment passed on to the script, beyond PATH, HOME, LANG and the TUGBOAT_ deploy variables.
    env: z.array(passedVariable).optional(),
  }),
]);

export const LOG_LINK_PLACEHOLDERS = ['service', 'env', 'sha', 'deploy_id', 'from', 'to'] as const;

/** A typo in a placeholder would silently produce broken links, so unknown `{names}` are errors. */
function unknownPlaceholder(template: string): string | undefined {
  const known: readonly string[] = LOG_LINK_PLACEHOLDERS;
  const unknown = [...template.matchAll(/\{([A-Za-z_]+)\}/g)]
    .map((match) => match[1])
    .find((name) => !known.includes(name));
  if (unknown === undefined) return undefined;
  const guess = suggest(unknown, known);
  const didYouMean = guess ? `did you mean {${guess}}? ` : '';
  return `unknown placeholder {${unknown}}; ${didYouMean}Placeholders are ${listWithOr(known.map((name) => `{${name}}`))}`;
}

const logsTemplate = z.string().check((context) => {
  const problem = unknownPlaceholder(context.value);
  if (problem) context.issues.push({ code: 'custom', message: problem, input: context.value });
});

const statusCode = z.int().min(100).max(599);

const smokeExpectSchema = z.strictObject({
  status: z
    .union([statusCode, z.array(statusCode).min(1)], {
      error: expected('an HTTP status like 200, or a list like [200, 204]'),
    })
    .optional(),
  body_contains: z.string().optional(),
  max_ms: z.int().min(1).optional(),
  json: z.unknown().optional(),
});

const httpMethod = z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const smokeHeaders = z.record(z.string(), z.string());
const smokeBody = z.union([z.string(), z.record(z.string(), z.unknown())], { error: expected('a string or a map') });
const captureName = matching(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name like item_id');

/**
 * One request of a multi-step check. `capture` names values of its JSON response by dotted path
 * (as in `expect.json`), e.g. `{ item_id: "data.id" }`; a later step uses them as `${captured.item_id}`
 * in its url (URL-encoded), headers or body (a body value that is only the reference keeps the
 * captured JSON type). A step's method defaults to GET, its expect to the check's; the check's
 * headers are sent with every step, under the step's own.
 */
const smokeStepSchema = z.strictObject({
  name: nonEmptyString.optional(),
  url: httpUrl,
  method: httpMethod.optional(),
  headers: smokeHeaders.optional(),
  body: smokeBody.optional(),
  expect: smokeExpectSchema.optional(),
  capture: z.record(captureName, nonEmptyString).optional(),
});

type SmokeStep = z.output<typeof smokeStepSchema>;

const CAPTURED_REFERENCE = /\$\{captured\.([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Each `${captured.name}` must be captured by an earlier step: a typo would otherwise fail only when the check runs. */
function uncapturedReferences(steps: SmokeStep[]): Array<{ index: number; message: string }> {
  const captured = new Set<string>();
  const problems: Array<{ index: number; message: string }> = [];
  steps.forEach((step, index) => {
    const text = JSON.stringify([step.url, step.headers, step.body]);
    for (const [reference, name] of text.matchAll(CAPTURED_REFERENCE)) {
      if (!captured.has(name))
        problems.push({ index, message: `uses ${reference}, but no earlier step captures ${name}` });
    }
    for (const name of Object.keys(step.capture ?? {})) captured.add(name);
  });
  return problems;
}

const smokeCheckSchema = z
  .strictObject({
    name: nonEmptyString,
    url: httpUrl.optional(),
    method: httpMethod.default('GET'),
    headers: smokeHeaders.optional(),
    body: smokeBody.optional(),
    expect: smokeExpectSchema.prefault({}),
    every: duration.prefault('1m'),
    // Bounds the whole check: every step of a multi-step check together.
    timeout: duration.prefault('5s'),
    steps: z.array(smokeStepSchema).min(1).optional(),
  })
  .refine((check) => check.url !== undefined || check.steps !== undefined, {
    error: 'is required (or give steps)',
    path: ['url'],
  })
  .refine((check) => check.steps === undefined || (check.url === undefined && check.body === undefined), {
    error: 'give either url (and body) or steps, not both: each step has its own url and body',
    path: ['steps'],
  })
  .check((context) => {
    for (const { index, message } of uncapturedReferences(context.value.steps ?? [])) {
      context.issues.push({ code: 'custom', message, input: context.value, path: ['steps', index] });
    }
  });

/** The check id `service/environment/name` is how results and alerts find a check, so names are unique per environment. */
const smokeChecksSchema = z.array(smokeCheckSchema).check((context) => {
  const seen = new Set<string>();
  context.value.forEach((check, index) => {
    if (seen.has(check.name)) {
      context.issues.push({
        code: 'custom',
        message: `repeats the check name ${check.name}`,
        input: check.name,
        path: [index, 'name'],
      });
    }
    seen.add(check.name);
  });
});

const serviceSchema = z.strictObject({
  repo: githubRepo,
  default_ref: gitRef.default('main'),
  environments: z.array(z.string()).min(1),
  deploy: deploySchema,
  owners: z.array(slackUserId).default([]),
  review_channel: slackChannelId.optional(),
  logs: logsTemplate.optional(),
  auto_deploy: z.strictObject({ branch: gitRef, environment: z.string() }).optional(),
  rollback: z
    .strictObject({
      max_releases: z.int().min(1).default(5),
      max_age: duration.prefault('14d'),
    })
    .prefault({}),
  smoke: z.record(z.string(), smokeChecksSchema).default({}),
});

const channelBindingSchema = z
  .strictObject({ service: z.string().optional(), environment: z.string().optional() })
  .refine((binding) => binding.service !== undefined || binding.environment !== undefined, {
    error: 'expected a service, an environment or both',
  });

const BUSINESS_HOURS = /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/;

const businessHours = matching(BUSINESS_HOURS, 'opening hours as HH:MM-HH:MM, like "09:00-18:00"').refine(
  (hours) => {
    const [opens, closes] = hours.split('-');
    return opens < closes;
  },
  { error: 'the end of business hours must come after the start (overnight hours are not supported)' },
);

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const weekday = z
  .string()
  .transform((day) => day.toLowerCase())
  .pipe(z.enum(WEEKDAYS));

const schedulable = (ms: number) => {
  try {
    cronForInterval(ms);
    return true;
  } catch {
    return false;
  }
};

const reviewsSchema = z.strictObject({
  nudge_after: duration.prefault('4h'),
  nudge_every: duration.prefault('24h'),
  sweep_every: duration.prefault('1m').refine(schedulable, {
    error: 'must divide a minute, an hour or a day evenly (like 30s, 1m, 5m or 1h), so it can run on a schedule',
  }),
  business_hours: businessHours.default('09:00-18:00'),
  business_days: z.array(weekday).min(1).default(['mon', 'tue', 'wed', 'thu', 'fri']),
});

const incidentsSchema = z.strictObject({
  failures_before_alert: z.int().min(1).default(5),
  passes_before_recovery: z.int().min(1).default(2),
  channel_prefix: matching(
    /^[a-z0-9][a-z0-9_-]{0,19}$/,
    'a short Slack channel name prefix (lowercase letters, digits, - or _) like inc',
  ).default('inc'),
  invite: z.array(slackUserId).default([]),
  // Should always answer: when it fails along with a check, the fault is tugboat's network, not the service.
  canary: httpUrl.optional(),
  // Called every minute so an outside watchdog notices when tugboat stops.
  heartbeat_url: httpUrl.optional(),
  result_retention: duration.prefault('7d'),
});

function atLeastOne(what: string) {
  return [(map: object) => Object.keys(map).length > 0, { error: `expected at least one ${what}` }] as const;
}

export const configSchema = z.strictObject({
  timezone: timezone.default('UTC'),
  admins: z.array(slackUserId).default([]),
  environments: z.record(z.string(), environmentSchema).refine(...atLeastOne('environment')),
  services: z.record(z.string(), serviceSchema).refine(...atLeastOne('service')),
  channels: z.record(slackChannelId, channelBindingSchema).default({}),
  people: z.record(githubLogin, slackUserId).default({}),
  reviews: reviewsSchema.prefault({}),
  incidents: incidentsSchema.prefault({}),
});

export type Config = z.output<typeof configSchema>;
export type EnvironmentConfig = Config['environments'][string];
export type ServiceConfig = Config['services'][string];
export type DeployMethod = ServiceConfig['deploy'];
export type SmokeCheck = ServiceConfig['smoke'][string][number];
export type ChannelBinding = Config['channels'][string];
