import { randomUUID } from 'node:crypto';
import {
  ErrorCode,
  type ChatPostMessageArguments,
  type ChatUpdateArguments,
  type WebAPIHTTPError,
  type WebAPIPlatformError,
  type WebAPIRateLimitedError,
  type WebClient,
} from '@slack/web-api';
import type { KnownBlock } from '@slack/types';
import { IANAZone } from 'luxon';
import type { Config } from '../config/index.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import type { Queryable, Store } from '../store/index.ts';
import {
  channelsDue,
  claimChannel,
  enqueue,
  markFailed,
  markSent,
  notedRecently,
  oldestUnsent,
  releaseChannel,
  retryLater,
  settledRows,
  startSending,
  type OnSent,
  type OutboxMessage,
  type OutboxRow,
} from './outbox.ts';
import { undeliverable } from './render/outbox.ts';
import { fitToSlack } from './render/untrusted.ts';

export interface PosterOptions {
  /** Spacing between two calls into the same channel (Slack allows about one message per second per channel). */
  minIntervalMs: number;
  /** How many 429s in a row one direct call (a read, a channel creation) may meet before it gives up. */
  maxRateLimitRetries: number;
  /** How often the sender looks for rows to retry and rows whose writer died. */
  pollMs: number;
  /** A row never tried this long after it was written is sent by any replica (its writer sends its own at once). */
  orphanedAfterMs: number;
  /**
   * How long a channel's sending stays with a replica that stopped renewing it (it died): renewed
   * every third of it while the replica sends, a Slack call that hangs included.
   */
  leaseMs: number;
  /** The first retry's wait after a 5xx or a timeout; it doubles up to `maxRetryDelayMs`. */
  retryBaseMs: number;
  maxRetryDelayMs: number;
}

export const DEFAULT_POSTER_OPTIONS: PosterOptions = {
  minIntervalMs: 1000,
  maxRateLimitRetries: 5,
  pollMs: 1000,
  orphanedAfterMs: 10_000,
  leaseMs: 15_000,
  retryBaseMs: 1000,
  maxRetryDelayMs: 60_000,
};

/** Slack will never take a message into these channels as they are: given up on, and a person told. */
const CHANNEL_ERRORS = new Set(['channel_not_found', 'not_in_channel', 'is_archived']);
const NOTE_EVERY_MS = 60 * 60_000;
/** The metadata every post carries (`event_payload.row`: its outbox row), so that a post Slack already has can be found. */
const OUTBOX_EVENT = 'tugboat_outbox';
/** How long before a row's first attempt the lookup for it starts: the database's clock and Slack's may differ a little. */
const LOOKUP_MARGIN_MS = 2 * 60_000;
/** Pages of 200 messages looked through for an earlier attempt's post: far more than one channel gets in a retry's time. */
const LOOKUP_MAX_PAGES = 10;
/** How soon a sender tries again for a channel another replica is sending to. */
const BUSY_CHANNEL_RETRY_MS = 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const isRateLimited = (error: unknown): error is WebAPIRateLimitedError =>
  (error as { code?: string })?.code === ErrorCode.RateLimitedError;

/** What to do after a failed send: wait and try again, or give up (Slack answered with an error of its own). */
function judge(error: unknown, attempts: number, options: PosterOptions): { retryInMs: number } | { giveUp: string } {
  const code = (error as { code?: string })?.code;
  if (isRateLimited(error)) return { retryInMs: error.retryAfter * 1000 };
  if (code === ErrorCode.PlatformError) return { giveUp: String((error as WebAPIPlatformError).data.error) };
  if (code === ErrorCode.HTTPError && (error as WebAPIHTTPError).statusCode < 500)
    return { giveUp: `http_${(error as WebAPIHTTPError).statusCode}` };
  // 5xx, timeouts, refused connections: Slack may well take it later.
  return { retryInMs: Math.min(options.maxRetryDelayMs, options.retryBaseMs * 2 ** Math.max(0, attempts - 1)) };
}

