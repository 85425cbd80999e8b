import { acknowledge } from './acknowledge.ts';
import type { App, BlockButtonAction } from '@slack/bolt';
import type { Deps } from '../../deps.ts';
import { extendLock, lockChannels, releaseLockById, type ExtendResult } from '../../locks/index.ts';
import { mayForceUnlock } from '../../permissions.ts';
import type { SlackMessage } from '../render/format.ts';
import { fitToSlack } from '../render/untrusted.ts';
import {
  LOCK_EXTEND_ACTION,
  LOCK_RELEASE_ACTION,
  lockAlreadyExtended,
  lockExtended,
  lockGone,
  lockReleased,
  notYourLock,
} from '../render/locks.ts';

interface ReminderValue {
  lockId: number;
  expiresAt: string;
}

/** The Extend and Release buttons of the "your lock expires soon" direct message. */
export function registerLockReminderActions(app: App, deps: Pick<Deps, 'config' | 'now' | 'slack' | 'store'>): void {
  app.action<BlockButtonAction>(
    { type: 'block_actions', action_id: LOCK_EXTEND_ACTION },
    async ({ ack, body, action, respond }) => {
      await acknowledge(ack);
      const value = JSON.parse(action.value ?? '{}') as ReminderValue;
      const now = deps.now();
      const result = await extendLock(deps.store, {
        lockId: value.lockId,
        seenExpiresAt: new Date(value.expiresAt),
        actor: body.user.id,
        channel: body.channel?.id ?? '',
        now,
      });
      if (!result.ok) {
        await replaceReminder(respond, extendRefusal(result, mayForceUnlock(deps.config(), body.user.id)));
        return;
      }
      const message = lockExtended(result.lock, now);
      await replaceReminder(respond, message);
      await deps.slack.postToEach(lockChannels(deps.config(), result.lock), message);
    },
  );

  app.action<BlockButtonAction>(
    { type: 'block_actions', action_id: LOCK_RELEASE_ACTION },
    async ({ ack, body, action, respond }) => {
      await acknowledge(ack);
      const value = JSON.parse(action.value ?? '{}') as ReminderValue;
      const result = await releaseLockById(deps.store, {
        lockId: value.lockId,
        actor: body.user.id,
        channel: body.channel?.id ?? '',
        now: deps.now(),
      });
      if (!result.ok) {
        await replaceReminder(
          respond,
          result.reason === 'none' ? lockGone() : notYourLock(result.lock, mayForceUnlock(deps.config(), body.user.id)),
        );
        return;
      }
      const message = lockReleased(result.lock);
      await replaceReminder(respond, message);
      await deps.slack.postToEach(lockChannels(deps.config(), result.lock), message);
    },
  );
}

/** Only the holder extends or releases from here; an admin is pointed at `/unlock --force`. */
function extendRefusal(result: Exclude<ExtendResult, { ok: true }>, admin: boolean): SlackMessage {
  if (result.reason === 'not-holder') return notYourLock(result.lock, admin);
  return result.reason === 'none' ? lockGone() : lockAlreadyExtended();
}

/** The reminder's buttons are replaced by the outcome, so they cannot be clicked again. */
async function replaceReminder(respond: (message: object) => Promise<unknown>, message: SlackMessage): Promise<void> {
  await respond(fitToSlack({ replace_original: true, text: message.text, blocks: message.blocks ?? [] }));
}
