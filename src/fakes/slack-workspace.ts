import { randomBytes } from 'node:crypto';

/** A Slack Web API error: answered as `{ ok: false, error: code }`. */
export class SlackApiError extends Error {
  readonly code: string;

  constructor(code: string) {
    super(code);
    this.code = code;
  }
}

export interface SlackTeam {
  id: string;
  name: string;
  domain: string;
}

export interface SlackBotIdentity {
  userId: string;
  botId: string;
  appId: string;
  name: string;
}

export interface SlackUserInput {
  id: string;
  name: string;
  real_name?: string;
  tz?: string;
  email?: string;
  is_bot?: boolean;
}

export interface SlackUser {
  id: string;
  team_id: string;
  name: string;
  real_name: string;
  tz: string;
  tz_offset: number;
  is_bot: boolean;
  deleted: boolean;
  profile: { real_name: string; display_name: string; email?: string };
}

export interface SlackChannelInput {
  id?: string;
  name: string;
  is_private?: boolean;
  members?: string[];
  topic?: string;
}

export interface SlackChannelText {
  value: string;
  creator: string;
  last_set: number;
}

export interface SlackChannel {
  id: string;
  name: string;
  is_channel: boolean;
  is_group: boolean;
  is_im: boolean;
  is_mpim: boolean;
  is_private: boolean;
  is_archived: boolean;
  created: number;
  creator: string;
  topic: SlackChannelText;
  purpose: SlackChannelText;
  members: string[];
  /** The other party of a direct message. */
  user?: string;
}

export interface MessageContent {
  text: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
}

export interface SlackReaction {
  name: string;
  users: string[];
  count: number;
}

export interface SlackMessage extends MessageContent {
  type: 'message';
  subtype?: string;
  ts: string;
  user: string;
  bot_id?: string;
  app_id?: string;
  team: string;
  thread_ts?: string;
  parent_user_id?: string;
  reply_count?: number;
  reply_users?: string[];
  latest_reply?: string;
  edited?: { user: string; ts: string };
  reactions?: SlackReaction[];
  pinned_to?: string[];
}

export type EphemeralSource = 'chat.postEphemeral' | 'response_url' | 'command_response';

export interface SlackEphemeral extends MessageContent {
  channel: string;
  user: string;
  ts: string;
  thread_ts?: string;
  source: EphemeralSource;
  at: number;
}

export interface SlackView {
  id: string;
  type: 'modal' | 'home';
  /** The user a home tab was published for, or who opened the modal (when known). */
  user?: string;
  view: Record<string, unknown>;
}

/** Where a response_url's posts land: the conversation, the user, and the message it was minted for. */
export interface ResponseTarget {
  channel?: string;
  user?: string;
  source?: { ts: string; ephemeral: boolean };
}

interface MintedResponseUrl extends ResponseTarget {
  createdAt: number;
  uses: number;
}

const TRIGGER_LIFETIME_MS = 3_000;

/** The state of one fake Slack workspace: people, conversations, messages and views. */
export class SlackWorkspace {
  readonly team: SlackTeam;
  readonly bot: SlackBotIdentity;
  readonly responseUrls = new Map<string, MintedResponseUrl>();
  readonly #now: () => number;
  readonly #users = new Map<string, SlackUser>();
  readonly #channels = new Map<string, SlackChannel>();
  readonly #messages = new Map<string, SlackMessage[]>();
  readonly #directMessages = new Map<string, string>();
  readonly #triggers = new Map<string, { mintedAt: number; used: boolean }>();
  readonly #ephemerals: SlackEphemeral[] = [];
  readonly #views: SlackView[] = [];
  #lastTsMicros = 0;
  #sequence = 0;

  constructor(team: SlackTeam, bot: SlackBotIdentity, now: () => number) {
    this.team = team;
    this.bot = bot;
    this.#now = now;
    this.addUser({ id: bot.userId, name: bot.name, is_bot: true });
  }

  now(): number {
    return this.#now();
  }

