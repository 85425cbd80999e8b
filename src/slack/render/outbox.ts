import { channelLink, code, type SlackMessage } from './format.ts';
import { escapeText } from './untrusted.ts';

/** To an admin: what tugboat could not say in a channel, why, and what fixes it. */
export function undeliverable(channel: string, error: string, said: unknown): SlackMessage {
  const fix =
    error === 'not_in_channel'
      ? 'Invite tugboat to the channel (`/invite @tugboat`).'
      : 'Check that channel in tugboat.yml: it is gone or archived.';
  return {
    text: `tugboat could not post to ${channelLink(channel)} (${code(error)}) and gave up on this message: “${escapeText(said, 300)}”. ${fix}`,
  };
}
