import { ErrorCode, LogLevel, WebClient, type WebAPIPlatformError } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeSlackApi } from '../../src/fakes/slack-api.ts';

const TOKEN = 'xoxb-fake-token';

let fake: FakeSlackApi;
let slack: WebClient;

function client(options: ConstructorParameters<typeof WebClient>[1] = {}, token = TOKEN): WebClient {
  return new WebClient(token, {
    slackApiUrl: fake.url,
    retryConfig: { retries: 0 },
    logLevel: LogLevel.ERROR,
    ...options,
  });
}

/** The Slack error code of a rejected Web API call. */
async function slackError(call: Promise<unknown>): Promise<string> {
  const error = (await call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (rejection: unknown) => rejection,
  )) as WebAPIPlatformError;
  expect(error.code).toBe(ErrorCode.PlatformError);
  return error.data.error;
}

beforeAll(async () => {
  fake = await FakeSlackApi.start({ token: TOKEN });
});

afterAll(async () => {
  await fake.close();
});

beforeEach(() => {
  fake.reset();
  fake.addUser({ id: 'U0ALICE', name: 'alice', real_name: 'Alice L.', email: 'alice@example.com', tz: 'Europe/Paris' });
  fake.addUser({ id: 'U0BOB', name: 'bob' });
  fake.addChannel({ id: 'C0DEPLOYS', name: 'deploys', members: ['U0ALICE'] });
  slack = client();
});

describe('auth', () => {
  it('answers auth.test with the bot identity Bolt asks for at start-up', async () => {
    const identity = await slack.auth.test();
    expect(identity).toMatchObject({
      ok: true,
      url: 'https://tugboat-sandbox.slack.com/',
      team_id: fake.team.id,
      user_id: fake.bot.userId,
      bot_id: fake.bot.botId,
    });
  });

  it('refuses a wrong token with invalid_auth and a missing one with not_authed', async () => {
    expect(await slackError(client({}, 'xoxb-wrong').auth.test())).toBe('invalid_auth');
    expect(await slackError(client({}, '').auth.test())).toBe('not_authed');
  });

  it('accepts JSON bodies with a bearer token', async () => {
    const response = await fetch(`${fake.url}chat.postMessage`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ channel: 'C0DEPLOYS', text: 'from json', blocks: [{ type: 'divider' }] }),
    });
    expect(await response.json()).toMatchObject({ ok: true, channel: 'C0DEPLOYS' });
    expect(fake.messages('C0DEPLOYS')[0].blocks).toEqual([{ type: 'divider' }]);
  });

  it('answers unknown_method for methods it does not implement', async () => {
    expect(await slackError(slack.apiCall('no.such.method'))).toBe('unknown_method');
    expect(fake.callsTo('no.such.method')).toHaveLength(1);
  });
});

