import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.ts';
import { chooseMode } from '../../src/main.ts';
import { SANDBOX_CONFIG } from '../../src/sandbox/main.ts';
import { channelNames } from '../../src/sandbox/seed.ts';
import { parseCommandLine } from '../../src/sandbox/commands.ts';

describe('choosing the sandbox at start', () => {
  it('starts tugboat for real, never the sandbox, when Slack credentials are set', () => {
    expect(chooseMode([], { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', GITHUB_WEBHOOK_SECRET: 'g' })).toBe(
      'tugboat',
    );
    // Half-configured is a mistake to report, not a reason to open a sandbox.
    expect(chooseMode([], { SLACK_SIGNING_SECRET: 's' })).toBe('tugboat');
    expect(chooseMode([], { SLACK_BOT_TOKEN: 'xoxb-1' })).toBe('tugboat');
  });

  it('starts the sandbox without Slack credentials, or with --sandbox', () => {
    expect(chooseMode([], {})).toBe('sandbox');
    expect(chooseMode([], { SLACK_BOT_TOKEN: '  ' })).toBe('sandbox');
    expect(chooseMode(['--sandbox'], { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' })).toBe('sandbox');
  });

  it('never starts the sandbox by accident in production (the Docker image sets NODE_ENV)', () => {
    expect(chooseMode([], { NODE_ENV: 'production' })).toBe('tugboat');
  });
});

describe('examples/sandbox.yml', () => {
  it('is a valid config with two services in two environments, deployed by command, with quick smoke checks', () => {
    const config = loadConfig(SANDBOX_CONFIG);
    expect(Object.keys(config.services)).toEqual(['api', 'web']);
    expect(Object.keys(config.environments)).toEqual(['staging', 'production']);
    for (const service of Object.values(config.services)) {
      expect(service.deploy).toEqual({
        via: 'command',
        run: ['node', 'sandbox-deploy.mjs'],
        env: ['TUGBOAT_SANDBOX_URL'],
      });
      for (const env of ['staging', 'production']) expect(service.smoke[env]?.[0].every).toBeLessThanOrEqual(10_000);
    }
    expect(config.incidents.failures_before_alert).toBeLessThanOrEqual(3);
    expect(Object.keys(config.people)).toHaveLength(4);
    expect([...channelNames(config).values()]).toEqual([
      'deploys-staging',
      'deploys-production',
      'code-review',
      'team-api',
    ]);
  });
});

describe('the composer', () => {
  it('splits a typed command as Slack does, and names the valid commands for an unknown one', () => {
    expect(parseCommandLine('/lock prod for 30m  migrating ')).toEqual({
      ok: true,
      command: '/lock',
      text: 'prod for 30m  migrating',
    });
    expect(parseCommandLine('/locks')).toEqual({ ok: true, command: '/locks', text: '' });
    expect(parseCommandLine('lock prod')).toMatchObject({
      ok: false,
      error: expect.stringContaining('Type a slash command'),
    });
    expect(parseCommandLine('/deplyo api')).toMatchObject({
      ok: false,
      error: expect.stringContaining('/deplyo is not a valid command'),
    });
  });
});
