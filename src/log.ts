import { pino, type Logger, type LevelWithSilent } from 'pino';
import { createScrubber, REDACTED } from './secrets.ts';

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
  return pino(
    {
      name: 'tugboat',
      level: options.level ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: REDACTED },
      hooks: { streamWrite: createScrubber(options.secrets ?? []) },
    },
    options.destination ?? pino.destination(1),
  );
}
