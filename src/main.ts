import path from 'node:path';
import { createTugboat } from './app.ts';
import { ConfigError, loadConfig } from './config/index.ts';
import { EnvError, readEnv, type Env } from './env.ts';
import { createLogger, type Logger } from './log.ts';
import { migrate, openStore } from './store/index.ts';

function fail(lines: string[]): never {
  for (const line of lines) process.stderr.write(`tugboat: ${line}\n`);
  process.exit(1);
}

function readEnvOrExit(): Env {
  try {
    return readEnv();
  } catch (error) {
    if (error instanceof EnvError) fail(error.lines);
    throw error;
  }
}

function loadConfigOrExit(path: string) {
  try {
    return loadConfig(path);
  } catch (error) {
    if (error instanceof ConfigError) fail([error.message]);
    throw error;
  }
}

async function main() {
  const env = readEnvOrExit();
  const config = loadConfigOrExit(env.configPath);
  const log = createLogger({
    level: env.logLevel,
    secrets: [env.slackBotToken, env.slackSigningSecret, env.githubWebhookSecret, env.githubToken, env.githubApp?.privateKey, env.deployWebhookSecret],
  });
  const store = await openStore({ databaseUrl: env.databaseUrl, dataDir: env.dataDir });
  const tugboat = createTugboat({
    slack: { botToken: env.slackBotToken, signingSecret: env.slackSigningSecret, apiUrl: env.slackApiUrl },
    github: { webhookSecret: env.githubWebhookSecret, apiUrl: env.githubApiUrl, token: env.githubToken, app: env.githubApp },
    deploys: { commandCwd: path.dirname(path.resolve(env.configPath)), publicUrl: env.publicUrl, webhookSecret: env.deployWebhookSecret },
    config,
    store,
    log,
  });
  const port = await tugboat.listen(env.port);
  log.info({ port, database: env.databaseUrl ? 'postgres' : `pglite (${env.dataDir})` }, 'tugboat is listening');

  const applied = await migrate(store);
  if (applied.length) log.info({ applied }, 'migrations applied');
  tugboat.startJobs();
  checkSlackToken(tugboat.deps.slack.client, log);

  process.on('SIGHUP', () => reloadConfig(env.configPath, tugboat, log));
  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down: finishing work in flight');
    await tugboat.close();
    await store.close();
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
    .catch((error) => log.warn({ err: error }, 'Slack rejected or did not answer auth.test: check SLACK_BOT_TOKEN and SLACK_API_URL'));
}

main().catch((error) => {
  process.stderr.write(`tugboat: start-up failed: ${(error as Error).message}\n`);
  process.exit(1);
});
