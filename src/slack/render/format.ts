import type { KnownBlock } from '@slack/types';
import { formatDuration } from '../../config/index.ts';
import { codeText, escapeText } from './untrusted.ts';

export interface SlackMessage {
  text: string;
  blocks?: KnownBlock[];
}

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/** A Slack user ID as a mention; anything else (an unmapped `@github-login`, a pusher's name) as escaped text. */
export const mention = (userId: string) => (SLACK_USER_ID.test(userId) ? `<@${userId}>` : escapeText(userId));

const SLACK_CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;

/** A link to a channel tugboat knows by its ID; anything else as escaped text. */
export const channelLink = (channelId: string) =>
  SLACK_CHANNEL_ID.test(channelId) ? `<#${channelId}>` : escapeText(channelId);

/** Text from outside in inline code; it cannot end the span or form a mention or link. */
export const code = (text: string) => codeText(text);

/** A name from outside (a service, an environment, a check), in bold. */
export const strong = (name: string) => `*${escapeText(name)}*`;

/** A commit SHA shortened like Git does. */
export const shortSha = (sha: string) => sha.slice(0, 7);

/** A deploy's ref as typed, but a full SHA (a rollback, a deploy by SHA) shortened like Git does. */
export const refLabel = (ref: string) => code(/^[0-9a-f]{40}$/.test(ref) ? shortSha(ref) : ref);

/** A Block Kit button whose click reaches the listener of `actionId` with `value`. */
export function button(actionId: string, text: string, value: string, style?: 'primary' | 'danger') {
  return {
    type: 'button' as const,
    action_id: actionId,
    text: { type: 'plain_text' as const, text },
    value,
    ...(style ? { style } : {}),
  };
}

/** A time each reader sees in their own time zone, with a UTC fallback for clients that cannot. */
export function slackTime(date: Date): string {
  const unix = Math.floor(date.getTime() / 1000);
  const fallback = date.toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  return `<!date^${unix}^{date_short_pretty} at {time}|${fallback}>`;
}

/** "in 1h 20m" / "5m ago", rounded to the minute once over a minute. */
export function relative(date: Date, now: Date): string {
  const ms = date.getTime() - now.getTime();
  const abs = Math.abs(ms);
  const rounded = abs >= 60_000 ? Math.round(abs / 60_000) * 60_000 : Math.max(1000, Math.round(abs / 1000) * 1000);
  return ms >= 0 ? `in ${formatDuration(rounded)}` : `${formatDuration(rounded)} ago`;
}

/** Plain text for one-line messages: Slack shows `text` when there are no blocks. */
export const plain = (text: string): SlackMessage => ({ text });

/** The answer to a command or button while PostgreSQL is unreachable. */
export const databaseUnreachable = (): SlackMessage =>
  plain('tugboat cannot reach its database, nothing was done, try again in a minute.');
