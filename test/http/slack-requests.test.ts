import { afterEach, describe, expect, it } from 'vitest';
import { slackSignature } from '../../src/fakes/signing.ts';
import { SECRETS, startHarness, type Harness } from '../helpers/harness.ts';
import { storeBackends } from '../helpers/stores.ts';

const [pglite] = storeBackends;
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const locksCommand = form({
  command: '/locks',
  text: '',
  user_id: 'U0ALICE',
  channel_id: 'C0RANDOM',
  team_id: 'T0',
  response_url: 'http://127.0.0.1:1/none',
});
const nowSec = () => Math.floor(Date.now() / 1000);

describe('requests to /slack/events', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  it('rejects forged, stale and future-dated signatures with 401 and runs nothing', async () => {
    h = await startHarness({ backend: pglite });
    const type = 'application/x-www-form-urlencoded';
    const forged = await h.slack.send(locksCommand, type, { 'x-slack-signature': 'v0=' + '0'.repeat(64) });
    expect(forged.status).toBe(401);
    const stale = await h.slack.send(locksCommand, type, {}, nowSec() - 6 * 60);
    expect(stale.status).toBe(401);
    const future = await h.slack.send(locksCommand, type, {}, nowSec() + 6 * 60);
    expect(future.status).toBe(401);
    const unsigned = await fetch(`${h.url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': type },
      body: locksCommand,
    });
    expect(unsigned.status).toBe(401);
    await h.tugboat.settle();
    expect(h.slackApi.calls).toEqual([]);
  });

  it('accepts a signature made exactly as Slack makes it', async () => {
    h = await startHarness({ backend: pglite });
    const ts = nowSec();
    const response = await fetch(`${h.url}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(ts),
        'x-slack-signature': slackSignature(SECRETS.signingSecret, ts, locksCommand),
      },
      body: locksCommand,
    });
    expect(response.status).toBe(200);
  });

  it('answers garbage with a 4xx and keeps serving', async () => {
    h = await startHarness({ backend: pglite });
    for (const [body, type] of [
      ['{not json', 'application/json'],
      ['payload=%7Bbroken', 'application/x-www-form-urlencoded'],
      ['\u0000\u0001\u0002', 'application/octet-stream'],
    ]) {
      const response = await h.slack.send(body, type);
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.status).toBeLessThan(500);
    }
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });

  it('acts once on an event Slack retries with the same event_id', async () => {
    h = await startHarness({ backend: pglite });
    const event = {
      type: 'app_mention',
      user: 'U0ALICE',
      channel: 'C0RANDOM',
      text: '<@UBOT> help',
      ts: '1700000000.000100',
    };
    const first = await h.slack.event({ event, eventId: 'Ev0001' });
    const retry = await h.slack.event({ event, eventId: 'Ev0001', retryNum: 1, retryReason: 'http_timeout' });
    expect([first.status, retry.status]).toEqual([200, 200]);
    await h.tugboat.settle();
    expect(h.slackApi.callsTo('chat.postMessage')).toHaveLength(1);
    expect(h.slackApi.callsTo('chat.postMessage')[0].args).toMatchObject({
      channel: 'C0RANDOM',
      thread_ts: '1700000000.000100',
    });
  });

  it('calls no Slack API before acknowledging a command (Bolt’s per-request auth.test is avoided)', async () => {
    h = await startHarness({ backend: pglite });
    for (let i = 0; i < 3; i++)
      await h.slack.slashCommand({ command: '/locks', text: '', userId: 'U0ALICE', channelId: 'C0RANDOM' });
    await h.tugboat.settle();
    expect(h.slackApi.calls.map((c) => c.method)).toEqual([]);
    expect(h.slackApi.responses).toHaveLength(3);
  });

  it('answers within Slack’s limit while the database is slow, then replies', async () => {
    h = await startHarness({ backend: pglite });
    const query = h.db.store.query.bind(h.db.store);
    h.db.store.query = async (sql, params) => {
      await new Promise((r) => setTimeout(r, 3500));
      return query(sql, params);
    };
    const started = Date.now();
    const sent = await h.slack.slashCommand({ command: '/locks', text: '', userId: 'U0ALICE', channelId: 'C0RANDOM' });
    expect(sent.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1000);
    await h.tugboat.settle();
    expect(h.slackApi.responses.map((r) => r.body.text)).toEqual(['No locks are held.']);
  });
});
