import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  closeServer,
  mediaType,
  parseJsonObject,
  readBody,
  sendJson,
  startServer,
  type RunningServer,
} from './http.ts';
import { ChangeFeed, listForHumans, Recorder, type ChangeListener, type Predicate } from './recording.ts';
import { readOnlySlackMethods, slackMethods, type SlackArgs, type SlackResult } from './slack-methods.ts';
import { applyResponse, postToResponseUrl } from './slack-responses.ts';
import {
  SlackApiError,
  SlackWorkspace,
  type ResponseTarget,
  type SlackBotIdentity,
  type SlackChannel,
  type SlackChannelInput,
  type SlackEphemeral,
  type SlackMessage,
  type SlackTeam,
  type SlackUser,
  type SlackUserInput,
  type SlackView,
} from './slack-workspace.ts';

export type { ChangeListener, FakeChange } from './recording.ts';
export type { SlackArgs, SlackResult } from './slack-methods.ts';
export type {
  ResponseTarget,
  SlackBotIdentity,
  SlackChannel,
  SlackChannelInput,
  SlackEphemeral,
  SlackMessage,
  SlackTeam,
  SlackUser,
  SlackUserInput,
  SlackView,
} from './slack-workspace.ts';

export interface FakeSlackApiOptions {
  port?: number;
  /** When set, every call must carry this token, and a missing or different one is refused like Slack does. */
  token?: string;
  teamId?: string;
  /** The clock (epoch ms) behind message timestamps and response_url/trigger_id expiry. */
  now?: () => number;
}

export interface SlackCall {
  method: string;
  args: SlackArgs;
  at: number;
  response: SlackResult;
}

export interface RateLimitedSlackCall {
  method: string;
  args: SlackArgs;
  at: number;
  retryAfterSeconds: number;
}

export interface RateLimitRule {
  method?: string;
  /** Matches the `channel` argument exactly as sent. */
  channel?: string;
  retryAfterSeconds: number;
  /** How many matching calls are refused; 1 unless given. */
  times?: number;
}

/** Calls answered with an HTTP error instead (Slack having a bad time): `status` 500 unless given. */
export interface OutageRule {
  method?: string;
  /** Matches the `channel` argument exactly as sent. */
  channel?: string;
  status?: number;
  /** Instead of answering: the call is read and never answered (nor acted on) until `endOutage()` drops its connection. */
  hang?: boolean;
  /** The call is acted on (a post lands in the channel, recorded in `calls`), then its connection dropped unanswered: Slack took it, the answer was lost. */
  dropAnswer?: boolean;
  /** How many matching calls fail; every one until `endOutage()` unless given. */
  times?: number;
}

export interface FailedSlackCall {
  method: string;
  args: SlackArgs;
  at: number;
  status: number;
}

export interface ResponseUrlPost {
  id: string;
  body: SlackArgs;
  at: number;
  status: number;
  error?: string;
}

const DEFAULT_WAIT_MS = 5_000;

// WebClient sends every non-scalar argument as a JSON string in its form bodies.
const JSON_FORM_FIELDS = new Set(['blocks', 'attachments', 'view', 'metadata', 'unfurls', 'user_auth_blocks']);

/**
 * A local, stateful stand-in for Slack's Web API (https://slack.com/api/), for the real WebClient/Bolt.
 * Point `slackApiUrl` at `url`.
 */
export class FakeSlackApi {
  readonly #options: FakeSlackApiOptions;
  readonly #now: () => number;
  readonly #calls = new Recorder<SlackCall>();
  readonly #rateLimited: RateLimitedSlackCall[] = [];
  readonly #responses = new Recorder<ResponseUrlPost>();
  readonly #changes = new ChangeFeed();
  #rateLimitRules: Array<RateLimitRule & { remaining: number }> = [];
  #outages: Array<OutageRule & { remaining: number }> = [];
  readonly #failed: FailedSlackCall[] = [];
  readonly #hanging = new Set<ServerResponse>();
  #workspace: SlackWorkspace;
  #running: RunningServer | undefined;

