import type { AddressInfo } from 'node:net';
import {
  App,
  LogLevel,
  type AllMiddlewareArgs,
  type BlockAction,
  type ButtonAction,
  type SlackActionMiddlewareArgs,
  type SlackCommandMiddlewareArgs,
  type SlackEventMiddlewareArgs,
} from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeSlackApi } from '../../src/fakes/slack-api.ts';
import { SlackSender } from '../../src/fakes/slack-client.ts';

const TOKEN = 'xoxb-fake-token';
const SIGNING_SECRET = 'slack-signing-secret';

type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;
type ActionArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
type MentionArgs = SlackEventMiddlewareArgs<'app_mention'> & AllMiddlewareArgs;

let api: FakeSlackApi;
let app: App;
let slack: SlackSender;
let webClient: WebClient;
let onCommand: (args: CommandArgs) => Promise<void>;
let onAction: (args: ActionArgs) => Promise<void>;
let onMention: (args: MentionArgs) => Promise<void>;

beforeAll(async () => {
  api = await FakeSlackApi.start({ token: TOKEN });
  app = new App({
    token: TOKEN,
    signingSecret: SIGNING_SECRET,
    logLevel: LogLevel.ERROR,
    clientOptions: { slackApiUrl: api.url, retryConfig: { retries: 0 } },
  });
  app.command('/deploy', (args) => onCommand(args));
  app.action<BlockAction<ButtonAction>>('rollback', (args) => onAction(args));
  app.event('app_mention', (args) => onMention(args));
  const server = await app.start({ port: 0, host: '127.0.0.1' });
  const { port } = server.address() as AddressInfo;
  slack = new SlackSender({ appUrl: `http://127.0.0.1:${port}/slack/events`, signingSecret: SIGNING_SECRET, api });
  webClient = new WebClient(TOKEN, { slackApiUrl: api.url, retryConfig: { retries: 0 } });
});

afterAll(async () => {
  await app.stop();
  await api.close();
});

beforeEach(() => {
  api.reset();
  api.addUser({ id: 'U0ALICE', name: 'alice' });
  api.addChannel({ id: 'C0DEPLOYS', name: 'deploys', members: ['U0ALICE'] });
});

describe('slash commands', () => {
  it('sends the fields Slack sends, signed so that Bolt accepts them', async () => {
    let received: CommandArgs['command'] | undefined;
    onCommand = async ({ command, ack }) => {
      received = command;
      await ack();
    };
    const { status, responseUrl } = await slack.slashCommand({
      command: '/deploy',
      text: 'api main to production',
      userId: 'U0ALICE',
      channelId: 'C0DEPLOYS',
    });

    expect(status).toBe(200);
    expect(received).toMatchObject({
      command: '/deploy',
      text: 'api main to production',
      user_id: 'U0ALICE',
      user_name: 'alice',
      channel_id: 'C0DEPLOYS',
      channel_name: 'deploys',
      team_id: api.team.id,
      team_domain: api.team.domain,
      api_app_id: api.bot.appId,
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: expect.any(String),
    });
  });

  it('shows the ack message to the user, and respond() posts through the response_url', async () => {
    onCommand = async ({ ack, respond }) => {
      await ack('Deploying api…');
      await respond({ response_type: 'in_channel', text: 'api is live' });
    };
    await slack.slashCommand({ command: '/deploy', text: 'api', userId: 'U0ALICE', channelId: 'C0DEPLOYS' });
    await api.waitForResponse((post) => post.body.text === 'api is live');

    expect(api.ephemerals('U0ALICE')).toEqual([
      expect.objectContaining({ channel: 'C0DEPLOYS', text: 'Deploying api…', source: 'command_response' }),
    ]);
    expect(api.messages('C0DEPLOYS').map((message) => message.text)).toEqual(['api is live']);
  });

  it('adds an unknown sender and channel to the workspace, as Slack only sends from real ones', async () => {
    onCommand = async ({ ack }) => ack();
    await slack.slashCommand({
      command: '/deploy',
      text: '',
      userId: 'U0CAROL',
      userName: 'carol',
      channelId: 'C0NEW',
    });

    expect(api.user('U0CAROL')?.name).toBe('carol');
    expect(api.channel('C0NEW')?.members).toEqual(['U0CAROL']);
  });

  it('hands over a trigger_id that opens a modal', async () => {
    onCommand = async ({ ack, client, command }) => {
      await ack();
      await client.views.open({
        trigger_id: command.trigger_id,
        view: { type: 'modal', title: { type: 'plain_text', text: 'Deploy' }, blocks: [] },
      });
    };
    await slack.slashCommand({ command: '/deploy', text: '', userId: 'U0ALICE', channelId: 'C0DEPLOYS' });

    expect((await api.waitFor('views.open')).response.ok).toBe(true);
  });

  it('lets tests send forged and stale requests, which Bolt refuses', async () => {
    let handled = false;
    onCommand = async ({ ack }) => {
      handled = true;
      await ack();
    };
    const body = 'command=%2Fdeploy&text=api';
    const forged = await slack.send(body, 'application/x-www-form-urlencoded', { 'X-Slack-Signature': 'v0=forged' });
    const stale = await slack.send(body, 'application/x-www-form-urlencoded', {}, Math.floor(Date.now() / 1000) - 600);

    expect([forged.status, stale.status]).toEqual([401, 401]);
    expect(handled).toBe(false);
  });
});

