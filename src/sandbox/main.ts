import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../config/index.ts';
import { FakeGitHubApi } from '../fakes/github-api.ts';
import { closeServer, listenOnLoopback } from '../fakes/http.ts';
import { GitHubSender } from '../fakes/github-sender.ts';
import { FakeSlackApi } from '../fakes/slack-api.ts';
import { SlackSender } from '../fakes/slack-client.ts';
import { exitOnStartError, startTugboat, type RunningTugboat, type StartOptions } from '../main.ts';
import { handleApi } from './api.ts';
import { DemoService } from './demo-service.ts';
import { EventStream } from './events.ts';
import { GitHubPanel } from './github-panel.ts';
import { seedSandbox, type Seeded } from './seed.ts';
import { createSandboxServer } from './server.ts';
import type { EnvironmentVariables } from '../env.ts';

/**
 * Sandbox mode (README.md, "Try it: the sandbox"): a local Slack workspace and GitHub (the same
 * fakes the tests use) seeded from examples/sandbox.yml, a demo service to deploy to, and the
 * page that shows it all; tugboat itself starts through the one start path, `startTugboat`, with
 * its base URLs pointed at the fakes. Nothing here is part of tugboat's own code paths.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SANDBOX_CONFIG = path.join(ROOT, 'examples', 'sandbox.yml');
const DEFAULT_PAGE_PORT = 3001;
const DEFAULT_TUGBOAT_PORT = 3000;
const DEFAULT_ROLLOUT_MS = 1_500;

export interface SandboxOptions {
  /** The config tugboat and the seeding read; examples/sandbox.yml unless given. */
  configPath?: string;
  /** The page, its API and the demo service; 3001 unless given (0: any free port). */
  port?: number;
  /** tugboat's own port; 3000 unless given (0: any free port). */
  tugboatPort?: number;
  /**
   * tugboat's PGlite folder, emptied at start (the fakes start empty too); `.tugboat-sandbox/db`
   * under the cwd unless given. `memory://` keeps the database in memory (quicker, for tests).
   */
  dataDir?: string;
  /** tugboat's log level; `warn` unless given. */
  logLevel?: string;
  logDestination?: StartOptions['logDestination'];
  /** For tests only: tugboat's Slack queue spacing (see StartOptions). */
  poster?: StartOptions['poster'];
  /** How long the demo service takes to roll out a release. */
  rolloutMs?: number;
  /**
   * Deploy each service's first commit everywhere at start, through tugboat (in the background,
   * see `ready`), so that a rollback has a release to go back to. Default true.
   */
  history?: boolean;
  /** Variables tugboat starts with, besides the ones the sandbox sets (PATH for the deploy script, say). */
  baseEnv?: EnvironmentVariables;
}

