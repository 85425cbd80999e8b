import type { Deployer } from '../src/deploys/index.ts';
import type { Deps } from '../src/deps.ts';
import type { CommitLinks } from '../src/slack/render/deploys.ts';
import type { SlackMessage } from '../src/slack/render/format.ts';

export interface Invocation {
  text: string;
  userId: string;
  channelId: string;
}

/** Answers only the caller (ephemeral); announcements go through `deps.slack`. */
export type Reply = (message: SlackMessage) => Promise<void>;

/** What commands may be handed: the infrastructure, the deployer, and links to commits on GitHub's web UI. */
export type CommandDeps = Deps & { deployer: Deployer; links: CommitLinks };

/** A slash command; `Needs` names the part of `CommandDeps` it uses. */
export interface Command<Needs extends keyof CommandDeps = keyof CommandDeps> {
  name: `/${string}`;
  run(invocation: Invocation, reply: Reply, deps: Pick<CommandDeps, Needs>): Promise<void>;
}