  private constructor(options: FakeSlackApiOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#workspace = this.#newWorkspace();
  }

  static async start(options: FakeSlackApiOptions = {}): Promise<FakeSlackApi> {
    const fake = new FakeSlackApi(options);
    fake.#running = await startServer((req, res) => fake.#handle(req, res), options.port);
    return fake;
  }

  /** e.g. `http://127.0.0.1:54321` */
  get origin(): string {
    if (!this.#running) throw new Error('FakeSlackApi is not running');
    return this.#running.origin;
  }

  /** The Web API base URL, for WebClient's `slackApiUrl`. */
  get url(): string {
    return `${this.origin}/api/`;
  }

  get team(): SlackTeam {
    return this.#workspace.team;
  }

  get bot(): SlackBotIdentity {
    return this.#workspace.bot;
  }

  async close(): Promise<void> {
    if (this.#running) await closeServer(this.#running.server);
    this.#running = undefined;
  }

  /** Forgets every call, response and rate limit, and empties the workspace. */
  reset(): void {
    this.#calls.clear();
    this.#rateLimited.length = 0;
    this.#responses.clear();
    this.#rateLimitRules = [];
    this.#outages = [];
    this.#failed.length = 0;
    this.#workspace = this.#newWorkspace();
    this.#changes.emit('reset');
  }

  on(_event: 'change', listener: ChangeListener): () => void {
    return this.#changes.on(listener);
  }

  // --- recorded calls ---

  get calls(): readonly SlackCall[] {
    return this.#calls.items;
  }

  callsTo(method: string): SlackCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  waitFor(
    method: string,
    predicate: Predicate<SlackCall> = () => true,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<SlackCall> {
    return this.#calls.waitFor(
      (call) => call.method === method && predicate(call),
      timeoutMs,
      () => `no ${method} call matched; calls received:${listForHumans(this.calls.map(describeCall))}`,
    );
  }

  // --- rate limiting ---

  /** Answers the next matching calls with HTTP 429 and `Retry-After`, as Slack does over a method's limit. */
  rateLimit(rule: RateLimitRule): void {
    this.#rateLimitRules.push({ ...rule, remaining: rule.times ?? 1 });
  }

  get rateLimited(): readonly RateLimitedSlackCall[] {
    return this.#rateLimited;
  }

  // --- outages ---

  /** Answers matching calls with an HTTP error (500 unless given) without acting on them. */
  startOutage(rule: OutageRule = {}): void {
    this.#outages.push({ ...rule, remaining: rule.times ?? Infinity });
  }

  /** Ends every outage; calls left hanging lose their connection, as when a stuck server is restarted. */
  endOutage(): void {
    this.#outages = [];
    for (const res of this.#hanging) res.destroy();
    this.#hanging.clear();
  }

  /** The calls answered with an HTTP error (or left hanging, status 0) by an outage. */
  get failed(): readonly FailedSlackCall[] {
    return this.#failed;
  }

  // --- response_url and trigger_id ---

  /** Mints a response_url on this server; posts to it land in `target` (channel, user, source message). */
  responseUrl(target: ResponseTarget = {}): string {
    const id = randomBytes(12).toString('hex');
    this.#workspace.responseUrls.set(id, { ...target, createdAt: this.#now(), uses: 0 });
    return `${this.origin}/response/${id}`;
  }

  get responses(): readonly ResponseUrlPost[] {
    return this.#responses.items;
  }

  waitForResponse(
    predicate: Predicate<ResponseUrlPost> = () => true,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<ResponseUrlPost> {
    return this.#responses.waitFor(
      predicate,
      timeoutMs,
      () => `no response_url post matched; posts received:${listForHumans(this.responses.map(describeResponse))}`,
    );
  }

  /** What Slack does with the body of a slash command's HTTP answer: show it, ephemeral unless `in_channel`. */
  showCommandResponse(target: ResponseTarget, body: SlackArgs): void {
    try {
      applyResponse(this.#workspace, target, body, 'command_response');
    } catch (error) {
      if (error instanceof SlackApiError) return; // an empty answer shows nothing
      throw error;
    }
    this.#changes.emit('command_response');
  }

  /** A `trigger_id` that `views.open` accepts once, within 3 seconds. */
  triggerId(): string {
    return this.#workspace.mintTrigger();
  }

  // --- seeding ---

  addUser(input: SlackUserInput): SlackUser {
    const user = this.#workspace.addUser(input);
    this.#changes.emit('seed');
    return user;
  }

  addChannel(input: SlackChannelInput): SlackChannel {
    const channel = this.#workspace.addChannel(input);
    this.#changes.emit('seed');
    return channel;
  }

  // --- reading state ---

  channel(idOrName: string): SlackChannel | undefined {
    return this.#workspace.channel(idOrName);
  }

  channels(): SlackChannel[] {
    return this.#workspace.channels();
  }

  user(id: string): SlackUser | undefined {
    return this.#workspace.user(id);
  }

  users(): SlackUser[] {
    return this.#workspace.users();
  }

  /** Top-level messages (as people see the channel); `conversation` may be an ID, a name or a user's ID for the DM. */
  messages(conversation: string): SlackMessage[] {
    return this.#workspace.messages(this.#conversationId(conversation));
  }

  /** Any message, top-level or reply, by its `ts`. */
  message(conversation: string, ts: string): SlackMessage | undefined {
    return this.#workspace.message(this.#conversationId(conversation), ts);
  }

  /** The parent message followed by its replies. */
  thread(conversation: string, ts: string): SlackMessage[] {
    return this.#workspace.thread(this.#conversationId(conversation), ts);
  }

  ephemerals(user?: string): SlackEphemeral[] {
    return this.#workspace.ephemerals(user);
  }

  views(): SlackView[] {
    return this.#workspace.views();
  }

  #conversationId(conversation: string): string {
    const channel = this.#workspace.channel(conversation) ?? this.#workspace.directMessageWith(conversation);
    if (!channel) {
      const known = this.channels().map((c) => (c.is_im ? `${c.id} (DM with ${c.user})` : `${c.id} #${c.name}`));
      throw new Error(`FakeSlackApi has no conversation ${conversation}; it has: ${known.join(', ') || 'none'}`);
    }
    return channel.id;
  }

  #newWorkspace(): SlackWorkspace {
    const team = { id: this.#options.teamId ?? 'T0TUGBOAT', name: 'Tugboat Sandbox', domain: 'tugboat-sandbox' };
    const bot = { userId: 'U0TUGBOAT', botId: 'B0TUGBOAT', appId: 'A0TUGBOAT', name: 'tugboat' };
    return new SlackWorkspace(team, bot, this.#now);
  }

  // --- HTTP ---

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const body = await readBody(req);
    const responseId = /^\/response\/([^/]+)$/.exec(url.pathname)?.[1];
    if (responseId !== undefined && req.method === 'POST') return this.#answerResponseUrl(responseId, body, res);
    const method = /^\/api\/([\w.]+)$/.exec(url.pathname)?.[1];
    if (method === undefined) return sendJson(res, 404, { ok: false, error: 'unknown_method' });
    this.#answerApiCall(method, parseApiRequest(req, body, url.searchParams), res);
  }

  #answerApiCall(method: string, request: ApiRequest, res: ServerResponse): void {
    const at = this.#now();
    const refusal = request.error ?? this.#authError(request.token);
    const outage = refusal ? undefined : this.#takeOutage(method, request.args);
    if (outage?.dropAnswer) {
      const response = this.#invoke(method, request.args);
      this.#calls.add({ method, args: request.args, at, response });
      this.#failed.push({ method, args: request.args, at, status: 0 });
      res.destroy();
      if (response.ok && !readOnlySlackMethods.has(method)) this.#changes.emit(method);
      return;
    }
    if (outage?.hang) {
      this.#failed.push({ method, args: request.args, at, status: 0 });
      this.#hanging.add(res);
      res.on('close', () => this.#hanging.delete(res));
      return;
    }
    if (outage) {
      const status = outage.status ?? 500;
      this.#failed.push({ method, args: request.args, at, status });
      return sendJson(res, status, { ok: false, error: 'fatal_error' });
    }
    const retryAfterSeconds = refusal ? undefined : this.#takeRateLimit(method, request.args);
    if (retryAfterSeconds !== undefined) {
      this.#rateLimited.push({ method, args: request.args, at, retryAfterSeconds });
      return sendJson(res, 429, { ok: false, error: 'ratelimited' }, { 'Retry-After': String(retryAfterSeconds) });
    }
    const response = refusal ? { ok: false, error: refusal } : this.#invoke(method, request.args);
    this.#calls.add({ method, args: request.args, at, response });
    sendJson(res, 200, response);
    if (response.ok && !readOnlySlackMethods.has(method)) this.#changes.emit(method);
  }

  #invoke(method: string, args: SlackArgs): SlackResult {
    const implementation = slackMethods.get(method);
    if (!implementation) return { ok: false, error: 'unknown_method' };
    try {
      return implementation(this.#workspace, args);
    } catch (error) {
      if (error instanceof SlackApiError) return { ok: false, error: error.code };
      throw error;
    }
  }

  #authError(token: string | undefined): string | undefined {
    if (this.#options.token === undefined) return undefined;
    if (!token) return 'not_authed';
    return token === this.#options.token ? undefined : 'invalid_auth';
  }

  #takeRateLimit(method: string, args: SlackArgs): number | undefined {
    const rule = this.#rateLimitRules.find(
      (candidate) =>
        (candidate.method === undefined || candidate.method === method) &&
        (candidate.channel === undefined || candidate.channel === args.channel),
    );
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.#rateLimitRules = this.#rateLimitRules.filter((other) => other !== rule);
    return rule.retryAfterSeconds;
  }

  #takeOutage(method: string, args: SlackArgs): OutageRule | undefined {
    const rule = this.#outages.find(
      (candidate) =>
        (candidate.method === undefined || candidate.method === method) &&
        (candidate.channel === undefined || candidate.channel === args.channel),
    );
    if (!rule) return undefined;
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.#outages = this.#outages.filter((other) => other !== rule);
    return rule;
  }

  #answerResponseUrl(id: string, text: string, res: ServerResponse): void {
    const at = this.#now();
    const body = parseJsonObject(text);
    const outcome = body ? postToResponseUrl(this.#workspace, id, body) : { status: 400, error: 'invalid_payload' };
    this.#responses.add({ id, body: body ?? {}, at, ...outcome });
    sendJson(res, outcome.status, outcome.error ? { ok: false, error: outcome.error } : { ok: true });
    if (outcome.status === 200) this.#changes.emit('response_url');
  }
}

