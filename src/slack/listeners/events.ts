import type { App } from '@slack/bolt';
import { HELP } from '../../../commands/tugboat.ts';
import type { Deps } from '../../deps.ts';

/** Mentioning the bot gets the help, in a thread so the channel stays quiet. */
export function registerEvents(app: App, deps: Pick<Deps, 'slack'>): void {
  app.event('app_mention', async ({ event }) => {
    await deps.slack.post({ channel: event.channel, thread_ts: event.thread_ts ?? event.ts, text: HELP });
  });
}
