import { randomBytes } from 'node:crypto';
import { isRecord } from './http.ts';
import {
  SlackApiError,
  type MessageContent,
  type SlackChannel,
  type SlackMessage,
  type SlackWorkspace,
} from './slack-workspace.ts';

export type SlackArgs = Record<string, unknown>;
export type SlackResult = { ok: boolean } & Record<string, unknown>;
export type SlackMethod = (workspace: SlackWorkspace, args: SlackArgs) => SlackResult;

const MAX_TEXT_CHARS = 40_000;
const MAX_BLOCKS = 50;
const MAX_CHANNEL_NAME_CHARS = 80;
const MAX_TOPIC_CHARS = 250;

/** Methods that never change the workspace, so they do not notify change listeners. */
export const readOnlySlackMethods = new Set([
  'auth.test',
  'conversations.info',
  'conversations.members',
  'conversations.history',
  'conversations.replies',
  'users.info',
  'users.lookupByEmail',
]);

export const slackMethods: ReadonlyMap<string, SlackMethod> = new Map([
  ['auth.test', authTest],
  ['chat.postMessage', chatPostMessage],
  ['chat.update', chatUpdate],
  ['chat.postEphemeral', chatPostEphemeral],
  ['chat.delete', chatDelete],
  ['conversations.create', conversationsCreate],
  ['conversations.invite', conversationsInvite],
  ['conversations.setTopic', conversationsSetTopic],
  ['conversations.archive', conversationsArchive],
  ['conversations.info', conversationsInfo],
  ['conversations.open', conversationsOpen],
  ['conversations.members', conversationsMembers],
  ['conversations.history', conversationsHistory],
  ['conversations.replies', conversationsReplies],
  ['conversations.join', conversationsJoin],
  ['users.info', usersInfo],
  ['users.lookupByEmail', usersLookupByEmail],
  ['reactions.add', reactionsAdd],
  ['pins.add', pinsAdd],
  ['views.open', viewsOpen],
  ['views.publish', viewsPublish],
]);

function authTest(workspace: SlackWorkspace): SlackResult {
  return {
    ok: true,
    url: `https://${workspace.team.domain}.slack.com/`,
    team: workspace.team.name,
    user: workspace.bot.name,
    team_id: workspace.team.id,
    user_id: workspace.bot.userId,
    bot_id: workspace.bot.botId,
    is_enterprise_install: false,
  };
}

// --- chat ---

function chatPostMessage(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  const channel = workspace.postableChannel(requiredString(args, 'channel', 'channel_not_found'));
  const content = messageContent(args);
  const message = workspace.post(channel, content, threadTs(args), flag(args, 'reply_broadcast'));
  return { ok: true, channel: channel.id, ts: message.ts, message: publicMessage(message) };
}

function chatUpdate(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  const channel = workspace.postableChannel(requiredString(args, 'channel', 'channel_not_found'));
  const message = ownMessage(workspace, channel, args.ts, 'cant_update_message');
  workspace.update(message, messageChanges(args));
  return { ok: true, channel: channel.id, ts: message.ts, text: message.text, message: publicMessage(message) };
}

function chatPostEphemeral(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  const channel = workspace.postableChannel(requiredString(args, 'channel', 'channel_not_found'));
  const user = workspace.requireUser(requiredString(args, 'user', 'user_not_found'));
  if (!channel.members.includes(user.id)) throw new SlackApiError('user_not_in_channel');
  const target = { channel: channel.id, user: user.id, thread_ts: threadTs(args) };
  const ephemeral = workspace.addEphemeral(target, messageContent(args), 'chat.postEphemeral');
  return { ok: true, message_ts: ephemeral.ts };
}

function chatDelete(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  const channel = workspace.postableChannel(requiredString(args, 'channel', 'channel_not_found'));
  const message = ownMessage(workspace, channel, args.ts, 'cant_delete_message');
  workspace.remove(channel.id, message.ts);
  return { ok: true, channel: channel.id, ts: message.ts };
}

function ownMessage(workspace: SlackWorkspace, channel: SlackChannel, ts: unknown, notOwnError: string): SlackMessage {
  const message = workspace.requireMessage(channel.id, typeof ts === 'string' ? ts : String(ts ?? ''));
  if (message.user !== workspace.bot.userId) throw new SlackApiError(notOwnError);
  return message;
}

