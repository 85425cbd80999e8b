/** The slash commands tugboat answers (commands/index.ts, README), as the page's composer suggests them. */
export const SLASH_COMMANDS = [
  {
    command: '/deploy',
    usage: '/deploy <service> [<ref>] [to <env>] [--plan] [--force]',
    description: 'Deploy a branch, tag or SHA of a service',
  },
  {
    command: '/rollback',
    usage: '/rollback <service> [<env>] [to <ref-or-#id>]',
    description: 'Deploy the release before the current one',
  },
  {
    command: '/lock',
    usage: '/lock <env>|<service>@<env>|all [for <duration>] [reason…]',
    description: 'Take a lock, announced in the channel',
  },
  {
    command: '/unlock',
    usage: '/unlock <env>|<service>@<env>|all [--force]',
    description: 'Release your lock (admins: anyone’s, with --force)',
  },
  { command: '/locks', usage: '/locks', description: 'List current locks' },
  {
    command: '/tugboat',
    usage: '/tugboat help|status|history <service> [env]|link <github-login>|reviews|incident',
    description: 'Help, status, history, reviews, incidents',
  },
] as const;

export type ParsedCommand = { ok: true; command: string; text: string } | { ok: false; error: string };

/** `/lock prod 30m` → `/lock` and `prod 30m`, as Slack splits what was typed. */
export function parseCommandLine(line: string): ParsedCommand {
  const match = /^\s*(\/[^\s]+)(?:\s+([\s\S]*))?$/.exec(line);
  const known = SLASH_COMMANDS.map((c) => c.command).join(', ');
  if (!match) return { ok: false, error: `Type a slash command, like /lock prod; tugboat has ${known}.` };
  const command = match[1].toLowerCase();
  if (!SLASH_COMMANDS.some((c) => c.command === command)) {
    return { ok: false, error: `${match[1]} is not a valid command. tugboat has ${known}.` };
  }
  return { ok: true, command, text: (match[2] ?? '').trim() };
}
