import type { Deps } from '../deps.ts';
import { flushOrphanedNotes } from '../slack/review-threads.ts';
import type { Job } from './scheduler.ts';

/** Posts review thread notes whose process died before it could post them. */
export function reviewThreadFlushJob(deps: Deps): Job {
  return {
    name: 'review-thread-flush',
    schedule: '*/15 * * * * *',
    run: () => flushOrphanedNotes(deps),
  };
}