// --- conversations ---

function conversationsCreate(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  const name = typeof args.name === 'string' ? args.name : '';
  const channel = workspace.createChannel(validChannelName(name), flag(args, 'is_private'));
  return { ok: true, channel: channelInfo(workspace, channel) };
}

function validChannelName(name: string): string {
  if (name === '') throw new SlackApiError('invalid_name_required');
  if (name.length > MAX_CHANNEL_NAME_CHARS) throw new SlackApiError('invalid_name_maxlength');
  if (/[^a-z0-9_-]/.test(name)) throw new SlackApiError('invalid_name_specials');
  if (/^[-_]+$/.test(name)) throw new SlackApiError('invalid_name_punctuation');
  return name;
}

function conversationsInvite(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  const channel = joinedChannel(workspace, args);
  const userIds = list(args.users);
  if (userIds.length === 0) throw new SlackApiError('no_user');
  for (const id of userIds) {
    if (id === workspace.bot.userId) throw new SlackApiError('cant_invite_self');
    workspace.requireUser(id);
    if (channel.members.includes(id)) throw new SlackApiError('already_in_channel');
  }
  channel.members.push(...new Set(userIds));
  return { ok: true, channel: channelInfo(workspace, channel) };
}

function conversationsSetTopic(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  const channel = joinedChannel(workspace, args);
  const topic = typeof args.topic === 'string' ? args.topic : '';
  if (topic.length > MAX_TOPIC_CHARS) throw new SlackApiError('too_long');
  channel.topic = { value: topic, creator: workspace.bot.userId, last_set: workspace.nowSeconds() };
  return { ok: true, channel: channelInfo(workspace, channel) };
}

function conversationsArchive(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  const channel = joinedChannel(workspace, args);
  if (channel.is_archived) throw new SlackApiError('already_archived');
  channel.is_archived = true;
  return { ok: true };
}

function conversationsInfo(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  return { ok: true, channel: channelInfo(workspace, visibleChannel(workspace, args)) };
}

function conversationsOpen(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  const channel =
    typeof args.channel === 'string' ? visibleChannel(workspace, args) : openedConversation(workspace, args);
  return { ok: true, channel: flag(args, 'return_im') ? channelInfo(workspace, channel) : { id: channel.id } };
}

function openedConversation(workspace: SlackWorkspace, args: SlackArgs): SlackChannel {
  const userIds = list(args.users);
  if (userIds.length === 0) throw new SlackApiError('users_list_not_supplied');
  return userIds.length === 1 ? workspace.openDirectMessage(userIds[0]) : workspace.openGroupMessage(userIds);
}

function conversationsMembers(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  const channel = visibleChannel(workspace, args);
  return { ok: true, members: [...channel.members], response_metadata: { next_cursor: '' } };
}

/** The channel's messages (thread replies only when also sent to the channel), newest first. */
function conversationsHistory(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  const channel = joinedChannel(workspace, args);
  return messagePage([...workspace.messages(channel.id)].reverse(), args);
}

/** A thread, oldest first: the parent (whatever `oldest` says), then the replies in the range. */
function conversationsReplies(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  const channel = joinedChannel(workspace, args);
  const ts = requiredString(args, 'ts', 'thread_not_found');
  const [parent, ...replies] = workspace.thread(channel.id, ts);
  if (!parent || parent.ts !== ts) throw new SlackApiError('thread_not_found');
  const page = messagePage(replies, args);
  return {
    ...page,
    messages: [publicMessage(parent, flag(args, 'include_all_metadata')), ...(page.messages as unknown[])],
  };
}

/**
 * Public channels only; the bot becomes a member. Unlike Slack, no "has joined" message is added to
 * the channel (tests count the channel's messages).
 */
function conversationsJoin(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  const channel = visibleChannel(workspace, args);
  if (channel.is_private || channel.is_im || channel.is_mpim)
    throw new SlackApiError('method_not_supported_for_channel_type');
  if (channel.is_archived) throw new SlackApiError('is_archived');
  const already = channel.members.includes(workspace.bot.userId);
  if (!already) channel.members.push(workspace.bot.userId);
  const warning = already
    ? { warning: 'already_in_channel', response_metadata: { warnings: ['already_in_channel'] } }
    : {};
  return { ok: true, channel: channelInfo(workspace, channel), ...warning };
}

