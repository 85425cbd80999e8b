import { parseDuration, type Config } from '../src/config/index.ts';
import { acquireLock, lockChannels, scopeLabel, type LockScope } from '../src/locks/index.ts';
import { mayLock } from '../src/permissions.ts';
import { code, plain } from '../src/slack/render/format.ts';
import { escapeText } from '../src/slack/render/untrusted.ts';
import { lockAlreadyYours, lockHeldRefusal, lockTaken } from '../src/slack/render/locks.ts';
import { resolveLockTarget } from './lock-target.ts';
import type { Command } from './types.ts';

interface LockArgs {
  target?: string;
  duration?: string;
  reason: string;
}

/** `/lock <target> [for <duration>] [reason…]`; the target may be left out in a bound channel. */
export function parseLockArgs(text: string): LockArgs {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const target = words[0] && words[0].toLowerCase() !== 'for' ? words.shift() : undefined;
  const duration = words[0]?.toLowerCase() === 'for' && words.length > 1 ? (words.shift(), words.shift()) : undefined;
  return { target, duration, reason: words.join(' ') };
}

/** The environment's `lock_ttl`; for `all`, the shortest of them, so a forgotten freeze lapses soonest. */
function defaultDurationMs(config: Config, scope: LockScope): number {
  if (scope.kind !== 'all') return config.environments[scope.environment].lock_ttl;
  return Math.min(...Object.values(config.environments).map((env) => env.lock_ttl));
}

export const lock: Command<'config' | 'now' | 'slack' | 'store'> = {
  name: '/lock',
  async run({ text, userId, channelId }, reply, deps) {
    const config = deps.config();
    const args = parseLockArgs(text);
    const target = resolveLockTarget(config, args.target, channelId, '/lock');
    if (!target.ok) return reply(plain(target.message));
    if (!mayLock(config, userId, target.scope)) {
      return reply(
        plain(
          `You are not on the deployers list for ${code(scopeLabel(target.scope))}, so you cannot lock it. Ask an admin.`,
        ),
      );
    }
    let durationMs: number;
    try {
      durationMs = args.duration ? parseDuration(args.duration) : defaultDurationMs(config, target.scope);
    } catch (error) {
      return reply(
        plain(
          `${escapeText((error as Error).message)}. For example: ${code(`/lock ${scopeLabel(target.scope)} for 2h deploying the migration`)}.`,
        ),
      );
    }
    const now = deps.now();
    const result = await acquireLock(deps.store, {
      scope: target.scope,
      holder: userId,
      reason: args.reason,
      channel: channelId,
      durationSeconds: Math.ceil(durationMs / 1000),
      now,
    });
    if (!result.ok)
      return reply(result.reason === 'held' ? lockHeldRefusal(result.lock, now) : lockAlreadyYours(result.lock, now));
    const message = lockTaken(result.lock, now);
    const failed = await deps.slack.postToEach(lockChannels(config, result.lock), message);
    if (failed.includes(channelId)) await reply(message);
  },
};
