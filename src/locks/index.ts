export {
  acquireLock,
  countLiveLocks,
  extendLock,
  findBlockingLock,
  listLocks,
  releaseLock,
  releaseLockById,
  type AcquireResult,
  type ExtendResult,
  type Lock,
  type ReleasedLock,
  type ReleaseResult,
} from './locks.ts';
export { serializeLockChanges } from './rows.ts';
export { claimDueReminders, claimExpiredLocks, REMINDER_LEAD_SECONDS } from './sweep.ts';
export { scopeCovers, scopeLabel, type LockScope } from './scope.ts';
export { lockChannels } from './channels.ts';
