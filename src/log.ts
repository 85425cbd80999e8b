import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line, wherever they sit in a logged object. */
const REDACTED_PATHS = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-hub-signature-256"]',
  'headers["x-slack-signature"]',
  'slackBotToken',
  'slackSigningSecret',
  'githubToken',
  'githubWebhookSecret',
  'githubApp.privateKey',
  '*.slackBotToken',
  '*.slackSigningSecret',
  '*.githubToken',
  '*.githubWebhookSecret',
];

const SCRUBBED = '[Redacted]';

/**
 * A pino logger that redacts secret keys and, as a second line of defence, scrubs the
 * secret values themselves from every written line (an error message or a URL can
 * carry a token in a string that no key path reaches).
 */
export function createLogger(options: {
  level?: LevelWithSilent;
  secrets?: Array<string | undefined>;
  destination?: pino.DestinationStream;
}): Logger {
  const secrets = (options.secrets ?? []).filter((s): s is string => typeof s === 'string' && s.length >= 6);
  return pino(
    {
      name: 'tugboat',
      level: options.level ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: SCRUBBED },
      ...(secrets.length ? { hooks: { streamWrite: (line: string) => scrub(line, secrets) } } : {}),
    },
    options.destination ?? pino.destination(1),
  );
}

function scrub(line: string, secrets: string[]): string {
  let out = line;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(SCRUBBED);
    const escaped = JSON.stringify(secret).slice(1, -1);
    if (escaped !== secret && out.includes(escaped)) out = out.split(escaped).join(SCRUBBED);
  }
  return out;
}
