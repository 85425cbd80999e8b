import { describe, expect, it } from 'vitest';
import { EnvError, readEnv, type EnvironmentVariables } from '../src/env.ts';

const REQUIRED = {
  SLACK_BOT_TOKEN: 'xoxb-very-secret-bot-token',
  SLACK_SIGNING_SECRET: 'very-secret-signing-secret',
  GITHUB_WEBHOOK_SECRET: 'very-secret-webhook-secret',
};
const SECRET_VALUES = [...Object.values(REQUIRED), 'ghp_very-secret-token', 'hunter2'];

function envError(vars: EnvironmentVariables): EnvError {
  try {
    readEnv(vars);
  } catch (error) {
    if (error instanceof EnvError) return error;
    throw error;
  }
  throw new Error('expected the environment to be rejected');
}

function expectNoSecrets(error: EnvError) {
  for (const text of [error.message, ...error.lines]) {
    for (const secret of SECRET_VALUES) expect(text).not.toContain(secret);
  }
}

describe('readEnv', () => {
  it('fills the defaults', () => {
    expect(readEnv(REQUIRED)).toEqual({
      port: 3000,
      configPath: './tugboat.yml',
      dataDir: './.tugboat',
      slackBotToken: REQUIRED.SLACK_BOT_TOKEN,
      slackSigningSecret: REQUIRED.SLACK_SIGNING_SECRET,
      slackApiUrl: 'https://slack.com/api/',
      githubWebhookSecret: REQUIRED.GITHUB_WEBHOOK_SECRET,
      githubApiUrl: 'https://api.github.com',
      shutdownGraceMs: 10 * 60_000,
      logLevel: 'info',
    });
  });

  it('reads TUGBOAT_SHUTDOWN_GRACE as a duration, seconds allowed', () => {
    expect(readEnv({ ...REQUIRED, TUGBOAT_SHUTDOWN_GRACE: '45s' }).shutdownGraceMs).toBe(45_000);
    expect(envError({ ...REQUIRED, TUGBOAT_SHUTDOWN_GRACE: '10' }).lines).toEqual([
      'TUGBOAT_SHUTDOWN_GRACE must be a duration like 30s, 10m or 1h, got "10" (see README.md#environment-variables)',
    ]);
  });

  it('reads every variable', () => {
    const env = readEnv({
      ...REQUIRED,
      PORT: '8080',
      TUGBOAT_CONFIG: '/etc/tugboat/tugboat.yml',
      DATABASE_URL: 'postgresql://tugboat:hunter2@db:5432/tugboat',
      TUGBOAT_DATA_DIR: '/var/lib/tugboat',
      SLACK_API_URL: 'http://127.0.0.1:4010/api',
      GITHUB_TOKEN: 'ghp_very-secret-token',
      GITHUB_API_URL: 'http://127.0.0.1:4011/',
      LOG_LEVEL: 'DEBUG',
    });
    expect(env).toMatchObject({
      port: 8080,
      configPath: '/etc/tugboat/tugboat.yml',
      databaseUrl: 'postgresql://tugboat:hunter2@db:5432/tugboat',
      dataDir: '/var/lib/tugboat',
      slackApiUrl: 'http://127.0.0.1:4010/api/',
      githubToken: 'ghp_very-secret-token',
      githubApiUrl: 'http://127.0.0.1:4011',
      logLevel: 'debug',
    });
    expect(env.githubApp).toBeUndefined();
  });

  it('reads a GitHub App, turning escaped newlines in the key into real ones', () => {
    const env = readEnv({
      ...REQUIRED,
      GITHUB_APP_ID: '12345',
      GITHUB_PRIVATE_KEY: '-----BEGIN RSA PRIVATE KEY-----\\nMIIE\\n-----END RSA PRIVATE KEY-----',
      GITHUB_INSTALLATION_ID: '67890',
    });
    expect(env.githubApp).toEqual({
      appId: '12345',
      privateKey: '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----',
      installationId: '67890',
    });
  });

  it('treats empty variables as unset', () => {
    expect(readEnv({ ...REQUIRED, PORT: '', DATABASE_URL: '' })).toMatchObject({ port: 3000, databaseUrl: undefined });
  });

  it('names each missing required variable on its own line, saying where to find it', () => {
    const error = envError({});
    expect(error.lines).toEqual([
      `SLACK_BOT_TOKEN is not set: the bot token (xoxb-…) from your Slack app's "OAuth & Permissions" page (see README.md#environment-variables)`,
      `SLACK_SIGNING_SECRET is not set: the signing secret from your Slack app's "Basic Information" page (see README.md#environment-variables)`,
      'GITHUB_WEBHOOK_SECRET is not set: the secret you gave GitHub when creating the webhook (or GitHub App) (see README.md#environment-variables)',
    ]);
    expect(error.message).toBe(error.lines.join('\n'));
  });

  it('explains malformed values, one line per variable', () => {
    const error = envError({
      ...REQUIRED,
      PORT: '70000',
      DATABASE_URL: 'mysql://tugboat:hunter2@db/tugboat',
      SLACK_API_URL: 'slack',
      LOG_LEVEL: 'loud',
    });
    expect(error.lines).toEqual([
      'PORT must be a whole number from 0 to 65535, got "70000" (see README.md#environment-variables)',
      'DATABASE_URL must be a postgres:// or postgresql:// URL; unset it to use the embedded database (see README.md#environment-variables)',
      'SLACK_API_URL must be an http(s) URL: the Slack Web API base, like https://slack.com/api/ (see README.md#environment-variables)',
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud" (see README.md#environment-variables)',
    ]);
    expectNoSecrets(error);
  });

  it('names the missing parts of a partial GitHub App', () => {
    const error = envError({ ...REQUIRED, GITHUB_APP_ID: '12345' });
    expect(error.lines).toEqual([
      'GITHUB_PRIVATE_KEY is not set, but GITHUB_APP_ID is: a GitHub App needs all three of GITHUB_APP_ID, GITHUB_PRIVATE_KEY and GITHUB_INSTALLATION_ID (or use GITHUB_TOKEN instead) (see README.md#environment-variables)',
      'GITHUB_INSTALLATION_ID is not set, but GITHUB_APP_ID is: a GitHub App needs all three of GITHUB_APP_ID, GITHUB_PRIVATE_KEY and GITHUB_INSTALLATION_ID (or use GITHUB_TOKEN instead) (see README.md#environment-variables)',
    ]);
  });

  it('never prints a secret, even a malformed one', () => {
    const error = envError({
      SLACK_SIGNING_SECRET: REQUIRED.SLACK_SIGNING_SECRET,
      GITHUB_TOKEN: 'ghp_very-secret-token',
      GITHUB_PRIVATE_KEY: 'hunter2',
      GITHUB_INSTALLATION_ID: '67890',
      DATABASE_URL: 'postgres//tugboat:hunter2@db',
    });
    expect(error.lines.map((line) => line.split(' ')[0])).toEqual([
      'DATABASE_URL',
      'SLACK_BOT_TOKEN',
      'GITHUB_PRIVATE_KEY',
      'GITHUB_WEBHOOK_SECRET',
      'GITHUB_APP_ID',
    ]);
    expectNoSecrets(error);
  });
});
