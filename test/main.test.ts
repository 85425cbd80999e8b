import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeSlackApi } from '../src/fakes/slack-api.ts';
import { SlackSender } from '../src/fakes/slack-client.ts';
import { FIXTURE_CONFIG, SECRETS } from './helpers/harness.ts';
import { freePort } from '../src/fakes/http.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

interface Started {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<number | null>;
}

/** `npm start` as a user runs it: the real entry point, configured only by environment variables. */
function startMain(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitFor(url: string, status = 200, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const got = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (got === status) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer ${status}`);
}

describe('the entry point', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function workdir(config = FIXTURE_CONFIG) {
    const dir = await mkdtemp(path.join(tmpdir(), 'tugboat-main-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    await writeFile(path.join(dir, 'tugboat.yml'), config);
    return dir;
  }

  it('names each missing variable on a line of its own and exits', async () => {
    // Without any Slack credential, outside production, `npm start` opens the sandbox instead.
    const main = startMain({ NODE_ENV: 'production' });
    expect(await main.exited).toBe(1);
    const lines = main.output().trim().split('\n');
    for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'GITHUB_WEBHOOK_SECRET']) {
      expect(lines.filter((l) => l.includes(name))).toHaveLength(1);
    }
    expect(lines.every((l) => l.includes('README.md#environment-variables'))).toBe(true);
  });

  it('stops with one line naming the file, key and line of a config error', async () => {
    const dir = await workdir(FIXTURE_CONFIG.replace('lock_ttl: 2h', 'lock_ttl: two hours'));
    const main = startMain({
      ...secrets(),
      TUGBOAT_CONFIG: path.join(dir, 'tugboat.yml'),
      TUGBOAT_DATA_DIR: path.join(dir, 'data'),
    });
    expect(await main.exited).toBe(1);
    expect(main.output().trim().split('\n')).toEqual([
      expect.stringMatching(/tugboat\.yml: environments\.production\.lock_ttl \(line 12\): /),
    ]);
  });

  it('starts on embedded PGlite, serves health and readiness, reloads config on SIGHUP and stops on SIGTERM', async () => {
    const slackApi = await FakeSlackApi.start({ token: SECRETS.botToken });
    cleanup.push(() => slackApi.close());
    const dir = await workdir();
    const port = await freePort();
    const main = startMain({
      ...secrets(),
      SLACK_API_URL: slackApi.url,
      PORT: String(port),
      TUGBOAT_CONFIG: path.join(dir, 'tugboat.yml'),
      TUGBOAT_DATA_DIR: path.join(dir, 'data'),
    });
    cleanup.push(async () => main.child.exitCode === null && main.child.kill('SIGKILL'));
    const url = `http://127.0.0.1:${port}`;
    await waitFor(`${url}/healthz`);
    await waitFor(`${url}/readyz`);
    const slack = new SlackSender({
      appUrl: `${url}/slack/events`,
      signingSecret: SECRETS.signingSecret,
      api: slackApi,
    });
    const lockQa = async () => {
      const sent = await slack.slashCommand({ command: '/lock', text: 'qa', userId: 'U0ALICE', channelId: 'C0QA' });
      return await slackApi
        .waitForResponse((r) => sent.responseUrl.endsWith(r.id), 5000)
        .then(
          (r) => String(r.body.text),
          () => '',
        );
    };
    expect(await lockQa()).toContain('Unknown environment `qa`');

    await writeFile(
      path.join(dir, 'tugboat.yml'),
      FIXTURE_CONFIG.replace('environments:\n', 'environments:\n  qa: { channel: C0QA }\n  broken: [\n'),
    );
    main.child.kill('SIGHUP');
    await waitUntil(() => main.output().includes('config reload failed; keeping the previous config'));
    expect(await lockQa()).toContain('Unknown environment `qa`');

    await writeFile(
      path.join(dir, 'tugboat.yml'),
      FIXTURE_CONFIG.replace('environments:\n', 'environments:\n  qa: { channel: C0QA }\n'),
    );
    main.child.kill('SIGHUP');
    await waitUntil(() => main.output().includes('config reloaded'));
    await slack.slashCommand({ command: '/lock', text: 'qa', userId: 'U0ALICE', channelId: 'C0QA' });
    await slackApi.waitFor('chat.postMessage', (c) => String(c.args.text).includes('locked *qa*'));

    main.child.kill('SIGTERM');
    expect(await main.exited).toBe(0);
    for (const secret of Object.values(SECRETS)) expect(main.output()).not.toContain(secret);
  }, 60_000);
});

function secrets() {
  return {
    SLACK_BOT_TOKEN: SECRETS.botToken,
    SLACK_SIGNING_SECRET: SECRETS.signingSecret,
    GITHUB_WEBHOOK_SECRET: SECRETS.webhookSecret,
    LOG_LEVEL: 'info',
  };
}

async function waitUntil(condition: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
