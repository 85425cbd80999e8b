import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../log.ts';
import { isDatabaseUnavailable, type Store } from '../store/index.ts';
import { runWithLease } from './leases.ts';

export interface Job {
  name: string;
  /** node-cron expression; six fields = with seconds. */
  schedule: string;
  run(): Promise<void>;
}

/**
 * Runs each job on its schedule, one replica at a time (a lease named after the job). The jobs
 * themselves claim their rows with conditional updates, so a tick that two replicas both reach
 * still acts once. While the database is unreachable a tick is skipped, and the next one retries.
 */
export function startJobs(jobs: Job[], deps: { store: Store; log: Logger }): { stop(): Promise<void> } {
  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(
      job.schedule,
      async () => {
        try {
          await runWithLease(deps, `tugboat:job:${job.name}`, job.run);
        } catch (error) {
          if (isDatabaseUnavailable(error)) deps.log.warn({ err: error, job: job.name }, 'database unreachable; skipped this tick of a scheduled job');
          else deps.log.error({ err: error, job: job.name }, 'scheduled job failed');
        }
      },
      { name: job.name, noOverlap: true },
    ),
  );
  return {
    async stop() {
      await Promise.all(tasks.map((task) => task.destroy()));
    },
  };
}
