import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';

export interface Job {
  name: string;
  /** node-cron expression; six fields = with seconds. */
  schedule: string;
  run(): Promise<void>;
}

/**
 * Runs each job on its schedule, never overlapping itself in this process, and at most one
 * replica at a time (an advisory lock named after the job). The jobs themselves claim their
 * rows with conditional updates, so a tick that two replicas both reach still acts once.
 */
export function startJobs(jobs: Job[], deps: { store: Store; log: Logger }): { stop(): Promise<void> } {
  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(
      job.schedule,
      async () => {
        try {
          await deps.store.runExclusive(`tugboat:job:${job.name}`, job.run);
        } catch (error) {
          deps.log.error({ err: error, job: job.name }, 'scheduled job failed');
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
