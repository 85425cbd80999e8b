import type { Deps } from '../deps.ts';
import { slackUserFor } from './people.ts';

type LookupDeps = Pick<Deps, 'config' | 'store' | 'github' | 'slack' | 'log' | 'now'>;

/** Who a nudge goes to: their Slack user when the login is mapped, and the time zone Slack has for them. */
export interface Recipient {
  login: string;
  slackUser?: string;
  /** The Slack user's IANA time zone; absent when unknown (then the config's `timezone` applies). */
  slackZone?: string;
}

/** A Slack user's time zone from `users.info`, or undefined when Slack does not say (or cannot be asked). */
export async function slackTimeZone(deps: Pick<Deps, 'slack' | 'log'>, slackUser: string): Promise<string | undefined> {
  try {
    return await deps.slack.timeZoneOf(slackUser);
  } catch (error) {
    deps.log.debug({ err: error, slackUser }, 'no time zone from Slack for a user');
    return undefined;
  }
}

/**
 * Recipients by GitHub login, remembered for `ttlMs`: a sweep runs every minute, and finding
 * an unmapped login means asking GitHub and Slack each time.
 */
export class Recipients {
  readonly #cache = new Map<string, { recipient: Recipient; expiresAt: number }>();

  constructor(
    private readonly deps: LookupDeps,
    private readonly ttlMs = 60 * 60_000,
  ) {}

  async of(login: string): Promise<Recipient> {
    const now = this.deps.now().getTime();
    const cached = this.#cache.get(login);
    if (cached && cached.expiresAt > now) return cached.recipient;
    const recipient = await this.#lookUp(login);
    this.#cache.set(login, { recipient, expiresAt: now + this.ttlMs });
    return recipient;
  }

  async #lookUp(login: string): Promise<Recipient> {
    const slackUser = await slackUserFor(this.deps, login);
    if (!slackUser) return { login };
    return { login, slackUser, slackZone: await slackTimeZone(this.deps, slackUser) };
  }
}
