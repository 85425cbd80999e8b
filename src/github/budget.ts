/**
 * GitHub's hourly API allowance for tugboat's token, as the last response said (the
 * `x-ratelimit-*` headers), and how tugboat spends it: background work (queue re-checks,
 * reconciling) stops while little is left, and nothing is sent while it is used up.
 */

/** A GitHub call that was not made, or was refused, because the rate limit is used up until `resetAt`. */
export class GitHubRateLimitedError extends Error {
  constructor(readonly resetAt: Date) {
    super(`GitHub's API rate limit for tugboat is used up until ${resetAt.toISOString()}`);
    this.name = 'GitHubRateLimitedError';
  }
}

export const isGitHubRateLimited = (error: unknown): error is GitHubRateLimitedError =>
  error instanceof GitHubRateLimitedError;

/** Below this share of the hourly limit (or this many calls), background work waits for the reset. */
const LOW_SHARE = 0.1;
const LOW_FLOOR = 100;

type Headers = Record<string, string | number | undefined>;

export class GitHubBudget {
  #limit: number | undefined;
  #remaining: number | undefined;
  #resetAt: Date | undefined;
  /** Set by a refusal (403/429): nothing is sent before this. */
  #blockedUntil: Date | undefined;

  constructor(private readonly now: () => Date) {}

  /** Reads the rate-limit headers of any response GitHub sent. */
  observe(headers: Headers): void {
    const remaining = numberHeader(headers['x-ratelimit-remaining']);
    if (remaining === undefined) return;
    this.#remaining = remaining;
    this.#limit = numberHeader(headers['x-ratelimit-limit']) ?? this.#limit;
    const reset = numberHeader(headers['x-ratelimit-reset']);
    if (reset !== undefined) this.#resetAt = new Date(reset * 1000);
  }

  /**
   * Reads a refused request: GitHub answers a used-up limit with 403 or 429 and says until when
   * (`x-ratelimit-reset`, or `retry-after` for its secondary limits). Returns the typed error, or
   * undefined when the refusal was about something else.
   */
  refused(status: number, headers: Headers, message: string): GitHubRateLimitedError | undefined {
    this.observe(headers);
    const retryAfter = numberHeader(headers['retry-after']);
    const exhausted = numberHeader(headers['x-ratelimit-remaining']) === 0;
    if (status !== 429 && !(status === 403 && (exhausted || retryAfter !== undefined || /rate limit/i.test(message))))
      return undefined;
    const until =
      retryAfter !== undefined
        ? new Date(this.now().getTime() + retryAfter * 1000)
        : (this.#resetAt ?? new Date(this.now().getTime() + 60_000));
    this.#blockedUntil = until;
    return new GitHubRateLimitedError(until);
  }

  /** When the limit is used up, until when; undefined while calls may be made. */
  usedUpUntil(): Date | undefined {
    const now = this.now();
    if (this.#blockedUntil && this.#blockedUntil > now) return this.#blockedUntil;
    if (this.#remaining === 0 && this.#resetAt && this.#resetAt > now) return this.#resetAt;
    return undefined;
  }

  /** Whether there is enough left for work nobody is waiting on; false until the reset once little is left. */
  allowsBackgroundWork(): boolean {
    if (this.usedUpUntil()) return false;
    if (this.#remaining === undefined || !this.#resetAt || this.#resetAt <= this.now()) return true;
    return this.#remaining >= Math.max(LOW_FLOOR, (this.#limit ?? 0) * LOW_SHARE);
  }
}

function numberHeader(value: string | number | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}
