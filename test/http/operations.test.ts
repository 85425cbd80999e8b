import { afterEach, describe, expect, it } from 'vitest';
import { createTugboat } from '../../src/app.ts';
import { parseConfig } from '../../src/config/index.ts';
import { createLogger } from '../../src/log.ts';
import { openStore, migrate } from '../../src/store/index.ts';
import { FIXTURE_CONFIG, SECRETS, startHarness, type Harness } from '../helpers/harness.ts';
import { storeBackends } from '../helpers/stores.ts';

const [pglite] = storeBackends;

describe('health, readiness and metrics', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  it('is not ready until migrations are applied, then ready', async () => {
    const store = await openStore({});
    const tugboat = createTugboat({
      slack: { botToken: SECRETS.botToken, signingSecret: SECRETS.signingSecret, apiUrl: 'http://127.0.0.1:9/api/' },
      github: { webhookSecret: SECRETS.webhookSecret, apiUrl: 'http://127.0.0.1:9' },
      deploys: { commandCwd: process.cwd() },
      config: parseConfig(FIXTURE_CONFIG, 'tugboat.yml'),
      store,
      log: createLogger({ level: 'silent' }),
    });
    const url = `http://127.0.0.1:${await tugboat.listen(0, '127.0.0.1')}`;
    try {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/readyz`)).status).toBe(503);
      await migrate(store);
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
    } finally {
      await tugboat.close();
      await store.close();
    }
  });

  it('exports request counts and latencies by route, Slack calls and locks held', async () => {
    h = await startHarness({ backend: pglite });
    await h.slack.slashCommand({ command: '/lock', text: 'prod', userId: 'U0ALICE', channelId: 'C0DEPLOYS' });
    await h.tugboat.settle();
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/tugboat_http_requests_total\{route="\/slack\/events",method="POST",status="200"\} 1/);
    expect(metrics).toMatch(/tugboat_http_request_duration_seconds_count\{route="\/slack\/events"\} 1/);
    expect(metrics).toMatch(/tugboat_slack_api_calls_total\{method="chat.postMessage",outcome="ok"\} 1/);
    expect(metrics).toMatch(/tugboat_locks_held 1/);
  });
});

describe('Slack rate limits', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  it('waits out a 429 in the busy channel only, and still delivers there', async () => {
    h = await startHarness({ backend: pglite });
    h.slackApi.rateLimit({ channel: 'C0DEPLOYS', retryAfterSeconds: 2, times: 1 });
    await h.slack.slashCommand({ command: '/lock', text: 'prod', userId: 'U0ALICE', channelId: 'C0DEPLOYS' });
    const started = Date.now();
    await h.slack.slashCommand({ command: '/lock', text: 'staging', userId: 'U0BOB', channelId: 'C0STAGING' });
    await h.slackApi.waitFor('chat.postMessage', (c) => c.args.channel === 'C0STAGING');
    expect(Date.now() - started).toBeLessThan(1000);
    await h.tugboat.settle();
    const deploys = h.slackApi.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0DEPLOYS');
    expect(deploys).toHaveLength(1);
    expect(h.slackApi.rateLimited).toHaveLength(1);
    expect(deploys[0].at - h.slackApi.rateLimited[0].at).toBeGreaterThanOrEqual(1900);
  });

  it('spaces posts into one channel about a second apart', async () => {
    h = await startHarness({ backend: pglite, poster: { minIntervalMs: 1000 } });
    for (const env of ['staging', 'api@prod']) {
      await h.slack.slashCommand({ command: '/lock', text: env, userId: 'U0ALICE', channelId: 'C0OPS' });
    }
    await h.tugboat.settle();
    const ops = h.slackApi.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0OPS');
    expect(ops).toHaveLength(2);
    expect(ops[1].at - ops[0].at).toBeGreaterThanOrEqual(1000);
  });
});

describe('logs', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  it('never contain a secret, even inside an error message', async () => {
    h = await startHarness({ backend: pglite });
    await h.slack.slashCommand({ command: '/lock', text: 'prod', userId: 'U0ALICE', channelId: 'C0DEPLOYS' });
    await h.slack.send('{bad', 'application/json', { 'x-slack-signature': `v0=${SECRETS.signingSecret}` });
    await h.tugboat.settle();
    h.tugboat.deps.log.error(
      { token: SECRETS.botToken, err: new Error(`boom with ${SECRETS.webhookSecret}`) },
      `url has ${SECRETS.botToken}`,
    );
    const all = h.logs.raw.join('\n');
    expect(h.logs.raw.length).toBeGreaterThan(0);
    for (const secret of Object.values(SECRETS)) expect(all).not.toContain(secret);
    expect(all).toContain('[Redacted]');
  });
});

describe('shutdown', () => {
  it('finishes work in flight before closing', async () => {
    const h = await startHarness({ backend: pglite });
    const query = h.db.store.query.bind(h.db.store);
    h.db.store.query = async (sql, params) => {
      await new Promise((r) => setTimeout(r, 300));
      return query(sql, params);
    };
    await h.slack.slashCommand({ command: '/locks', text: '', userId: 'U0ALICE', channelId: 'C0RANDOM' });
    await h.tugboat.close();
    expect(h.slackApi.responses).toHaveLength(1);
    await expect(fetch(`${h.url}/healthz`)).rejects.toThrow();
    await h.slackApi.close();
    await h.db.close();
  });
});
