import { App, HTTPReceiver } from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import { commands, type CommandDeps } from '../../commands/index.ts';
import type { IncidentResponder } from '../incidents/index.ts';
import type { InFlight } from '../in-flight.ts';
import type { Logger } from '../log.ts';
import { boltLogger } from './bolt-logger.ts';
import { registerCommands } from './listeners/commands.ts';
import { registerDeployActions } from './listeners/deploy-actions.ts';
import { registerIncidentActions } from './listeners/incident-actions.ts';
import { registerReviewActions } from './listeners/review-actions.ts';
import { registerEventDedupe } from './listeners/dedupe.ts';
import { registerEvents } from './listeners/events.ts';
import { registerLockReminderActions } from './listeners/lock-reminder.ts';
import { registerOutageAnswer } from './listeners/outage.ts';

export interface SlackSettings {
  botToken: string;
  signingSecret: string;
  apiUrl: string;
  /** Extra WebClient options (tests shorten retries). */
  clientOptions?: Partial<WebClientOptions>;
}

/**
 * Bolt in HTTP mode. Its receiver verifies signatures and parses bodies; we own the HTTP
 * server and hand it `/slack/events` requests. The Web API client rejects rate-limited calls
 * instead of pausing, so that `SlackPoster` can wait per channel.
 */
export function createBolt(settings: SlackSettings, log: Logger) {
  const logger = boltLogger(log);
  const clientOptions: WebClientOptions = {
    slackApiUrl: settings.apiUrl,
    rejectRateLimitedCalls: true,
    retryConfig: { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 5000 },
    // A call Slack leaves hanging is given up after this and retried from the outbox (src/slack/poster.ts).
    timeout: 30_000,
    logger,
    ...settings.clientOptions,
  };
  const receiver = new HTTPReceiver({ signingSecret: settings.signingSecret, endpoints: '/slack/events', logger });
  const app = new App({
    receiver,
    // One workspace, one token. Given a `token`, Bolt would call auth.test before serving anything
    // (or, with that turned off, before every single request); tugboat needs neither, and checks the
    // token once in the background at start-up.
    authorize: async () => ({ botToken: settings.botToken }),
    logger,
    clientOptions,
  });
  app.error(async (error) => {
    log.error({ err: error }, 'unhandled error in a Slack listener');
  });
  return { app, receiver, client: new WebClient(settings.botToken, clientOptions) };
}

/** What the listeners are handed all together: what commands may use, and the incident responder for the incident channel's buttons. */
export type ListenerDeps = CommandDeps & { incidents: IncidentResponder };

export function registerListeners(app: App, deps: ListenerDeps, inFlight: InFlight): void {
  app.use(({ next }) => inFlight.track(next()));
  registerOutageAnswer(app, deps);
  registerEventDedupe(app, deps);
  registerCommands(app, commands, deps);
  registerLockReminderActions(app, deps);
  registerDeployActions(app, deps);
  registerReviewActions(app, deps);
  registerIncidentActions(app, deps);
  registerEvents(app, deps);
}
