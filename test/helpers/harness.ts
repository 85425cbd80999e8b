import { readFileSync } from 'node:fs';
import { createTugboat, type Tugboat, type TugboatOptions } from '../../src/app.ts';
import { parseConfig, type Config } from '../../src/config/index.ts';
import { FakeGitHubApi } from '../../src/fakes/github-api.ts';
import { FakeSlackApi } from '../../src/fakes/slack-api.ts';
import { GitHubSender } from '../../src/fakes/github-sender.ts';
import { SlackSender } from '../../src/fakes/slack-client.ts';
import { createLogger } from '../../src/log.ts';
import type { ReviewWebhookOptions } from '../../src/github/handlers/reviews.ts';
import type { PosterOptions } from '../../src/slack/poster.ts';
import { TestClock } from './clock.ts';
import { LogCapture } from './logs.ts';
import type { StoreBackend, TestDatabase } from './stores.ts';

export const SECRETS = {
  botToken: 'xoxb-test-0123456789-abcdef',
  signingSecret: 'slack-signing-secret-for-tests',
  webhookSecret: 'github-webhook-secret-for-tests',
  githubToken: 'ghp_test-token-0123456789',
  deployWebhookSecret: 'deploy-webhook-secret-for-tests',
};

export const FIXTURE_CONFIG = readFileSync(new URL('../fixtures/tugboat.yml', import.meta.url), 'utf8');

/** The channels a workspace running this config would already have. */
function configuredChannels(config: Config): Set<string> {
  return new Set([
    ...Object.values(config.environments).map((env) => env.channel),
    ...Object.keys(config.channels),
    ...Object.values(config.services).flatMap((service) => (service.review_channel ? [service.review_channel] : [])),
  ]);
}

export interface Harness {
  url: string;
  tugboat: Tugboat;
  db: TestDatabase;
  slackApi: FakeSlackApi;
  githubApi: FakeGitHubApi;
  slack: SlackSender;
  github: GitHubSender;
  clock: TestClock;
  logs: LogCapture;
  stop(): Promise<void>;
}

/**
 * The whole app over real HTTP on loopback, with the real Bolt and Web API clients talking
 * to the Slack fake, and signed requests sent the way Slack and GitHub send them.
 */
export async function startHarness(options: {
  backend: StoreBackend;
  db?: TestDatabase;
  configYaml?: string;
  poster?: Partial<PosterOptions>;
  clock?: TestClock;
  commandCwd?: string;
  commandTimeoutMs?: number;
  /** How long `stop()` waits for running deploy scripts before killing them (TUGBOAT_SHUTDOWN_GRACE); 10 s unless given. */
  shutdownGraceMs?: number;
  /** Where deploy receivers call back; 'self' for the harness's own address. */
  publicUrl?: string;
  reviews?: ReviewWebhookOptions;
  /** Intake limits and a separate metrics port (src/http/intake.ts). */
  http?: TugboatOptions['http'];
  /** The webhook inbox's lease, poll, retries (src/github/inbox.ts). */
  inbox?: TugboatOptions['inbox'];
}): Promise<Harness> {
  const db = options.db ?? (await options.backend.open());
  const config = parseConfig(options.configYaml ?? FIXTURE_CONFIG, 'tugboat.yml');
  const slackApi = await FakeSlackApi.start({ token: SECRETS.botToken });
  const githubApi = await FakeGitHubApi.start();
  for (const id of configuredChannels(config)) slackApi.addChannel({ id, name: id.toLowerCase() });
  const clock = options.clock ?? new TestClock();
  const logs = new LogCapture();
  const log = createLogger({ level: 'debug', secrets: Object.values(SECRETS), destination: logs });
  const deploys = {
    commandCwd: options.commandCwd ?? process.cwd(),
    publicUrl: options.publicUrl,
    webhookSecret: SECRETS.deployWebhookSecret,
    commandTimeoutMs: options.commandTimeoutMs,
    shutdownGraceMs: options.shutdownGraceMs ?? 10_000,
  };
  const tugboat = createTugboat({
    slack: {
      botToken: SECRETS.botToken,
      signingSecret: SECRETS.signingSecret,
      apiUrl: slackApi.url,
      clientOptions: { retryConfig: { retries: 0 } },
    },
    github: { webhookSecret: SECRETS.webhookSecret, apiUrl: githubApi.url, token: SECRETS.githubToken },
    deploys,
    config,
    store: db.store,
    log,
    now: clock.now,
    poster: { minIntervalMs: 0, ...options.poster },
    // Review replies fold bursts over a short window; tests need not wait the production 1.5 s.
    reviews: { foldMs: 20, ...options.reviews },
    http: options.http,
    inbox: options.inbox,
  });
  const port = await tugboat.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}`;
  // Deploy receivers call back to tugboat's public URL, which for a test is the harness itself.
  if (options.publicUrl === 'self') deploys.publicUrl = url;
  return {
    url,
    tugboat,
    db,
    slackApi,
    githubApi,
    slack: new SlackSender({ appUrl: `${url}/slack/events`, signingSecret: SECRETS.signingSecret, api: slackApi }),
    github: new GitHubSender({ appUrl: `${url}/github/webhooks`, secret: SECRETS.webhookSecret }),
    clock,
    logs,
    async stop() {
      await tugboat.close();
      await slackApi.close();
      await githubApi.close();
      if (!options.db) await db.close();
    },
  };
}
