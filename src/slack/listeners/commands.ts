import { acknowledge } from './acknowledge.ts';
import type { App } from '@slack/bolt';
import type { Command, CommandDeps } from '../../../commands/index.ts';
import { isGitHubRateLimited } from '../../github/budget.ts';
import { isDatabaseUnavailable } from '../../store/index.ts';
import { githubLimitUsedUp } from '../render/deploys.ts';
import { databaseUnreachable, plain } from '../render/format.ts';
import { fitToSlack } from '../render/untrusted.ts';

/**
 * Every slash command is acknowledged at once (Slack's 3-second limit), then run; its
 * ephemeral answers go through the command's response_url.
 */
export function registerCommands(app: App, commands: Command[], deps: CommandDeps): void {
  for (const command of commands) {
    app.command(command.name, async ({ ack, command: body, respond }) => {
      await acknowledge(ack);
      const reply = async (message: { text: string; blocks?: unknown[] }) => {
        await respond(fitToSlack({ response_type: 'ephemeral', ...message }) as Parameters<typeof respond>[0]);
      };
      const log = deps.log.child({ command: command.name, user: body.user_id, channel: body.channel_id });
      try {
        await command.run({ text: body.text ?? '', userId: body.user_id, channelId: body.channel_id }, reply, deps);
      } catch (error) {
        const outage = isDatabaseUnavailable(error);
        const rateLimited = isGitHubRateLimited(error);
        if (outage) log.warn({ err: error, text: body.text }, 'database unreachable; command not run');
        else if (rateLimited)
          log.warn({ err: error, text: body.text }, "GitHub's rate limit is used up; command not run");
        else log.error({ err: error, text: body.text }, 'command failed');
        const answer = outage
          ? databaseUnreachable()
          : rateLimited
            ? githubLimitUsedUp(error.resetAt, deps.now())
            : plain(
                `Sorry, \`${command.name}\` failed on our side and did nothing. Try again in a minute; if it keeps failing, tell your tugboat admins.`,
              );
        await reply(answer).catch((replyError) => log.warn({ err: replyError }, 'could not tell the user'));
      }
    });
  }
}
