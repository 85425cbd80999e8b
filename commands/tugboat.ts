import { plain } from '../src/slack/render/format.ts';
import type { Command } from './types.ts';

export const HELP = [
  '*tugboat*: deploy all day without breaking production.',
  '`/lock <env>|<service>@<env>|all [for <duration>] [reason…]`: take a lock, announced in the channel',
  '`/unlock <env>|<service>@<env>|all [--force]`: release your lock (`--force`: admins, anyone’s)',
  '`/locks`: list current locks',
  '`/tugboat help`: this message',
].join('\n');

export const tugboat: Command = {
  name: '/tugboat',
  async run({ text }, reply) {
    const [subcommand = 'help'] = text.trim().split(/\s+/).filter(Boolean);
    if (subcommand.toLowerCase() === 'help') return reply(plain(HELP));
    await reply(plain(`Unknown subcommand \`${subcommand}\`.\n${HELP}`));
  },
};
