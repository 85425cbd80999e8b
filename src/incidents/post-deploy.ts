import type { PostDeployChecks } from '../deploys/index.ts';
import type { SmokeMonitor } from '../smoke/index.ts';
import type { IncidentResponder } from './responder.ts';

/**
 * Right after a successful deploy, the environment's smoke checks run once. Their results count
 * like scheduled ones (toward the alert rule, into an open incident), and after a rollback the
 * incident's channel learns whether it fixed things, or that the rollback itself failed.
 */
export function postDeployChecks(
  monitor: Pick<SmokeMonitor, 'runNow'>,
  responder: Pick<IncidentResponder, 'afterDeploy'>,
): PostDeployChecks {
  return {
    failed: (deploy) => responder.afterDeploy(deploy, undefined),
    async run(deploy) {
      const { results } = await monitor.runNow(deploy.service, deploy.environment);
      if (results.length === 0) return undefined;
      const outcome = { passed: results.every((r) => r.ok), results };
      await responder.afterDeploy(deploy, outcome);
      return outcome;
    },
  };
}