describe('chat', () => {
  it('posts a message, decoding form-encoded blocks, with a Slack timestamp', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*deploying*' } }];
    const posted = await slack.chat.postMessage({ channel: 'C0DEPLOYS', text: 'deploying', blocks });

    expect(posted).toMatchObject({ ok: true, channel: 'C0DEPLOYS', message: { text: 'deploying', blocks } });
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(fake.callsTo('chat.postMessage')[0].args).toMatchObject({ channel: 'C0DEPLOYS', blocks });
    expect(fake.messages('deploys')).toEqual([expect.objectContaining({ ts: posted.ts, text: 'deploying' })]);
  });

  it('gives every message a later ts than the one before', async () => {
    const first = await slack.chat.postMessage({ channel: 'C0DEPLOYS', text: 'one' });
    const second = await slack.chat.postMessage({ channel: 'C0DEPLOYS', text: 'two' });
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
  });

  it('refuses a message without text or blocks, and an unknown channel', async () => {
    expect(await slackError(slack.chat.postMessage({ channel: 'C0DEPLOYS', text: '' }))).toBe('no_text');
    expect(await slackError(slack.chat.postMessage({ channel: 'C0NOPE', text: 'hi' }))).toBe('channel_not_found');
  });

  it('keeps thread replies in the thread, counted on the parent', async () => {
    const parent = await slack.chat.postMessage({ channel: 'C0DEPLOYS', text: 'deploy #1' });
    await slack.chat.postMessage({ channel: 'C0DEPLOYS', text: 'step 1', thread_ts: parent.ts });

    expect(fake.messages('C0DEPLOYS').map((m) => m.text)).toEqual(['deploy #1']);
    expect(fake.thread('C0DEPLOYS', parent.ts as string).map((m) => m.text)).toEqual(['deploy #1', 'step 1']);
    expect(fake.messages('C0DEPLOYS')[0]).toMatchObject({ reply_count: 1, thread_ts: parent.ts });
  });

  it('edits a message in place with chat.update, and knows unknown timestamps', async () => {
    const posted = await slack.chat.postMessage({ channel: 'C0DEPLOYS', text: 'deploying…' });
    const updated = await slack.chat.update({ channel: 'C0DEPLOYS', ts: posted.ts as string, text: 'deployed' });

    expect(updated).toMatchObject({ ok: true, ts: posted.ts, text: 'deployed' });
    expect(fake.messages('C0DEPLOYS')).toEqual([expect.objectContaining({ ts: posted.ts, text: 'deployed' })]);
    expect(await slackError(slack.chat.update({ channel: 'C0DEPLOYS', ts: '1.000001', text: 'x' }))).toBe(
      'message_not_found',
    );
  });

  it('deletes messages', async () => {
    const posted = await slack.chat.postMessage({ channel: 'C0DEPLOYS', text: 'oops' });
    await slack.chat.delete({ channel: 'C0DEPLOYS', ts: posted.ts as string });
    expect(fake.messages('C0DEPLOYS')).toEqual([]);
  });

  it('posts to a user ID in the DM with that user, whose ID stays the same', async () => {
    const first = await slack.chat.postMessage({ channel: 'U0ALICE', text: 'review please' });
    const second = await slack.chat.postMessage({ channel: 'U0ALICE', text: 'again' });
    const opened = await slack.conversations.open({ users: 'U0ALICE' });

    expect(first.channel).toMatch(/^D/);
    expect(second.channel).toBe(first.channel);
    expect(opened.channel?.id).toBe(first.channel);
    expect(fake.messages('U0ALICE').map((m) => m.text)).toEqual(['review please', 'again']);
  });

  it('keeps ephemeral messages apart, with their user', async () => {
    const sent = await slack.chat.postEphemeral({ channel: 'C0DEPLOYS', user: 'U0ALICE', text: 'only you' });

    expect(sent.message_ts).toMatch(/^\d+\.\d{6}$/);
    expect(fake.messages('C0DEPLOYS')).toEqual([]);
    expect(fake.ephemerals('U0ALICE')).toEqual([
      expect.objectContaining({ channel: 'C0DEPLOYS', text: 'only you', source: 'chat.postEphemeral' }),
    ]);
    expect(await slackError(slack.chat.postEphemeral({ channel: 'C0DEPLOYS', user: 'U0BOB', text: 'x' }))).toBe(
      'user_not_in_channel',
    );
  });
});

describe('conversations', () => {
  it('creates a channel, then refuses the same name with name_taken', async () => {
    const created = await slack.conversations.create({ name: 'inc-20261120-api-production' });
    expect(created.channel).toMatchObject({ name: 'inc-20261120-api-production', is_private: false, is_member: true });
    expect(created.channel?.id).toMatch(/^C/);
    expect(fake.channel('inc-20261120-api-production')?.id).toBe(created.channel?.id);

    expect(await slackError(slack.conversations.create({ name: 'inc-20261120-api-production' }))).toBe('name_taken');
  });

  it('applies Slack channel-name rules', async () => {
    expect(await slackError(slack.conversations.create({ name: 'Has Spaces' }))).toBe('invalid_name_specials');
    expect(await slackError(slack.conversations.create({ name: 'x'.repeat(81) }))).toBe('invalid_name_maxlength');
  });

  it('invites users, lists members and sets a topic of at most 250 characters', async () => {
    const { channel } = await slack.conversations.create({ name: 'inc-1' });
    const id = channel?.id as string;
    await slack.conversations.invite({ channel: id, users: 'U0ALICE,U0BOB' });
    await slack.conversations.setTopic({ channel: id, topic: 'api is down' });

    expect((await slack.conversations.members({ channel: id })).members).toEqual([fake.bot.userId, 'U0ALICE', 'U0BOB']);
    expect((await slack.conversations.info({ channel: id })).channel?.topic?.value).toBe('api is down');
    expect(await slackError(slack.conversations.setTopic({ channel: id, topic: 'x'.repeat(251) }))).toBe('too_long');
    expect(await slackError(slack.conversations.invite({ channel: id, users: 'U0BOB' }))).toBe('already_in_channel');
    expect(await slackError(slack.conversations.invite({ channel: id, users: 'U0NOBODY' }))).toBe('user_not_found');
  });
});

