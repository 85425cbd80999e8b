import { flushOrphanedNotes, type ThreadDeps } from '../slack/review-threads.ts';
import type { Job } from './scheduler.ts';

/** Posts review thread notes whose process died before it could post them. */
export function reviewThreadFlushJob(deps: ThreadDeps): Job {
  return {
    name: 'review-thread-flush',
    schedule: '*/15 * * * * *',
    run: () => flushOrphanedNotes(deps),
  };
}