/**
 * `oldest`/`latest` (exclusive unless `inclusive`), `limit` (100 unless given, at most 999) and a cursor;
 * message metadata only with `include_all_metadata`, as Slack returns it.
 */
function messagePage(messages: SlackMessage[], args: SlackArgs): SlackResult {
  const inclusive = flag(args, 'inclusive');
  const oldest = args.oldest === undefined || args.oldest === '' ? undefined : Number(args.oldest);
  const latest = args.latest === undefined || args.latest === '' ? undefined : Number(args.latest);
  const inRange = messages.filter((message) => {
    const ts = Number(message.ts);
    if (oldest !== undefined && (inclusive ? ts < oldest : ts <= oldest)) return false;
    if (latest !== undefined && (inclusive ? ts > latest : ts >= latest)) return false;
    return true;
  });
  const limit = Math.min(999, Math.max(1, Number(args.limit) || 100));
  const start =
    typeof args.cursor === 'string' && args.cursor !== ''
      ? Number(
          Buffer.from(args.cursor, 'base64')
            .toString('utf8')
            .replace(/^next:/, ''),
        )
      : 0;
  if (!Number.isInteger(start) || start < 0) throw new SlackApiError('invalid_cursor');
  const page = inRange.slice(start, start + limit);
  const hasMore = start + limit < inRange.length;
  const withMetadata = flag(args, 'include_all_metadata');
  return {
    ok: true,
    messages: page.map((message) => publicMessage(message, withMetadata)),
    has_more: hasMore,
    response_metadata: { next_cursor: hasMore ? Buffer.from(`next:${start + limit}`).toString('base64') : '' },
  };
}

function visibleChannel(workspace: SlackWorkspace, args: SlackArgs): SlackChannel {
  const channel = workspace.channel(requiredString(args, 'channel', 'channel_not_found'));
  if (!channel || !workspace.botCanSee(channel)) throw new SlackApiError('channel_not_found');
  return channel;
}

function joinedChannel(workspace: SlackWorkspace, args: SlackArgs): SlackChannel {
  const channel = visibleChannel(workspace, args);
  if (!channel.members.includes(workspace.bot.userId)) throw new SlackApiError('not_in_channel');
  return channel;
}

/** A conversation as the Web API returns it (membership as `is_member`/`num_members`). */
export function channelInfo(workspace: SlackWorkspace, channel: SlackChannel): Record<string, unknown> {
  const { members, ...fields } = channel;
  return {
    ...fields,
    name_normalized: channel.name,
    is_member: members.includes(workspace.bot.userId),
    num_members: members.length,
  };
}

// --- users ---

function usersInfo(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  return { ok: true, user: workspace.requireUser(requiredString(args, 'user', 'user_not_found')) };
}

function usersLookupByEmail(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  const user = workspace.userByEmail(requiredString(args, 'email', 'users_not_found'));
  if (!user) throw new SlackApiError('users_not_found');
  return { ok: true, user };
}

// --- reactions and pins ---

function reactionsAdd(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  const message = reactedMessage(workspace, args);
  const name = requiredString(args, 'name', 'invalid_name');
  const reactions = (message.reactions ??= []);
  const reaction = reactions.find((existing) => existing.name === name);
  if (reaction?.users.includes(workspace.bot.userId)) throw new SlackApiError('already_reacted');
  if (reaction) {
    reaction.users.push(workspace.bot.userId);
    reaction.count += 1;
  } else {
    reactions.push({ name, users: [workspace.bot.userId], count: 1 });
  }
  return { ok: true };
}

function pinsAdd(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  const channel = visibleChannel(workspace, args);
  const message = workspace.requireMessage(channel.id, requiredString(args, 'timestamp', 'no_item_specified'));
  if (message.pinned_to?.includes(channel.id)) throw new SlackApiError('already_pinned');
  message.pinned_to = [...(message.pinned_to ?? []), channel.id];
  return { ok: true };
}

function reactedMessage(workspace: SlackWorkspace, args: SlackArgs): SlackMessage {
  const channel = visibleChannel(workspace, args);
  return workspace.requireMessage(channel.id, requiredString(args, 'timestamp', 'no_item_specified'));
}

