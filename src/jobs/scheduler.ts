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

/** How long `stop()` waits for ticks in progress before the caller closes the database anyway. */
export const TICKS_STOP_WAIT_MS = 10_000;

/**
 * Runs each job on its schedule, one replica at a time (a lease named after the job). The jobs
 * themselves claim their rows with conditional updates, so a tick that two replicas both reach
 * still acts once. While the database is unreachable a tick is skipped, and the next one retries.
 * `stop()` starts no more ticks and waits (up to `stopWaitMs`) for those in progress, so that
 * none is cut off by the database closing under it.
 */
export function startJobs(
  jobs: Job[],
  deps: { store: Store; log: Logger },
  stopWaitMs = TICKS_STOP_WAIT_MS,
): { stop(): Promise<void> } {
  const ticking = new Set<Promise<void>>();
  const tick = async (job: Job) => {
    try {
      await runWithLease(deps, `tugboat:job:${job.name}`, job.run);
    } catch (error) {
      if (isDatabaseUnavailable(error))
        deps.log.warn({ err: error, job: job.name }, 'database unreachable; skipped this tick of a scheduled job');
      else deps.log.error({ err: error, job: job.name }, 'scheduled job failed');
    }
  };
  const tasks: ScheduledTask[] = jobs.map((job) =>
    cron.schedule(
      job.schedule,
      () => {
        const running = tick(job).finally(() => ticking.delete(running));
        ticking.add(running);
        return running;
      },
      { name: job.name, noOverlap: true },
    ),
  );
  return {
    async stop() {
      await Promise.all(tasks.map((task) => task.destroy()));
      if (await finishesWithin(Promise.all(ticking), stopWaitMs)) return;
      deps.log.warn(
        { waitedMs: stopWaitMs, ticks: ticking.size },
        'scheduled jobs still running at shutdown; stopping without them',
      );
    },
  };
}

async function finishesWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([work.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