export type SlackResult = Record<string, unknown> & { ts?: string; channel?: string };

/** A row written (maybe inside the caller's transaction) and not yet known to be sent. */
export interface Queued {
  id: number;
  channel: string;
}

interface Waiter {
  resolve(result: SlackResult): void;
  reject(error: unknown): void;
}

/** A Slack error as the caller would have met it calling Slack directly. */
export class SlackGaveUp extends Error {
  constructor(
    readonly method: string,
    readonly data: { error: string },
  ) {
    super(`${method} failed: ${data.error}`);
  }
}

/**
 * Every Slack Web API call tugboat makes goes through here. What tugboat says (posts, updates,
 * topics, invites) is first a row of the outbox (src/slack/outbox.ts), then sent by the one
 * replica holding that channel's lease: in order, spaced, a 429 waiting out its `Retry-After` and a
 * 5xx or timeout retried with backoff in that channel only, given up only when Slack answers with
 * an error of its own. The caller's promise settles when its row does, on whichever replica sent it.
 * Reads and calls whose answer is needed at once (`call`) go straight to Slack, queued per channel.
 * The WebClient is built with `rejectRateLimitedCalls`, because its own 429 handling pauses every
 * call of the client, so one busy channel would stall all others.
 */
const SLACK_USER = /^[UW][A-Z0-9]+$/;

export class SlackPoster {
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #lastCallAt = new Map<string, number>();
  readonly #holder = randomUUID();
  readonly #waiters = new Map<number, Waiter[]>();
  /** Rows Slack took whose sending the database has not recorded yet. */
  readonly #unrecorded = new Map<number, SlackResult>();
  /** Channels this process is sending; `again` when a row arrived meanwhile. */
  readonly #sending = new Map<string, { again: boolean; done?: Promise<void> }>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #poll: NodeJS.Timeout;
  #stopped = false;
  #looking = false;

  constructor(
    readonly client: WebClient,
    private readonly deps: { log: Logger; metrics: Metrics; store: Store; config(): Config },
    private readonly options: PosterOptions = DEFAULT_POSTER_OPTIONS,
  ) {
    this.#poll = setInterval(() => void this.#lookAround(), options.pollMs);
    this.#poll.unref();
  }

  async post(args: ChatPostMessageArguments, onSent?: OnSent): Promise<SlackResult> {
    return this.delivered(await this.writePost(this.deps.store, args, onSent));
  }