describe('button clicks', () => {
  const rollbackButton = {
    type: 'actions',
    block_id: 'deploy-7',
    elements: [
      { type: 'button', action_id: 'rollback', value: 'deploy:7', text: { type: 'plain_text', text: 'Roll back' } },
    ],
  };

  it('clicks the newest button with that action_id and lets the app replace the message', async () => {
    const posted = await webClient.chat.postMessage({
      channel: 'C0DEPLOYS',
      text: 'deployed',
      blocks: [rollbackButton],
    });
    let clicked: ActionArgs['body'] | undefined;
    onAction = async ({ ack, body, respond }) => {
      clicked = body;
      await ack();
      await respond({ replace_original: true, text: 'Rolling back…' });
    };
    await slack.blockAction({ userId: 'U0ALICE', channelId: 'C0DEPLOYS', actionId: 'rollback' });
    await api.waitForResponse();

    expect(clicked).toMatchObject({
      type: 'block_actions',
      user: { id: 'U0ALICE' },
      channel: { id: 'C0DEPLOYS', name: 'deploys' },
      container: { type: 'message', message_ts: posted.ts, channel_id: 'C0DEPLOYS', is_ephemeral: false },
      message: { ts: posted.ts, text: 'deployed' },
      actions: [{ action_id: 'rollback', block_id: 'deploy-7', value: 'deploy:7', type: 'button' }],
    });
    expect(api.messages('C0DEPLOYS')).toEqual([expect.objectContaining({ ts: posted.ts, text: 'Rolling back…' })]);
    expect(api.messages('C0DEPLOYS')[0].blocks).toBeUndefined();
  });

  it('clicks buttons in ephemeral messages, which Slack sends without the message', async () => {
    await webClient.chat.postEphemeral({
      channel: 'C0DEPLOYS',
      user: 'U0ALICE',
      text: 'sure?',
      blocks: [rollbackButton],
    });
    let clicked: ActionArgs['body'] | undefined;
    onAction = async ({ ack, body, respond }) => {
      clicked = body;
      await ack();
      await respond({ delete_original: true });
    };
    await slack.blockAction({ userId: 'U0ALICE', channelId: 'C0DEPLOYS', actionId: 'rollback', value: 'deploy:8' });
    await api.waitForResponse();

    expect(clicked?.container).toMatchObject({ is_ephemeral: true });
    expect(clicked?.message).toBeUndefined();
    expect(clicked?.actions[0].value).toBe('deploy:8');
    expect(api.ephemerals('U0ALICE')).toEqual([]);
  });

  it('says so when no message has that button', async () => {
    await expect(slack.blockAction({ userId: 'U0ALICE', channelId: 'C0DEPLOYS', actionId: 'nope' })).rejects.toThrow(
      /No message in C0DEPLOYS visible to U0ALICE has an element with action_id nope/,
    );
  });
});

describe('events', () => {
  it('delivers event_callback bodies, with retry headers on retries', async () => {
    const seen: Array<{ eventId: unknown; text: string; retryNum: unknown; retryReason: unknown }> = [];
    onMention = async ({ event, body, context }) => {
      seen.push({
        eventId: body.event_id,
        text: event.text,
        retryNum: context.retryNum,
        retryReason: context.retryReason,
      });
    };
    const mention = { type: 'app_mention', user: 'U0ALICE', channel: 'C0DEPLOYS', text: '<@U0TUGBOAT> status' };
    const first = await slack.event({ event: mention });
    await slack.event({ event: mention, eventId: first.eventId, retryNum: 1, retryReason: 'http_timeout' });

    expect(first.status).toBe(200);
    expect(seen).toEqual([
      { eventId: first.eventId, text: '<@U0TUGBOAT> status', retryNum: undefined, retryReason: undefined },
      { eventId: first.eventId, text: '<@U0TUGBOAT> status', retryNum: 1, retryReason: 'http_timeout' },
    ]);
  });
});
