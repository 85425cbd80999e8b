import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createTugboat, type Tugboat, type TugboatOptions } from './app.ts';
import { ConfigError, loadConfig } from './config/index.ts';
import { EnvError, readEnv, type Env, type EnvironmentVariables } from './env.ts';
import { createLogger, type Logger } from './log.ts';
import { secretValues } from './secrets.ts';
import { migrate, openStore, type Store } from './store/index.ts';

export interface StartOptions {
  /** The interface to listen on; all of them unless given. */
  host?: string;
  /** Where log lines go; stdout unless given. */
  logDestination?: Parameters<typeof createLogger>[0]['destination'];
  /** For tests only: the Slack queue's spacing (Slack's own limit unless given). */
  poster?: TugboatOptions['poster'];
}

export interface RunningTugboat {
  env: Env;
  tugboat: Tugboat;
  store: Store;
  log: Logger;
  port: number;
  /** SIGHUP's work: reads the config file again, keeping the previous config if it is broken. */
  reloadConfig(): void;
  /** Finishes work in flight, then closes the database. */
  stop(): Promise<void>;
}

/**
 * Starts tugboat from environment variables (README, "Environment variables"): the one start
 * path, whether the variables come from the process or from the sandbox, which points them at
 * local fakes of Slack and GitHub. Throws EnvError or ConfigError when it cannot start.
 */
export async function startTugboat(vars: EnvironmentVariables, options: StartOptions = {}): Promise<RunningTugboat> {
  const env = readEnv(vars);
  const config = loadConfig(env.configPath);
  const log = createLogger({
    level: env.logLevel,
    // The private key as read (its "\n" made line breaks) and every secret variable, the DATABASE_URL password included.
    secrets: [env.githubApp?.privateKey, ...secretValues(vars)],
    destination: options.logDestination,
  });
  const store = await openStore({ databaseUrl: env.databaseUrl, dataDir: env.dataDir });
  const tugboat = createTugboat({
    slack: { botToken: env.slackBotToken, signingSecret: env.slackSigningSecret, apiUrl: env.slackApiUrl },
    github: {
      webhookSecret: env.githubWebhookSecret,
      apiUrl: env.githubApiUrl,
      token: env.githubToken,
      app: env.githubApp,
    },
    deploys: {
      commandCwd: path.dirname(path.resolve(env.configPath)),
      publicUrl: env.publicUrl,
      webhookSecret: env.deployWebhookSecret,
      shutdownGraceMs: env.shutdownGraceMs,
    },
    secrets: secretValues(vars),
    config,
    store,
    log,
    poster: options.poster,
    http: { metricsPort: env.metricsPort },
  });
  const port = await tugboat.listen(env.port, options.host);
  log.info(
    { port, metricsPort: env.metricsPort ?? port, database: env.databaseUrl ? 'postgres' : `pglite (${env.dataDir})` },
    'tugboat is listening',
  );

  const applied = await migrate(store);
  if (applied.length) log.info({ applied }, 'migrations applied');
  tugboat.startJobs();
  checkSlackToken(tugboat.deps.slack.client, log);

  return {
    env,
    tugboat,
    store,
    log,
    port,
    reloadConfig: () => reloadConfig(env.configPath, tugboat, log),
    async stop() {
      await tugboat.close();
      await store.close();
    },
  };
}

export type StartMode = 'tugboat' | 'sandbox';

/**
 * `--sandbox`, or no Slack credentials at all outside production, starts the local sandbox
 * (README.md, "Try it: the sandbox"). With either Slack credential set, or with
 * NODE_ENV=production (the Docker image), tugboat starts for real and a missing variable stops it.
 */
export function chooseMode(argv: readonly string[], vars: EnvironmentVariables): StartMode {
  if (argv.includes('--sandbox')) return 'sandbox';
  const set = (name: string) => (vars[name] ?? '').trim() !== '';
  if (set('SLACK_BOT_TOKEN') || set('SLACK_SIGNING_SECRET')) return 'tugboat';
  return vars.NODE_ENV === 'production' ? 'tugboat' : 'sandbox';
}

function fail(lines: string[]): never {
  for (const line of lines) process.stderr.write(`tugboat: ${line}\n`);
  process.exit(1);
}

/** Start-up problems a person can fix get their own lines, not a stack trace. */
export function exitOnStartError(error: unknown): never {
  if (error instanceof EnvError) fail(error.lines);
  if (error instanceof ConfigError) fail([error.message]);
  fail([`start-up failed: ${(error as Error).message}`]);
}

async function main() {
  if (chooseMode(process.argv.slice(2), process.env) === 'sandbox') {
    // Loaded only here: with Slack credentials set, nothing of the sandbox is even imported.
    const { runSandbox } = await import('./sandbox/main.ts');
    await runSandbox(process.env);
    return;
  }
  const running = await startTugboat(process.env).catch(exitOnStartError);
  const { log } = running;
  // A promise nobody awaited must not end a process serving everyone (Node's default): logged instead.
  process.on('unhandledRejection', (reason) =>
    log.error({ err: reason }, 'unhandled promise rejection; still running'),
  );
  process.on('SIGHUP', () => running.reloadConfig());
  const shutdown = async (signal: string) => {
    log.info(
      { signal, graceMs: running.env.shutdownGraceMs },
      'shutting down: no new work; waiting for running deploy scripts and work in flight',
    );
    await running.stop();
    log.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
}

function reloadConfig(path: string, tugboat: { setConfig(config: ReturnType<typeof loadConfig>): void }, log: Logger) {
  try {
    tugboat.setConfig(loadConfig(path));
    log.info({ path }, 'config reloaded');
  } catch (error) {
    log.error({ err: error, path }, 'config reload failed; keeping the previous config');
  }
}

/** A wrong token should be obvious at start-up, without keeping the app from serving. */
function checkSlackToken(client: { auth: { test(): Promise<{ team?: string; user?: string }> } }, log: Logger) {
  client.auth
    .test()
    .then((who) => log.info({ team: who.team, bot: who.user }, 'connected to Slack'))
    .catch((error) =>
      log.warn({ err: error }, 'Slack rejected or did not answer auth.test: check SLACK_BOT_TOKEN and SLACK_API_URL'),
    );
}

/** Run as the entry point (`npm start`, `node dist/src/main.js`), not when imported (tests, the sandbox). */
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(path.resolve(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main().catch((error) => {
    process.stderr.write(`tugboat: start-up failed: ${(error as Error).message}\n`);
    process.exit(1);
  });
}