  nowSeconds(): number {
    return Math.floor(this.#now() / 1000);
  }

  /** Slack message timestamps: seconds with microseconds, unique and increasing within the workspace. */
  nextTs(): string {
    const micros = Math.max(this.#now() * 1000, this.#lastTsMicros + 1);
    this.#lastTsMicros = micros;
    return `${Math.floor(micros / 1e6)}.${String(micros % 1e6).padStart(6, '0')}`;
  }

  newId(prefix: string): string {
    this.#sequence += 1;
    return `${prefix}${this.#sequence.toString(36).toUpperCase().padStart(8, '0')}`;
  }

  // --- users ---

  addUser(input: SlackUserInput): SlackUser {
    const tz = input.tz ?? 'America/Los_Angeles';
    const realName = input.real_name ?? input.name;
    const user: SlackUser = {
      id: input.id,
      team_id: this.team.id,
      name: input.name,
      real_name: realName,
      tz,
      tz_offset: utcOffsetSeconds(tz, new Date(this.#now())),
      is_bot: input.is_bot ?? false,
      deleted: false,
      profile: { real_name: realName, display_name: input.name, ...(input.email ? { email: input.email } : {}) },
    };
    this.#users.set(user.id, user);
    return user;
  }

  user(id: string): SlackUser | undefined {
    return this.#users.get(id);
  }

  users(): SlackUser[] {
    return [...this.#users.values()];
  }

  requireUser(id: string): SlackUser {
    const user = this.#users.get(id);
    if (!user) throw new SlackApiError('user_not_found');
    return user;
  }

  userByEmail(email: string): SlackUser | undefined {
    const wanted = email.toLowerCase();
    return this.users().find((user) => user.profile.email?.toLowerCase() === wanted);
  }

  // --- conversations ---

  addChannel(input: SlackChannelInput): SlackChannel {
    const channel = this.#newChannel({
      id: input.id ?? this.newId(input.is_private ? 'G' : 'C'),
      name: input.name,
      is_private: input.is_private ?? false,
      members: input.members ?? [],
      creator: input.members?.[0] ?? this.bot.userId,
    });
    if (input.topic) channel.topic = { value: input.topic, creator: channel.creator, last_set: channel.created };
    return channel;
  }

  createChannel(name: string, isPrivate: boolean): SlackChannel {
    if (this.#channelNamed(name)) throw new SlackApiError('name_taken');
    return this.#newChannel({
      id: this.#unusedId(isPrivate ? 'G' : 'C'),
      name,
      is_private: isPrivate,
      members: [this.bot.userId],
      creator: this.bot.userId,
    });
  }

  /** A channel by ID, or by name with or without `#`. */
  channel(idOrName: string): SlackChannel | undefined {
    return this.#channels.get(idOrName) ?? this.#channelNamed(idOrName.replace(/^#/, ''));
  }

  channels(): SlackChannel[] {
    return [...this.#channels.values()];
  }

  /** The conversation a bot may post to: a visible channel, or the DM with a user ID. */
  postableChannel(idOrName: string): SlackChannel {
    if (/^[UW]/.test(idOrName) && this.#users.has(idOrName)) return this.openDirectMessage(idOrName);
    const channel = this.channel(idOrName);
    if (!channel || !this.botCanSee(channel)) throw new SlackApiError('channel_not_found');
    if (channel.is_archived) throw new SlackApiError('is_archived');
    return channel;
  }

  botCanSee(channel: SlackChannel): boolean {
    return !channel.is_private || channel.members.includes(this.bot.userId);
  }

  directMessageWith(userId: string): SlackChannel | undefined {
    const id = this.#directMessages.get(userId);
    return id === undefined ? undefined : this.#channels.get(id);
  }

  /** The DM between the bot and a user: one per user, so its ID is stable. */
  openDirectMessage(userId: string): SlackChannel {
    this.requireUser(userId);
    const existing = this.directMessageWith(userId);
    if (existing) return existing;
    const channel = this.#newChannel({
      id: this.#unusedId('D'),
      name: userId,
      is_private: true,
      members: [this.bot.userId, userId],
      creator: this.bot.userId,
    });
    Object.assign(channel, { is_channel: false, is_im: true, user: userId });
    this.#directMessages.set(userId, channel.id);
    return channel;
  }

  openGroupMessage(userIds: string[]): SlackChannel {
    for (const id of userIds) this.requireUser(id);
    const members = [...new Set([this.bot.userId, ...userIds])].sort();
    const name = `mpdm-${members.map((id) => this.requireUser(id).name).join('--')}-1`;
    const existing = this.#channelNamed(name);
    if (existing) return existing;
    const id = this.#unusedId('G');
    const channel = this.#newChannel({ id, name, is_private: true, members, creator: this.bot.userId });
    Object.assign(channel, { is_channel: false, is_group: true, is_mpim: true });
    return channel;
  }

  #newChannel(fields: Pick<SlackChannel, 'id' | 'name' | 'is_private' | 'members' | 'creator'>): SlackChannel {
    const created = this.nowSeconds();
    const channel: SlackChannel = {
      ...fields,
      is_channel: !fields.is_private,
      is_group: fields.is_private,
      is_im: false,
      is_mpim: false,
      is_archived: false,
      created,
      topic: { value: '', creator: '', last_set: 0 },
      purpose: { value: '', creator: '', last_set: 0 },
    };
    this.#channels.set(channel.id, channel);
    this.#messages.set(channel.id, []);
    return channel;
  }

  #channelNamed(name: string): SlackChannel | undefined {
    return this.channels().find((channel) => !channel.is_im && channel.name === name);
  }

  #unusedId(prefix: string): string {
    let id = this.newId(prefix);
    while (this.#channels.has(id)) id = this.newId(prefix);
    return id;
  }

  // --- messages ---

  post(channel: SlackChannel, content: MessageContent, threadTs?: string, broadcast = false): SlackMessage {
    const message: SlackMessage = {
      type: 'message',
      ts: this.nextTs(),
      user: this.bot.userId,
      bot_id: this.bot.botId,
      app_id: this.bot.appId,
      team: this.team.id,
      ...definedContent(content),
    };
    if (threadTs) this.#attachToThread(channel.id, message, threadTs, broadcast);
    this.#messagesIn(channel.id).push(message);
    return message;
  }

