import { randomBytes } from 'node:crypto';
import { isRecord, parseJsonObject } from './http.ts';
import type { FakeSlackApi, ResponseTarget, SlackChannel, SlackMessage, SlackUser } from './slack-api.ts';
import { slackSignedHeaders } from './signing.ts';

export interface SlackSenderOptions {
  /** The app's Slack request URL, e.g. `http://127.0.0.1:3000/slack/events`. */
  appUrl: string;
  signingSecret: string;
  /** The fake Web API the app talks to: it mints response_urls and trigger_ids and shows answers. */
  api: FakeSlackApi;
  teamId?: string;
}

export interface SlackDelivery {
  status: number;
  headers: Headers;
  body: string;
}

export interface SlashCommandInput {
  command: string;
  text: string;
  userId: string;
  channelId: string;
  userName?: string;
}

export interface BlockActionInput {
  userId: string;
  channelId: string;
  actionId: string;
  /** Defaults to the value of the element on the message. */
  value?: string;
  /** Defaults to the newest message (or ephemeral message for this user) in the channel with this action. */
  messageTs?: string;
  blockId?: string;
}

export interface EventInput {
  event: Record<string, unknown>;
  eventId?: string;
  retryNum?: number;
  retryReason?: string;
}

// The legacy verification token Slack still puts in payloads; Bolt ignores it.
const VERIFICATION_TOKEN = 'fakeVerificationToken0000';
const SLACK_USER_AGENT = 'Slackbot 1.0 (+https://api.slack.com/robots)';

/**
 * Sends an app what Slack sends it — slash commands, button clicks, events — signed, over HTTP.
 * The user and channel a request comes from are added to the fake workspace if it lacks them,
 * since Slack only sends requests from people and conversations that exist.
 */
export class SlackSender {
  readonly #appUrl: string;
  readonly #signingSecret: string;
  readonly #api: FakeSlackApi;
  readonly #teamId: string | undefined;

  constructor({ appUrl, signingSecret, api, teamId }: SlackSenderOptions) {
    this.#appUrl = appUrl;
    this.#signingSecret = signingSecret;
    this.#api = api;
    this.#teamId = teamId;
  }

  get #team(): { id: string; domain: string } {
    return { id: this.#teamId ?? this.#api.team.id, domain: this.#api.team.domain };
  }

