import { lockChannels, releaseLock, scopeLabel } from '../src/locks/index.ts';
import { mayForceUnlock } from '../src/permissions.ts';
import { plain } from '../src/slack/render/format.ts';
import { lockReleased, noLockToRelease, notYourLock } from '../src/slack/render/locks.ts';
import { resolveLockTarget } from './lock-target.ts';
import type { Command } from './types.ts';

/** `/unlock <target> [--force]`; the target may be left out in a bound channel. */
export function parseUnlockArgs(text: string): { target?: string; force: boolean } {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const force = words.some((w) => w === '--force');
  return { target: words.find((w) => w !== '--force'), force };
}

export const unlock: Command<'config' | 'now' | 'slack' | 'store'> = {
  name: '/unlock',
  async run({ text, userId, channelId }, reply, deps) {
    const config = deps.config();
    const args = parseUnlockArgs(text);
    const target = resolveLockTarget(config, args.target, channelId, '/unlock');
    if (!target.ok) return reply(plain(target.message));
    const admin = mayForceUnlock(config, userId);
    if (args.force && !admin) {
      return reply(
        plain('Only admins (`admins:` in tugboat.yml) can use `--force`. Ask the holder or an admin to release it.'),
      );
    }
    const result = await releaseLock(deps.store, {
      scope: target.scope,
      actor: userId,
      force: args.force,
      channel: channelId,
      now: deps.now(),
    });
    if (!result.ok) {
      return reply(
        result.reason === 'none' ? noLockToRelease(scopeLabel(target.scope)) : notYourLock(result.lock, admin),
      );
    }
    const message = lockReleased(result.lock);
    const failed = await deps.slack.postToEach(lockChannels(config, result.lock, channelId), message);
    if (failed.includes(channelId)) await reply(message);
  },
};
