import type { Deployer } from '../deploys/index.ts';
import type { Job } from './scheduler.ts';

/** Recovers deploys whose process died, and starts queued deploys whose way has cleared (a lock released or expired). */
export function deploySweepJob(deployer: Pick<Deployer, 'sweep'>): Job {
  return { name: 'deploy-sweep', schedule: '*/15 * * * * *', run: () => deployer.sweep() };
}