  /** Writes a post as part of the caller's transaction; hand the result to `delivered` once committed. */
  async writePost(db: Queryable, args: ChatPostMessageArguments, onSent?: OnSent): Promise<Queued> {
    return this.#write(db, {
      channel: args.channel,
      method: 'chat.postMessage',
      args: fitToSlack(args) as unknown as Record<string, unknown>,
      onSent,
    });
  }

  /** Several updates of one message while it waits are sent as one, with the latest content. */
  update(args: ChatUpdateArguments): Promise<SlackResult> {
    const message = fitToSlack(args) as unknown as Record<string, unknown>;
    return this.#say({
      channel: args.channel,
      method: 'chat.update',
      args: message,
      coalesceKey: `${args.channel}:${args.ts}`,
    });
  }

  setTopic(channel: string, topic: string): Promise<SlackResult> {
    return this.#say({
      channel,
      method: 'conversations.setTopic',
      args: { channel, topic },
      coalesceKey: `topic:${channel}`,
    });
  }

  invite(channel: string, users: string[]): Promise<SlackResult> {
    return this.#say({ channel, method: 'conversations.invite', args: { channel, users: users.join(',') } });
  }

  /** Posts to several channels (each once); returns, rather than throws, the channels it could not post to. */
  async postToEach(channels: Iterable<string>, message: { text: string; blocks?: KnownBlock[] }): Promise<string[]> {
    const failed: string[] = [];
    await Promise.all(
      [...new Set(channels)].map((channel) =>
        this.post({ ...message, channel }).catch((error) => {
          this.deps.log.warn({ err: error, channel }, 'could not post to a channel');
          failed.push(channel);
        }),
      ),
    );
    return failed;
  }

  /** Writes a message and resolves with Slack's answer once it is sent (rejects once given up on). */
  async #say(message: OutboxMessage): Promise<SlackResult> {
    return this.delivered(await this.#write(this.deps.store, message));
  }

  async #write(db: Queryable, message: OutboxMessage): Promise<Queued> {
    return { id: await enqueue(db, message), channel: message.channel };
  }

  /** Sends the row now if this process may, and settles when it is sent, here or on another replica. */
  delivered(queued: Queued): Promise<SlackResult> {
    const settled = new Promise<SlackResult>((resolve, reject) => {
      this.#waiters.set(queued.id, [...(this.#waiters.get(queued.id) ?? []), { resolve, reject }]);
    });
    this.#wake(queued.channel);
    return settled;
  }

  /** Stops sending once the rows being sent are; rows left are sent by another replica, or by this one's next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#poll);
    for (const timer of this.#timers) clearTimeout(timer);
    await Promise.all([...this.#sending.values()].map((state) => state.done));
  }

  #wake(channel: string): void {
    if (this.#stopped) return;
    const sending = this.#sending.get(channel);
    if (sending) {
      sending.again = true;
      return;
    }
    const state: { again: boolean; done?: Promise<void> } = { again: false };
    this.#sending.set(channel, state);
    state.done = (async () => {
      try {
        do {
          state.again = false;
          await this.#drain(channel);
        } while (state.again && !this.#stopped);
      } catch (error) {
        this.deps.log.error({ err: error, channel }, 'could not send the outbox of a channel');
        this.#wakeIn(channel, this.options.pollMs);
      } finally {
        this.#sending.delete(channel);
      }
    })();
  }

  #wakeIn(channel: string, ms: number): void {
    if (this.#stopped) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#wake(channel);
    }, ms);
    timer.unref();
    this.#timers.add(timer);
  }

  /** Sends the channel's rows, oldest first, while this process holds its lease and a row is due. */
  async #drain(channel: string): Promise<void> {
    const { store } = this.deps;
    if (!(await claimChannel(store, channel, this.#holder, this.options.leaseMs))) {
      this.#wakeIn(channel, BUSY_CHANNEL_RETRY_MS);
      return;
    }
    const lease = this.#keepLease(channel);
    try {
      for (;;) {
        if (this.#stopped || lease.lost) return;
        const next = await oldestUnsent(store, channel);
        if (!next) return;
        if (next.dueInMs > 0) {
          this.#wakeIn(channel, next.dueInMs);
          return;
        }
        const row = await startSending(store, next.id);
        if (row) await this.#send(row);
      }
    } finally {
      lease.stop();
      if (!lease.lost) await releaseChannel(store, channel, this.#holder);
    }
  }

  /**
   * Renews the channel's lease every third of it while this process sends, however long a call
   * takes, so that the lease only lapses when the process has died. `lost` once another replica
   * has taken the channel (this one could not renew in time): sending stops after the current row.
   */
  #keepLease(channel: string): { readonly lost: boolean; stop(): void } {
    let lost = false;
    const renew = async () => {
      try {
        lost ||= !(await claimChannel(this.deps.store, channel, this.#holder, this.options.leaseMs));
      } catch (error) {
        this.deps.log.warn({ err: error, channel }, 'could not renew the lease on sending to a channel; trying again');
      }
    };
    const timer = setInterval(() => void renew(), this.options.leaseMs / 3);
    timer.unref();
    return {
      get lost() {
        return lost;
      },
      stop: () => clearInterval(timer),
    };
  }

  async #send(row: OutboxRow): Promise<void> {
    const { store, metrics, log } = this.deps;
    // Sent before the database could record it (it was unreachable): recorded now, never sent again.
    let result = this.#unrecorded.get(row.id);
    if (!result && row.attempts > 1 && row.error === null)
      log.warn(
        { channel: row.channel, row: row.id },
        'sending a row whose sender stopped mid-call; Slack may already have it',
      );
    // An earlier attempt of a post may have reached Slack (its sender died, or the answer was lost): look before posting again.
    // Updates, topics and invites need no lookup: sending the same one twice leaves Slack as once.
    if (!result && row.method === 'chat.postMessage' && row.attemptedSince) {
      const earlier = await this.#earlierPost(row, row.attemptedSince);
      if (earlier === 'retry') return;
      if (earlier) {
        log.warn(
          { channel: row.channel, row: row.id, ts: earlier.ts },
          'slack already had a post whose sending was not recorded; recording it instead of posting again',
        );
        result = earlier;
        this.#unrecorded.set(row.id, result);
      }
    }
    if (!result) {
      await this.#spaced(row.channel);
      try {
        const args =
          row.method === 'chat.postMessage'
            ? { ...row.args, metadata: { event_type: OUTBOX_EVENT, event_payload: { row: row.id } } }
            : row.args;
        result = (await this.client.apiCall(row.method, args)) as unknown as SlackResult;
        metrics.slackCalls.inc({ method: row.method, outcome: 'ok' });
      } catch (error) {
        // An invite whose earlier attempt reached Slack finds its people already there: that is the invite done.
        const alreadyInvited =
          row.method === 'conversations.invite' &&
          row.attemptedSince &&
          (error as WebAPIPlatformError)?.data?.error === 'already_in_channel';
        if (!alreadyInvited) {
          await this.#refused(row, error);
          return;
        }
        result = { ok: true, channel: row.channel };
      } finally {
        // Spaced from when Slack answered, so network jitter cannot bring two calls closer at Slack's end.
        this.#lastCallAt.set(row.channel, Date.now());
      }
      this.#unrecorded.set(row.id, result);
    }
    const sent = result;
    await store.transaction((tx) => markSent(tx, row, { ts: sent.ts, channel: sent.channel }));
    this.#unrecorded.delete(row.id);
    this.#settle(row.id, (waiter) => waiter.resolve(sent));
  }

  /**
   * The post an earlier attempt at `row` left in Slack, found by its metadata in the channel's history
   * (or the thread's, for a reply) from a little before that attempt; `retry` when Slack could not be
   * asked now (the row waits, as after a failed send). When Slack will not say (a missing scope,
   * a thread gone), it is posted again, as before this lookup existed.
   */
  async #earlierPost(row: OutboxRow, since: Date): Promise<SlackResult | 'retry' | undefined> {
    const { metrics, log, store } = this.deps;
    const oldest = ((since.getTime() - LOOKUP_MARGIN_MS) / 1000).toFixed(6);
    const threadTs =
      typeof row.args.thread_ts === 'string' && row.args.thread_ts !== '' ? row.args.thread_ts : undefined;
    const method = threadTs ? 'conversations.replies' : 'conversations.history';
    try {
      await this.#spaced(row.channel);
      // A post to a user ID lands in the bot's DM with them, which history knows by its own ID.
      const channel = /^[UW]/.test(row.channel)
        ? ((await this.client.conversations.open({ users: row.channel })).channel?.id ?? row.channel)
        : row.channel;
      let cursor: string | undefined;
      for (let page = 0; page < LOOKUP_MAX_PAGES; page++) {
        const query = { channel, oldest, include_all_metadata: true, limit: 200, cursor };
        const answer = threadTs
          ? await this.client.conversations.replies({ ...query, ts: threadTs })
          : await this.#history(query);
        metrics.slackCalls.inc({ method, outcome: 'ok' });
        const found = (
          answer.messages as
            | Array<{ ts?: string; metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }>
            | undefined
        )?.find(
          (message) =>
            message.metadata?.event_type === OUTBOX_EVENT && Number(message.metadata.event_payload?.row) === row.id,
        );
        if (found?.ts) return { ok: true, channel, ts: found.ts };
        cursor = answer.response_metadata?.next_cursor || undefined;
        if (!answer.has_more || !cursor) return undefined;
      }
      log.warn(
        { channel: row.channel, row: row.id },
        'too many messages to look through for an earlier attempt of a post; posting it again',
      );
      return undefined;
    } catch (error) {
      const verdict = judge(error, row.attempts, this.options);
      metrics.slackCalls.inc({ method, outcome: isRateLimited(error) ? 'rate_limited' : 'error' });
      if ('giveUp' in verdict) {
        log.warn(
          { channel: row.channel, row: row.id, error: verdict.giveUp },
          'could not look for an earlier attempt of a post; posting it again',
        );
        return undefined;
      }
      const reason = String((error as Error)?.message ?? error);
      log.warn(
        { channel: row.channel, row: row.id, error: reason, retryInMs: verdict.retryInMs },
        'could not look for an earlier attempt of a post; trying again later',
      );
      await retryLater(store, row, verdict.retryInMs, reason);
      return 'retry';
    } finally {
      this.#lastCallAt.set(row.channel, Date.now());
    }
  }

  /** `conversations.history`, joining a public channel first when tugboat posts there without being a member (chat:write.public). */
  async #history(query: {
    channel: string;
    oldest: string;
    include_all_metadata: boolean;
    limit: number;
    cursor?: string;
  }) {
    try {
      return await this.client.conversations.history(query);
    } catch (error) {
      const code =
        (error as { code?: string })?.code === ErrorCode.PlatformError
          ? (error as WebAPIPlatformError).data.error
          : undefined;
      if (code !== 'not_in_channel' || !query.channel.startsWith('C')) throw error;
      await this.client.conversations.join({ channel: query.channel });
      return this.client.conversations.history(query);
    }
  }

  async #refused(row: OutboxRow, error: unknown): Promise<void> {
    const { store, metrics, log } = this.deps;
    const verdict = judge(error, row.attempts, this.options);
    if ('giveUp' in verdict) {
      metrics.slackCalls.inc({ method: row.method, outcome: 'error' });
      await this.#giveUp(row, verdict.giveUp);
      return;
    }
    metrics.slackCalls.inc({ method: row.method, outcome: isRateLimited(error) ? 'rate_limited' : 'error' });
    const reason = String((error as Error)?.message ?? error);
    log.warn(
      { method: row.method, channel: row.channel, row: row.id, error: reason, retryInMs: verdict.retryInMs },
      'slack did not take a message; trying again later',
    );
    // Answered with a 429 or a 5xx, Slack took nothing; a timeout, a dropped connection or a gateway's 504 may hide a post it did take.
    const status =
      (error as { code?: string })?.code === ErrorCode.HTTPError ? (error as WebAPIHTTPError).statusCode : undefined;
    await retryLater(
      store,
      row,
      verdict.retryInMs,
      reason,
      isRateLimited(error) || (status !== undefined && status !== 504),
    );
  }

  async #giveUp(row: OutboxRow, error: string): Promise<void> {
    await markFailed(this.deps.store, row.id, error);
    this.#settle(row.id, (waiter) => waiter.reject(new SlackGaveUp(row.method, { error })));
    this.deps.metrics.slackGivenUp.inc({ method: row.method, error });
    if (!CHANNEL_ERRORS.has(error)) return;
    this.deps.log.error(
      { method: row.method, channel: row.channel, error, row: row.id },
      'slack will not take messages into this channel; gave up on one',
    );
    if (row.noteAbout === null) await this.#noteUndeliverable(row, error);
  }

  /** Tells the admins by DM, once an hour per channel. */
  async #noteUndeliverable(row: OutboxRow, error: string): Promise<void> {
    const { store, config } = this.deps;
    if (await notedRecently(store, row.channel, NOTE_EVERY_MS)) return;
    const message = undeliverable(row.channel, error, row.args.text ?? row.args.topic ?? '');
    for (const admin of config().admins) {
      const queued = await this.#write(store, {
        channel: admin,
        method: 'chat.postMessage',
        args: { channel: admin, ...message },
        noteAbout: row.channel,
      });
      this.#wake(queued.channel);
    }
  }

  async #spaced(channel: string): Promise<void> {
    const wait = (this.#lastCallAt.get(channel) ?? 0) + this.options.minIntervalMs - Date.now();
    if (wait > 0) await sleep(wait);
  }

  #settle(id: number, how: (waiter: Waiter) => void): void {
    const waiters = this.#waiters.get(id) ?? [];
    this.#waiters.delete(id);
    waiters.forEach(how);
  }

  /** Rows to retry, rows whose writer died, and the waiters of rows another replica sent; one look at a time (a hung database must not take every connection). */
  async #lookAround(): Promise<void> {
    if (this.#looking) return;
    this.#looking = true;
    try {
      for (const channel of await channelsDue(this.deps.store, this.options.orphanedAfterMs)) this.#wake(channel);
      if (this.#waiters.size === 0) return;
      for (const row of await settledRows(this.deps.store, [...this.#waiters.keys()])) {
        if (row.status === 'failed')
          this.#settle(row.id, (waiter) =>
            waiter.reject(new SlackGaveUp(row.method, { error: row.error ?? 'failed' })),
          );
        else this.#settle(row.id, (waiter) => waiter.resolve(row.result ?? {}));
      }
    } catch (error) {
      if (!this.#stopped) this.deps.log.warn({ err: error }, 'could not look for slack messages to send');
    } finally {
      this.#looking = false;
    }
  }

  /** The Slack user with this email (`users.lookupByEmail`, needs the users:read.email scope); throws `users_not_found` when none has it. */
  async userIdByEmail(email: string): Promise<string | undefined> {
    const found = await this.call('users.lookupByEmail', 'users.lookupByEmail', () =>
      this.client.users.lookupByEmail({ email }),
    );
    const id = found.user?.id;
    return id && SLACK_USER.test(id) ? id : undefined;
  }

  /** The time zone Slack has for a user (`users.info`), when it is one tugboat can use. */
  async timeZoneOf(user: string): Promise<string | undefined> {
    const found = await this.call('users.info', 'users.info', () => this.client.users.info({ user }));
    return found.user?.tz && IANAZone.isValidZone(found.user.tz) ? found.user.tz : undefined;
  }

  /** Queues `fn` behind earlier calls into `channel`, spaced and retried on 429. */
  call<T>(channel: string, method: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(channel) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.#run(channel, method, fn));
    this.#queues.set(channel, next);
    const cleanup = () => {
      if (this.#queues.get(channel) === next) this.#queues.delete(channel);
    };
    next.then(cleanup, cleanup);
    return next;
  }

  async #run<T>(channel: string, method: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const wait = (this.#lastCallAt.get(channel) ?? 0) + this.options.minIntervalMs - Date.now();
      if (wait > 0) await sleep(wait);
      try {
        const result = await fn();
        this.deps.metrics.slackCalls.inc({ method, outcome: 'ok' });
        return result;
      } catch (error) {
        if (isRateLimited(error) && attempt < this.options.maxRateLimitRetries) {
          this.deps.metrics.slackCalls.inc({ method, outcome: 'rate_limited' });
          this.deps.log.warn(
            { method, channel, retryAfter: error.retryAfter },
            'slack rate limited this channel; waiting',
          );
          await sleep(error.retryAfter * 1000);
          continue;
        }
        this.deps.metrics.slackCalls.inc({ method, outcome: 'error' });
        throw error;
      } finally {
        // Spaced from when Slack answered, so network jitter cannot bring two calls closer at Slack's end.
        this.#lastCallAt.set(channel, Date.now());
      }
    }
  }
}
