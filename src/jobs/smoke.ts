import type { Deps } from '../deps.ts';
import { getCheck, pruneResults, runCheck, type RunCheckOptions } from '../smoke/index.ts';
import type { Job } from './scheduler.ts';

const HEARTBEAT_TIMEOUT_MS = 10_000;

/** Hourly: deletes the smoke results older than `incidents.result_retention`. */
export function smokePruneJob(deps: Pick<Deps, 'store' | 'config' | 'now' | 'log'>): Job {
  return {
    name: 'smoke-prune',
    schedule: '0 30 * * * *',
    run: async () => {
      const before = new Date(deps.now().getTime() - deps.config().incidents.result_retention);
      const pruned = await pruneResults(deps.store, before);
      if (pruned > 0) deps.log.info({ pruned, before }, 'pruned old smoke results');
    },
  };
}

/** Every minute: calls `incidents.heartbeat_url`, when set, so an outside watchdog notices when tugboat stops. */
export function smokeHeartbeatJob(deps: Pick<Deps, 'config' | 'log'>, options: RunCheckOptions = {}): Job {
  return { name: 'smoke-heartbeat', schedule: '0 * * * * *', run: () => sendHeartbeat(deps, options) };
}

/** Failures are logged only: the watchdog's silence is the alarm. */
export async function sendHeartbeat(deps: Pick<Deps, 'config' | 'log'>, options: RunCheckOptions = {}): Promise<void> {
  const url = deps.config().incidents.heartbeat_url;
  if (url === undefined) return;
  const result = await runCheck(getCheck('heartbeat', url, HEARTBEAT_TIMEOUT_MS), options);
  if (!result.ok) deps.log.warn({ error: result.error }, 'the heartbeat call failed');
}
