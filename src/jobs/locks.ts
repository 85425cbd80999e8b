import type { Deps } from '../deps.ts';
import { claimDueReminders, claimExpiredLocks, lockChannels } from '../locks/index.ts';
import { lockReleased, lockReminder } from '../slack/render/locks.ts';
import type { Job } from './scheduler.ts';

type SweepDeps = Pick<Deps, 'config' | 'now' | 'slack' | 'store'>;

/** Announces lapsed locks where they were announced, and reminds holders ten minutes before expiry. */
export function lockSweepJob(deps: SweepDeps): Job {
  return {
    name: 'lock-sweep',
    schedule: '*/15 * * * * *',
    run: () => sweepLocks(deps),
  };
}

export async function sweepLocks(deps: SweepDeps): Promise<void> {
  const now = deps.now();
  const config = deps.config();
  for (const lock of await claimExpiredLocks(deps.store, now)) {
    await deps.slack.postToEach(lockChannels(config, lock), lockReleased(lock));
  }
  for (const lock of await claimDueReminders(deps.store, now)) {
    await deps.slack.postToEach([lock.holder], lockReminder(lock, now));
  }
}