  message(channelId: string, ts: string): SlackMessage | undefined {
    return this.#messages.get(channelId)?.find((message) => message.ts === ts);
  }

  requireMessage(channelId: string, ts: string): SlackMessage {
    const message = this.message(channelId, ts);
    if (!message) throw new SlackApiError('message_not_found');
    return message;
  }

  update(message: SlackMessage, content: Partial<MessageContent>): void {
    Object.assign(message, definedContent(content), { edited: { user: this.bot.userId, ts: this.nextTs() } });
  }

  remove(channelId: string, ts: string): void {
    const messages = this.#messagesIn(channelId);
    const index = messages.findIndex((message) => message.ts === ts);
    if (index < 0) throw new SlackApiError('message_not_found');
    const [removed] = messages.splice(index, 1);
    const parent =
      removed.thread_ts && removed.thread_ts !== ts ? this.message(channelId, removed.thread_ts) : undefined;
    if (parent?.reply_count) parent.reply_count -= 1;
  }

  /** What a person sees in the channel: top-level messages and replies also sent to the channel. */
  messages(channelId: string): SlackMessage[] {
    return this.#messagesIn(channelId).filter(
      (message) => !message.thread_ts || message.thread_ts === message.ts || message.subtype === 'thread_broadcast',
    );
  }

  /** A thread as `conversations.replies` returns it: the parent first, then the replies. */
  thread(channelId: string, ts: string): SlackMessage[] {
    return this.#messagesIn(channelId).filter((message) => message.ts === ts || message.thread_ts === ts);
  }

  #messagesIn(channelId: string): SlackMessage[] {
    const messages = this.#messages.get(channelId);
    if (!messages) throw new SlackApiError('channel_not_found');
    return messages;
  }

  // Like Slack, a reply to an unknown thread is accepted but shows up nowhere except in that thread.
  #attachToThread(channelId: string, reply: SlackMessage, threadTs: string, broadcast: boolean): void {
    reply.thread_ts = threadTs;
    if (broadcast) reply.subtype = 'thread_broadcast';
    const parent = this.message(channelId, threadTs);
    if (!parent) return;
    reply.parent_user_id = parent.user;
    parent.thread_ts = parent.ts;
    parent.reply_count = (parent.reply_count ?? 0) + 1;
    parent.reply_users = [...new Set([...(parent.reply_users ?? []), reply.user])];
    parent.latest_reply = reply.ts;
  }

  // --- ephemeral messages ---

  addEphemeral(
    target: { channel: string; user: string; thread_ts?: string },
    content: MessageContent,
    source: EphemeralSource,
  ): SlackEphemeral {
    const ephemeral: SlackEphemeral = {
      ...target,
      ...definedContent(content),
      ts: this.nextTs(),
      source,
      at: this.#now(),
    };
    this.#ephemerals.push(ephemeral);
    return ephemeral;
  }

  ephemerals(user?: string): SlackEphemeral[] {
    return this.#ephemerals.filter((ephemeral) => user === undefined || ephemeral.user === user);
  }

  ephemeral(ts: string): SlackEphemeral | undefined {
    return this.#ephemerals.find((ephemeral) => ephemeral.ts === ts);
  }

  removeEphemeral(ts: string): void {
    const index = this.#ephemerals.findIndex((ephemeral) => ephemeral.ts === ts);
    if (index >= 0) this.#ephemerals.splice(index, 1);
  }

  // --- triggers and views ---

  /** A `trigger_id` as Slack sends with commands and actions: usable once, for 3 seconds. */
  mintTrigger(): string {
    const id = `${this.#now()}.${this.newId('')}.${randomBytes(16).toString('hex')}`;
    this.#triggers.set(id, { mintedAt: this.#now(), used: false });
    return id;
  }

  useTrigger(id: string): void {
    const trigger = this.#triggers.get(id);
    if (!trigger) throw new SlackApiError('invalid_trigger_id');
    if (trigger.used) throw new SlackApiError('exchanged_trigger_id');
    if (this.#now() - trigger.mintedAt > TRIGGER_LIFETIME_MS) throw new SlackApiError('expired_trigger_id');
    trigger.used = true;
  }

  addView(view: SlackView): SlackView {
    // A user has one home tab: publishing replaces it.
    const index = this.#views.findIndex(
      (existing) => view.type === 'home' && existing.type === 'home' && existing.user === view.user,
    );
    if (index >= 0) this.#views.splice(index, 1, view);
    else this.#views.push(view);
    return view;
  }

  views(): SlackView[] {
    return [...this.#views];
  }
}

function definedContent<T extends Partial<MessageContent>>(content: T): T {
  return Object.fromEntries(Object.entries(content).filter(([, value]) => value !== undefined)) as T;
}

function utcOffsetSeconds(timeZone: string, at: Date): number {
  const zoneName = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
    .formatToParts(at)
    .find((part) => part.type === 'timeZoneName')?.value;
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(zoneName ?? '');
  if (!match) return 0;
  const seconds = Number(match[2]) * 3600 + Number(match[3]) * 60;
  return match[1] === '-' ? -seconds : seconds;
}