  /** Posts a raw body signed at `timestampSec`; `extraHeaders` override the signed ones (to forge requests). */
  async send(
    rawBody: string,
    contentType: string,
    extraHeaders: Record<string, string> = {},
    timestampSec?: number,
  ): Promise<SlackDelivery> {
    const headers = {
      ...slackSignedHeaders(this.#signingSecret, rawBody, contentType, timestampSec),
      'User-Agent': SLACK_USER_AGENT,
      ...extraHeaders,
    };
    const response = await fetch(this.#appUrl, { method: 'POST', headers, body: rawBody });
    return { status: response.status, headers: response.headers, body: await response.text() };
  }

  async slashCommand(input: SlashCommandInput): Promise<SlackDelivery & { responseUrl: string }> {
    const user = this.#ensureUser(input.userId, input.userName);
    const channel = this.#ensureChannel(input.channelId, user.id);
    const target = { channel: input.channelId, user: user.id };
    const responseUrl = this.#api.responseUrl(target);
    const form = new URLSearchParams({
      token: VERIFICATION_TOKEN,
      team_id: this.#team.id,
      team_domain: this.#team.domain,
      channel_id: input.channelId,
      channel_name: channelName(input.channelId, channel),
      user_id: user.id,
      user_name: user.name,
      command: input.command,
      text: input.text,
      api_app_id: this.#api.bot.appId,
      is_enterprise_install: 'false',
      response_url: responseUrl,
      trigger_id: this.#api.triggerId(),
    });
    const delivery = await this.send(form.toString(), 'application/x-www-form-urlencoded');
    if (delivery.status === 200) this.#showCommandAnswer(target, delivery);
    return { ...delivery, responseUrl };
  }

  async blockAction(input: BlockActionInput): Promise<SlackDelivery & { responseUrl: string }> {
    const user = this.#ensureUser(input.userId);
    const channel = this.#ensureChannel(input.channelId, user.id);
    const clicked = this.#findAction(input, user.id);
    const responseUrl = this.#api.responseUrl({ channel: input.channelId, user: user.id, source: clicked.source });
    const payload = {
      type: 'block_actions',
      user: { id: user.id, username: user.name, name: user.name, team_id: this.#team.id },
      api_app_id: this.#api.bot.appId,
      token: VERIFICATION_TOKEN,
      container: {
        type: 'message',
        message_ts: clicked.source.ts,
        channel_id: input.channelId,
        is_ephemeral: clicked.source.ephemeral,
        ...(clicked.message?.thread_ts ? { thread_ts: clicked.message.thread_ts } : {}),
      },
      trigger_id: this.#api.triggerId(),
      team: this.#team,
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: input.channelId, name: channelName(input.channelId, channel) },
      // Slack leaves out the message for clicks in ephemeral messages.
      ...(clicked.message ? { message: clicked.message } : {}),
      state: { values: {} },
      response_url: responseUrl,
      actions: [
        {
          action_id: input.actionId,
          block_id: input.blockId ?? clicked.blockId ?? randomBytes(3).toString('hex'),
          text: clicked.element?.text ?? { type: 'plain_text', text: input.actionId, emoji: true },
          value: input.value ?? clicked.element?.value,
          type: clicked.element?.type ?? 'button',
          action_ts: slackTsNow(),
        },
      ],
    };
    const form = new URLSearchParams({ payload: JSON.stringify(payload) });
    const delivery = await this.send(form.toString(), 'application/x-www-form-urlencoded');
    return { ...delivery, responseUrl };
  }

  async event({ event, eventId, retryNum, retryReason }: EventInput): Promise<SlackDelivery & { eventId: string }> {
    const id = eventId ?? `Ev${randomBytes(5).toString('hex').toUpperCase()}`;
    const body = {
      token: VERIFICATION_TOKEN,
      team_id: this.#team.id,
      api_app_id: this.#api.bot.appId,
      event: { event_ts: slackTsNow(), ...event },
      type: 'event_callback',
      event_id: id,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [
        {
          enterprise_id: null,
          team_id: this.#team.id,
          user_id: this.#api.bot.userId,
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
      is_ext_shared_channel: false,
    };
    const retryHeaders: Record<string, string> =
      retryNum === undefined
        ? {}
        : { 'X-Slack-Retry-Num': String(retryNum), 'X-Slack-Retry-Reason': retryReason ?? 'http_timeout' };
    const delivery = await this.send(JSON.stringify(body), 'application/json', retryHeaders);
    return { ...delivery, eventId: id };
  }

  #ensureUser(id: string, name?: string): SlackUser {
    return this.#api.user(id) ?? this.#api.addUser({ id, name: name ?? id.toLowerCase() });
  }

  #ensureChannel(id: string, memberId: string): SlackChannel | undefined {
    const channel = this.#api.channel(id);
    if (channel) {
      if (!channel.members.includes(memberId)) channel.members.push(memberId);
      return channel;
    }
    if (!/^[CG]/.test(id)) return undefined;
    return this.#api.addChannel({ id, name: id.toLowerCase(), is_private: id.startsWith('G'), members: [memberId] });
  }

  // Slack shows a command's HTTP answer to the user (ephemeral unless `response_type: in_channel`).
  #showCommandAnswer(target: ResponseTarget, delivery: SlackDelivery): void {
    if (delivery.body.trim() === '') return;
    const isJson = delivery.headers.get('content-type')?.includes('json') ?? false;
    const message = isJson ? parseJsonObject(delivery.body) : { text: delivery.body };
    if (message) this.#api.showCommandResponse(target, message);
  }

  #findAction(input: BlockActionInput, userId: string): ClickedAction {
    const candidates = this.#messagesWithActions(input.channelId, userId).filter(
      (candidate) => input.messageTs === undefined || candidate.source.ts === input.messageTs,
    );
    const newestFirst = candidates.sort((a, b) => b.source.ts.localeCompare(a.source.ts));
    for (const candidate of newestFirst) {
      const found = findElement(candidate.blocks, input.actionId);
      if (found) return { ...candidate, ...found };
    }
    if (input.messageTs !== undefined) return { source: { ts: input.messageTs, ephemeral: false } };
    throw new Error(
      `No message in ${input.channelId} visible to ${userId} has an element with action_id ${input.actionId}`,
    );
  }

  /** Every message in the channel, thread replies included, then this user's ephemeral messages there. */
  #messagesWithActions(channelId: string, userId: string): ClickedAction[] {
    if (!this.#api.channel(channelId)) return [];
    const messages = this.#api
      .messages(channelId)
      .flatMap((message) => (message.reply_count ? this.#api.thread(channelId, message.ts) : [message]));
    const ephemerals = this.#api.ephemerals(userId).filter((ephemeral) => ephemeral.channel === channelId);
    return [
      ...messages.map((message) => ({ source: { ts: message.ts, ephemeral: false }, message, blocks: message.blocks })),
      ...ephemerals.map((ephemeral) => ({ source: { ts: ephemeral.ts, ephemeral: true }, blocks: ephemeral.blocks })),
    ];
  }
}

interface ClickedAction {
  source: { ts: string; ephemeral: boolean };
  message?: SlackMessage;
  blocks?: unknown[];
  blockId?: string;
  element?: Record<string, unknown>;
}

function findElement(
  blocks: unknown[] | undefined,
  actionId: string,
): Pick<ClickedAction, 'blockId' | 'element'> | undefined {
  for (const block of blocks ?? []) {
    if (!isRecord(block)) continue;
    const elements = [...(Array.isArray(block.elements) ? block.elements : []), block.accessory, block.element];
    const element = elements.find((candidate) => isRecord(candidate) && candidate.action_id === actionId);
    if (isRecord(element)) return { blockId: typeof block.block_id === 'string' ? block.block_id : undefined, element };
  }
  return undefined;
}

function channelName(id: string, channel: SlackChannel | undefined): string {
  if (id.startsWith('D') || channel?.is_im) return 'directmessage';
  return channel?.name ?? id.toLowerCase();
}

function slackTsNow(): string {
  const micros = Date.now() * 1000;
  return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
}