interface ApiRequest {
  args: SlackArgs;
  token?: string;
  error?: string;
}

/** Reads a Web API call as WebClient sends it: form-encoded (or JSON), token in `Authorization` or the body. */
function parseApiRequest(req: IncomingMessage, body: string, query: URLSearchParams): ApiRequest {
  const args: SlackArgs = Object.fromEntries(query);
  if (mediaType(req) === 'application/json') {
    const json = body.trim() === '' ? {} : parseJsonObject(body);
    if (!json) return { args, error: 'invalid_json' };
    Object.assign(args, json);
  } else {
    for (const [key, value] of new URLSearchParams(body)) {
      args[key] = JSON_FORM_FIELDS.has(key) ? decodeJson(value) : value;
    }
  }
  const bearer = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  const token = bearer ?? (typeof args.token === 'string' ? args.token : undefined);
  delete args.token;
  return { args, token };
}

function decodeJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

function describeCall(call: SlackCall): string {
  const outcome = call.response.ok ? 'ok' : `error ${String(call.response.error)}`;
  return `${call.method} ${JSON.stringify(call.args)} → ${outcome}`;
}

function describeResponse(post: ResponseUrlPost): string {
  return `${post.id} ${JSON.stringify(post.body)} → ${post.status}${post.error ? ` ${post.error}` : ''}`;
}