export interface Sandbox {
  /** The page, e.g. `http://127.0.0.1:3001`. */
  url: string;
  /** tugboat itself. */
  tugboatUrl: string;
  config: Config;
  seeded: Seeded;
  slackApi: FakeSlackApi;
  githubApi: FakeGitHubApi;
  slack: SlackSender;
  github: GitHubSender;
  panel: GitHubPanel;
  demo: DemoService;
  events: EventStream;
  tugboat: RunningTugboat;
  /** Resolves once the first releases (`history`) are deployed; at once without them. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const configPath = path.resolve(options.configPath ?? SANDBOX_CONFIG);
  const config = loadConfig(configPath);
  const inMemory = options.dataDir?.startsWith('memory://') ?? false;
  const dataDir = inMemory ? options.dataDir! : path.resolve(options.dataDir ?? path.join('.tugboat-sandbox', 'db'));
  if (!inMemory) {
    await rm(dataDir, { recursive: true, force: true });
    await mkdir(path.dirname(dataDir), { recursive: true });
  }

  const secrets = {
    botToken: `xoxb-sandbox-${randomBytes(12).toString('hex')}`,
    signingSecret: randomBytes(16).toString('hex'),
    webhookSecret: randomBytes(16).toString('hex'),
    githubToken: `ghp_sandbox${randomBytes(12).toString('hex')}`,
    deployWebhookSecret: randomBytes(16).toString('hex'),
  };
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  const stop = async () => {
    for (const step of cleanup.splice(0).reverse()) await Promise.resolve(step()).catch(() => undefined);
  };

  try {
    const slackApi = await FakeSlackApi.start({ token: secrets.botToken });
    cleanup.push(() => slackApi.close());
    const githubApi = await FakeGitHubApi.start();
    cleanup.push(() => githubApi.close());
    const seeded = seedSandbox(config, slackApi, githubApi);

    let tugboat: RunningTugboat | undefined;
    const events = new EventStream();
    cleanup.push(() => events.close());
    const currentConfig = () => tugboat?.tugboat.deps.config() ?? config;
    const demo = new DemoService({
      config: currentConfig,
      initialShas: seeded.firstShas,
      rolloutMs: 0,
      onChange: () => events.send('demo'),
    });
    slackApi.on('change', (change) => events.send(change.reason));
    githubApi.on('change', () => events.send('github'));

    // The page's server listens first: tugboat's deploy script and smoke checks need its address.
    let apiDeps: Parameters<typeof handleApi>[0] | undefined;
    const server = createSandboxServer(
      [
        (req, res, url) => demo.handle(req, res, url),
        async (req, res, url) => {
          if (!apiDeps) return false;
          return handleApi(apiDeps, req, res, url);
        },
      ],
      (error) => tugboat?.log.error({ err: error }, 'sandbox request failed'),
    );
    const port = Number(new URL(await listenOnLoopback(server, options.port ?? DEFAULT_PAGE_PORT)).port);
    cleanup.push(() => closeServer(server));
    const url = `http://127.0.0.1:${port}`;
    demo.setOrigin(url);
    // The deploy script and the smoke checks find the sandbox through these (examples/sandbox.yml).
    process.env.TUGBOAT_SANDBOX_URL = url;
    process.env.TUGBOAT_SANDBOX_HOST = `127.0.0.1:${port}`;

    tugboat = await startTugboat(
      {
        ...withoutCredentials(options.baseEnv ?? process.env),
        PORT: String(options.tugboatPort ?? DEFAULT_TUGBOAT_PORT),
        TUGBOAT_CONFIG: configPath,
        TUGBOAT_DATA_DIR: dataDir,
        SLACK_BOT_TOKEN: secrets.botToken,
        SLACK_SIGNING_SECRET: secrets.signingSecret,
        SLACK_API_URL: slackApi.url,
        GITHUB_API_URL: githubApi.url,
        GITHUB_TOKEN: secrets.githubToken,
        GITHUB_WEBHOOK_SECRET: secrets.webhookSecret,
        TUGBOAT_WEBHOOK_SECRET: secrets.deployWebhookSecret,
        LOG_LEVEL: options.logLevel ?? 'warn',
      },
      { host: '127.0.0.1', logDestination: options.logDestination, poster: options.poster },
    );
    const running = tugboat;
    cleanup.push(() => running.stop());
    const tugboatUrl = `http://127.0.0.1:${tugboat.port}`;

    const slack = new SlackSender({
      appUrl: `${tugboatUrl}/slack/events`,
      signingSecret: secrets.signingSecret,
      api: slackApi,
    });
    const github = new GitHubSender({ appUrl: `${tugboatUrl}/github/webhooks`, secret: secrets.webhookSecret });
    const panel = new GitHubPanel({
      api: githubApi,
      sender: github,
      config: currentConfig,
      onChange: () => events.send('github'),
    });

    demo.rolloutMs = options.rolloutMs ?? DEFAULT_ROLLOUT_MS;
    apiDeps = { config: currentConfig, slackApi, slack, panel, demo, events, people: seeded.people };
    // In the background: the page shows these first deploys happening.
    const ready =
      (options.history ?? true) ? deployHistory({ config, seeded, slack, demo, tugboat: running }) : Promise.resolve();
    ready.catch((error: unknown) => running.log.warn({ err: error }, "the sandbox's first releases failed"));

    return {
      url,
      tugboatUrl,
      config,
      seeded,
      slackApi,
      githubApi,
      slack,
      github,
      panel,
      demo,
      events,
      tugboat,
      ready,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Each service's first release in each environment, deployed through tugboat as the first admin
 * (a real `/deploy`, signed as Slack signs it), so the history has a release to roll back to.
 */
async function deployHistory(context: {
  config: Config;
  seeded: Seeded;
  slack: SlackSender;
  demo: DemoService;
  tugboat: RunningTugboat;
}): Promise<void> {
  const { config, seeded, slack, demo, tugboat } = context;
  const admin = config.admins[0] ?? seeded.people[0]?.slackId;
  if (!admin) return;
  const deploys = Object.entries(config.services).flatMap(([service, settings]) =>
    settings.environments.map((environment) => ({ service, environment, sha: seeded.firstShas[service] })),
  );
  await Promise.all(
    deploys.map(({ service, environment, sha }) =>
      slack.slashCommand({
        command: '/deploy',
        text: `${service} ${sha} to ${environment}`,
        userId: admin,
        channelId: config.environments[environment].channel,
      }),
    ),
  );
  // Each deploy ends when the deploy script has told the demo service, and tugboat has recorded it.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const rows = await tugboat.store.query<{ open: number }>(
      `select count(*)::int as open from deploys where status in ('pending', 'running')`,
    );
    const released = demo.logs({}).filter((line) => line.text.startsWith('released')).length;
    if (released >= deploys.length && Number(rows[0]?.open ?? 0) === 0) {
      // The announcements' last updates and the smoke checks after the deploys.
      await tugboat.tugboat.settle(30_000);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  tugboat.log.warn("the sandbox's first releases did not all finish within 30 s");
}

/** The person's real Slack and GitHub credentials never reach the sandbox's tugboat. */
function withoutCredentials(vars: EnvironmentVariables): EnvironmentVariables {
  const copy = { ...vars };
  for (const name of [
    'DATABASE_URL',
    'GITHUB_APP_ID',
    'GITHUB_PRIVATE_KEY',
    'GITHUB_INSTALLATION_ID',
    'TUGBOAT_PUBLIC_URL',
  ])
    delete copy[name];
  return copy;
}

/** `npm start` without Slack credentials, or `npm start -- --sandbox`. */
export async function runSandbox(vars: EnvironmentVariables): Promise<void> {
  const port = portFrom(vars, 'TUGBOAT_SANDBOX_PORT', DEFAULT_PAGE_PORT);
  const tugboatPort = portFrom(vars, 'PORT', DEFAULT_TUGBOAT_PORT);
  process.stdout.write(
    'tugboat: no Slack credentials set, starting the sandbox (a local Slack workspace and GitHub)…\n',
  );
  const sandbox = await startSandbox({ port, tugboatPort, logLevel: vars.LOG_LEVEL || 'warn', baseEnv: vars }).catch(
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') {
        exitOnStartError(
          new Error(
            `port ${(error as { port?: number }).port ?? ''} is in use: set TUGBOAT_SANDBOX_PORT (the page) or PORT (tugboat) to free ones`,
          ),
        );
      }
      return exitOnStartError(error);
    },
  );
  const page = `http://localhost:${new URL(sandbox.url).port}/`;
  process.stdout.write(
    `tugboat sandbox: open ${page} — a local Slack workspace and GitHub with tugboat in them (tugboat itself on http://localhost:${sandbox.tugboat.port}; set SLACK_BOT_TOKEN to run for real)\n`,
  );

  process.on('SIGHUP', () => sandbox.tugboat.reloadConfig());
  // Everything in the sandbox is thrown away at the next start: no need to wait long for work in flight.
  let stopping = false;
  const shutdown = async () => {
    if (stopping) process.exit(0); // a second Ctrl-C
    stopping = true;
    process.stdout.write('tugboat sandbox: stopping\n');
    await Promise.race([sandbox.stop(), new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
}

function portFrom(vars: EnvironmentVariables, name: string, fallback: number): number {
  const text = vars[name]?.trim();
  if (!text) return fallback;
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (value >= 0 && value <= 65535) return value;
  return exitOnStartError(new Error(`${name} must be a whole number from 0 to 65535, got ${JSON.stringify(text)}`));
}
