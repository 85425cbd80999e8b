import {
  ErrorCode,
  type ChatPostMessageArguments,
  type ChatUpdateArguments,
  type WebAPIRateLimitedError,
  type WebClient,
} from '@slack/web-api';
import type { KnownBlock } from '@slack/types';
import type { Logger } from '../log.ts';
import type { Metrics } from '../metrics.ts';
import { fitToSlack } from './render/untrusted.ts';

export interface PosterOptions {
  /** Spacing between two calls into the same channel (Slack allows about one message per second per channel). */
  minIntervalMs: number;
  /** How many 429s in a row one call may meet before it gives up. */
  maxRateLimitRetries: number;
}

export const DEFAULT_POSTER_OPTIONS: PosterOptions = { minIntervalMs: 1000, maxRateLimitRetries: 5 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const isRateLimited = (error: unknown): error is WebAPIRateLimitedError =>
  (error as { code?: string })?.code === ErrorCode.RateLimitedError;

/**
 * Every Slack Web API call tugboat makes goes through here, queued per channel: calls into
 * one channel run in order, spaced, and a 429 there waits out its `Retry-After` in that
 * channel's queue only. The WebClient is built with `rejectRateLimitedCalls`, because its
 * own 429 handling pauses every call of the client, so one busy channel would stall all others.
 */
export class SlackPoster {
  readonly #queues = new Map<string, Promise<unknown>>();
  readonly #lastCallAt = new Map<string, number>();

  constructor(
    readonly client: WebClient,
    private readonly deps: { log: Logger; metrics: Metrics },
    private readonly options: PosterOptions = DEFAULT_POSTER_OPTIONS,
  ) {}

  post(args: ChatPostMessageArguments) {
    return this.call(args.channel, 'chat.postMessage', () => this.client.chat.postMessage(fitToSlack(args)));
  }

  update(args: ChatUpdateArguments) {
    return this.call(args.channel, 'chat.update', () => this.client.chat.update(fitToSlack(args)));
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
          this.deps.log.warn({ method, channel, retryAfter: error.retryAfter }, 'slack rate limited this channel; waiting');
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