describe('users, reactions, pins and views', () => {
  it('looks people up by ID and by email', async () => {
    const { user } = await slack.users.info({ user: 'U0ALICE' });
    expect(user).toMatchObject({ id: 'U0ALICE', name: 'alice', real_name: 'Alice L.', tz: 'Europe/Paris' });
    expect(user?.profile?.email).toBe('alice@example.com');
    expect((await slack.users.lookupByEmail({ email: 'ALICE@example.com' })).user?.id).toBe('U0ALICE');

    expect(await slackError(slack.users.info({ user: 'U0NOBODY' }))).toBe('user_not_found');
    expect(await slackError(slack.users.lookupByEmail({ email: 'who@example.com' }))).toBe('users_not_found');
  });

  it('adds reactions and pins to messages', async () => {
    const posted = await slack.chat.postMessage({ channel: 'C0DEPLOYS', text: 'incident' });
    const ts = posted.ts as string;
    await slack.reactions.add({ channel: 'C0DEPLOYS', timestamp: ts, name: 'rotating_light' });
    await slack.pins.add({ channel: 'C0DEPLOYS', timestamp: ts });

    expect(fake.messages('C0DEPLOYS')[0]).toMatchObject({
      reactions: [{ name: 'rotating_light', count: 1 }],
      pinned_to: ['C0DEPLOYS'],
    });
    expect(await slackError(slack.reactions.add({ channel: 'C0DEPLOYS', timestamp: ts, name: 'rotating_light' }))).toBe(
      'already_reacted',
    );
  });

  it('opens a modal once per trigger_id and publishes home tabs', async () => {
    const trigger = fake.triggerId();
    const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Deploy' }, blocks: [] };
    const opened = await slack.views.open({ trigger_id: trigger, view });
    await slack.views.publish({ user_id: 'U0ALICE', view: { type: 'home', blocks: [] } });

    expect(opened.view).toMatchObject({ type: 'modal', title: { text: 'Deploy' }, id: expect.stringMatching(/^V/) });
    expect(fake.views().map((v) => v.type)).toEqual(['modal', 'home']);
    expect(await slackError(slack.views.open({ trigger_id: trigger, view }))).toBe('exchanged_trigger_id');
    expect(await slackError(slack.views.open({ trigger_id: 'made-up', view }))).toBe('invalid_trigger_id');
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After, which WebClient honours before retrying', async () => {
    fake.rateLimit({ method: 'chat.postMessage', retryAfterSeconds: 1 });
    const started = Date.now();
    const posted = await client({ retryConfig: { retries: 1 } }).chat.postMessage({ channel: 'C0DEPLOYS', text: 'hi' });

    expect(posted.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(fake.rateLimited).toEqual([
      expect.objectContaining({
        method: 'chat.postMessage',
        retryAfterSeconds: 1,
        args: expect.objectContaining({ text: 'hi' }),
      }),
    ]);
    expect(fake.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('surfaces retryAfter in WebAPIRateLimitedError with rejectRateLimitedCalls', async () => {
    fake.rateLimit({ channel: 'C0DEPLOYS', retryAfterSeconds: 30, times: 2 });
    const rejecting = client({ rejectRateLimitedCalls: true });

    await expect(rejecting.chat.postMessage({ channel: 'C0DEPLOYS', text: 'a' })).rejects.toMatchObject({
      code: ErrorCode.RateLimitedError,
      retryAfter: 30,
    });
    await expect(
      rejecting.chat.postMessage({ channel: 'U0BOB', text: 'other channels are fine' }),
    ).resolves.toMatchObject({
      ok: true,
    });
    await expect(rejecting.chat.postMessage({ channel: 'C0DEPLOYS', text: 'b' })).rejects.toMatchObject({
      retryAfter: 30,
    });
    await expect(rejecting.chat.postMessage({ channel: 'C0DEPLOYS', text: 'c' })).resolves.toMatchObject({ ok: true });
    expect(fake.rateLimited.map((call) => call.args.text)).toEqual(['a', 'b']);
  });
});

describe('waiting for calls', () => {
  it('resolves with a call made before or after waiting starts', async () => {
    await slack.chat.postMessage({ channel: 'C0DEPLOYS', text: 'early' });
    const early = await fake.waitFor('chat.postMessage');
    const late = fake.waitFor('chat.postMessage', (call) => call.args.text === 'late');
    await slack.chat.postMessage({ channel: 'C0DEPLOYS', text: 'late' });

    expect(early.args.text).toBe('early');
    expect((await late).response).toMatchObject({ ok: true, channel: 'C0DEPLOYS' });
  });

  it('times out listing the calls it did receive', async () => {
    await slack.chat.postMessage({ channel: 'C0DEPLOYS', text: 'something else' });
    await expect(fake.waitFor('chat.update', undefined, 50)).rejects.toThrow(
      /Timed out after 50 ms: no chat.update call matched; calls received:\n {2}- chat.postMessage .*something else/,
    );
  });
});

describe('response_url', () => {
  async function respond(url: string, body: Record<string, unknown>): Promise<Response> {
    return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  }

  it('records posts, showing ephemeral ones to the user and in_channel ones in the channel', async () => {
    const url = fake.responseUrl({ channel: 'C0DEPLOYS', user: 'U0ALICE' });
    expect(url).toMatch(new RegExp(`^${fake.origin}/response/`));

    expect((await respond(url, { text: 'just you' })).status).toBe(200);
    expect((await respond(url, { text: 'everyone', response_type: 'in_channel' })).status).toBe(200);

    expect((await fake.waitForResponse((post) => post.body.text === 'everyone')).status).toBe(200);
    expect(fake.ephemerals('U0ALICE')).toEqual([expect.objectContaining({ text: 'just you', source: 'response_url' })]);
    expect(fake.messages('C0DEPLOYS').map((m) => m.text)).toEqual(['everyone']);
  });

  it('replaces or deletes the message it came from', async () => {
    const posted = await slack.chat.postMessage({ channel: 'C0DEPLOYS', text: 'Roll back?' });
    const source = { ts: posted.ts as string, ephemeral: false };
    const url = fake.responseUrl({ channel: 'C0DEPLOYS', user: 'U0ALICE', source });

    await respond(url, { replace_original: true, text: 'Rolling back…' });
    expect(fake.messages('C0DEPLOYS')).toEqual([expect.objectContaining({ ts: posted.ts, text: 'Rolling back…' })]);
    await respond(url, { delete_original: true });
    expect(fake.messages('C0DEPLOYS')).toEqual([]);
  });

  it('accepts 5 posts, then answers 404 used_url', async () => {
    const url = fake.responseUrl({ channel: 'C0DEPLOYS', user: 'U0ALICE' });
    const statuses: number[] = [];
    for (let post = 1; post <= 6; post += 1) statuses.push((await respond(url, { text: `#${post}` })).status);
    const refused = await respond(url, { text: 'again' });

    expect(statuses).toEqual([200, 200, 200, 200, 200, 404]);
    expect(await refused.json()).toEqual({ ok: false, error: 'used_url' });
    expect(fake.responses.at(-1)).toMatchObject({ status: 404, error: 'used_url' });
  });

  it('expires 30 minutes after it was minted', async () => {
    let now = Date.parse('2026-11-20T15:00:00Z');
    const clocked = await FakeSlackApi.start({ now: () => now });
    try {
      const url = clocked.responseUrl();
      now += 30 * 60 * 1000 + 1;
      const response = await respond(url, { text: 'too late' });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ ok: false, error: 'expired_url' });
    } finally {
      await clocked.close();
    }
  });
});

describe('state', () => {
  it('notifies change listeners when the state changes, not on reads', async () => {
    const reasons: string[] = [];
    const unsubscribe = fake.on('change', ({ reason }) => reasons.push(reason));
    await slack.auth.test();
    await slack.chat.postMessage({ channel: 'C0DEPLOYS', text: 'hi' });
    unsubscribe();
    await slack.chat.postMessage({ channel: 'C0DEPLOYS', text: 'unheard' });

    expect(reasons).toEqual(['chat.postMessage']);
  });

  it('forgets calls, channels and messages on reset', async () => {
    await slack.chat.postMessage({ channel: 'C0DEPLOYS', text: 'hi' });
    fake.reset();

    expect(fake.calls).toEqual([]);
    expect(fake.channel('C0DEPLOYS')).toBeUndefined();
    expect(fake.users().map((user) => user.id)).toEqual([fake.bot.userId]);
  });
});
