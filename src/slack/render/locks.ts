import type { Lock, ReleasedLock } from '../../locks/index.ts';
import { scopeLabel } from '../../locks/index.ts';
import { formatDuration } from '../../config/index.ts';
import { button, code, mention, plain, relative, slackTime, strong, type SlackMessage } from './format.ts';
import { escapeText, LIMITS } from './untrusted.ts';

export const LOCK_EXTEND_ACTION = 'lock_extend';
export const LOCK_RELEASE_ACTION = 'lock_release';

const label = (lock: Lock) => strong(scopeLabel(lock.scope));
const reasonSuffix = (lock: Lock) => (lock.reason ? `: ${escapeText(lock.reason, LIMITS.sentence)}` : '');
const unlockCommand = (lock: Lock, flags = '') => code(`/unlock ${scopeLabel(lock.scope)}${flags}`);
const until = (lock: Lock, now: Date) => `until ${slackTime(lock.expiresAt)} (${relative(lock.expiresAt, now)})`;

export function lockTaken(lock: Lock, now: Date): SlackMessage {
  const what = lock.scope.kind === 'all' ? 'froze *every environment*' : `locked ${label(lock)}`;
  return plain(`:lock: ${mention(lock.holder)} ${what} ${until(lock, now)}${reasonSuffix(lock)}`);
}

export function lockHeldRefusal(lock: Lock, now: Date): SlackMessage {
  return plain(
    `:no_entry: ${label(lock)} is locked by ${mention(lock.holder)} ${until(lock, now)}${reasonSuffix(lock)}. ` +
      `Ask them to ${unlockCommand(lock)} when they are done, or wait for it to expire.`,
  );
}

export function lockAlreadyYours(lock: Lock, now: Date): SlackMessage {
  return plain(`You already hold ${label(lock)} ${until(lock, now)}. ${unlockCommand(lock)} releases it.`);
}

export function lockReleased(lock: ReleasedLock): SlackMessage {
  if (lock.releaseKind === 'forced') {
    return plain(
      `:unlock: ${mention(lock.releasedBy!)} force-released ${label(lock)}, which ${mention(lock.holder)} held${reasonSuffix(lock)}.`,
    );
  }
  if (lock.releaseKind === 'expired') {
    return plain(`:hourglass: ${mention(lock.holder)}'s lock on ${label(lock)} expired${reasonSuffix(lock)}.`);
  }
  return plain(`:unlock: ${mention(lock.holder)} released ${label(lock)}.`);
}

export function noLockToRelease(scope: string): SlackMessage {
  return plain(`Nothing to unlock: ${code(scope)} is not locked. \`/locks\` lists what is.`);
}

export function notYourLock(lock: Lock, isAdmin: boolean): SlackMessage {
  const fix = isAdmin
    ? `As an admin you can ${unlockCommand(lock, ' --force')}; it is announced.`
    : `Ask them, or an admin, to release it.`;
  return plain(`${label(lock)} is locked by ${mention(lock.holder)}, not you. ${fix}`);
}

export function lockList(locks: Lock[], now: Date): SlackMessage {
  if (locks.length === 0) return plain('No locks are held.');
  const lines = locks.map(
    (lock) => `• ${label(lock)}: ${mention(lock.holder)} ${until(lock, now)}${reasonSuffix(lock)}`,
  );
  return plain(`*Current locks*\n${lines.join('\n')}`);
}

export function lockReminder(lock: Lock, now: Date): SlackMessage {
  const text =
    `:hourglass_flowing_sand: Your lock on ${label(lock)} expires ${relative(lock.expiresAt, now)}` +
    `${reasonSuffix(lock)}. Extend it by ${formatDuration(lock.durationSeconds * 1000)}, or release it if you are done.`;
  const value = JSON.stringify({ lockId: lock.id, expiresAt: lock.expiresAt.toISOString() });
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text } },
      {
        type: 'actions',
        elements: [
          button(LOCK_EXTEND_ACTION, `Extend ${formatDuration(lock.durationSeconds * 1000)}`, value, 'primary'),
          button(LOCK_RELEASE_ACTION, 'Release', value),
        ],
      },
    ],
  };
}

export function lockExtended(lock: Lock, now: Date): SlackMessage {
  return plain(`:lock: ${mention(lock.holder)} extended ${label(lock)} ${until(lock, now)}${reasonSuffix(lock)}`);
}

export function lockGone(): SlackMessage {
  return plain('That lock is no longer held (released or expired). `/locks` lists what is.');
}

export function lockAlreadyExtended(): SlackMessage {
  return plain('That lock was already extended from this reminder.');
}