// --- views ---

function viewsOpen(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  const view = viewArg(args, 'modal');
  workspace.useTrigger(typeof args.trigger_id === 'string' ? args.trigger_id : '');
  const id = workspace.newId('V');
  workspace.addView({ id, type: 'modal', view });
  return { ok: true, view: renderedView(workspace, id, view) };
}

function viewsPublish(workspace: SlackWorkspace, args: SlackArgs): SlackResult {
  const user = workspace.requireUser(requiredString(args, 'user_id', 'invalid_arguments'));
  const view = viewArg(args, 'home');
  const id = workspace.newId('V');
  workspace.addView({ id, type: 'home', user: user.id, view });
  return { ok: true, view: renderedView(workspace, id, view) };
}

function viewArg(args: SlackArgs, type: 'modal' | 'home'): Record<string, unknown> {
  const view = jsonValue(args.view, 'invalid_arguments');
  if (!isRecord(view) || view.type !== type) throw new SlackApiError('invalid_arguments');
  return view;
}

function renderedView(workspace: SlackWorkspace, id: string, view: Record<string, unknown>): Record<string, unknown> {
  return {
    id,
    team_id: workspace.team.id,
    blocks: [],
    private_metadata: '',
    callback_id: '',
    external_id: '',
    clear_on_close: false,
    notify_on_close: false,
    ...view,
    state: { values: {} },
    hash: `${workspace.nowSeconds()}.${randomBytes(4).toString('hex')}`,
    root_view_id: id,
    previous_view_id: null,
    app_id: workspace.bot.appId,
    bot_id: workspace.bot.botId,
  };
}

// --- arguments ---

/** The text, blocks and attachments of a new message; Slack needs at least one of them. */
export function messageContent(args: SlackArgs): MessageContent {
  const changes = messageChanges(args);
  const text = changes.text ?? '';
  return { ...changes, text };
}

/** Only the message fields present in the arguments (chat.update keeps the others). */
function messageChanges(args: SlackArgs): Partial<MessageContent> {
  const text = typeof args.text === 'string' ? args.text.slice(0, MAX_TEXT_CHARS) : undefined;
  const blocks = optionalArray(args.blocks, 'invalid_blocks_format');
  const attachments = optionalArray(args.attachments, 'invalid_attachments');
  if (!text && !blocks?.length && !attachments?.length) throw new SlackApiError('no_text');
  if (blocks && blocks.length > MAX_BLOCKS) throw new SlackApiError('invalid_blocks');
  const metadata = args.metadata === undefined ? undefined : jsonValue(args.metadata, 'invalid_metadata_format');
  return { text, blocks, attachments, metadata };
}

function threadTs(args: SlackArgs): string | undefined {
  if (args.thread_ts === undefined || args.thread_ts === '') return undefined;
  const ts = String(args.thread_ts);
  if (!/^\d+\.\d+$/.test(ts)) throw new SlackApiError('invalid_thread_ts');
  return ts;
}

function requiredString(args: SlackArgs, key: string, missingError: string): string {
  const value = args[key];
  if (typeof value === 'number') return String(value);
  if (typeof value !== 'string' || value === '') throw new SlackApiError(missingError);
  return value;
}

/** Booleans arrive as `true` in JSON bodies and as `"true"` in form bodies. */
export function flag(args: SlackArgs, key: string): boolean {
  const value = args[key];
  return value === true || value === 'true' || value === '1' || value === 1;
}

/** Comma-separated IDs, as Slack takes `users` (an array is accepted too). */
function list(value: unknown): string[] {
  const items = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(',') : [];
  return items.map((item) => item.trim()).filter((item) => item !== '');
}

function optionalArray(value: unknown, invalidError: string): unknown[] | undefined {
  if (value === undefined || value === '') return undefined;
  const decoded = jsonValue(value, invalidError);
  if (!Array.isArray(decoded)) throw new SlackApiError(invalidError);
  return decoded;
}

function jsonValue(value: unknown, invalidError: string): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new SlackApiError(invalidError);
  }
}

function publicMessage(message: SlackMessage, withMetadata = true): Record<string, unknown> {
  const copy = structuredClone(message) as unknown as Record<string, unknown>;
  if (!withMetadata) delete copy.metadata;
  return copy;
}
