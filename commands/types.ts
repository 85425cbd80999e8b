import type { Deps } from '../src/deps.ts';
import type { SlackMessage } from '../src/slack/render/format.ts';

export interface Invocation {
  text: string;
  userId: string;
  channelId: string;
}

/** Answers only the caller (ephemeral); announcements go through `deps.slack`. */
export type Reply = (message: SlackMessage) => Promise<void>;

export interface Command {
  name: `/${string}`;
  run(invocation: Invocation, reply: Reply, deps: Deps): Promise<void>;
}
