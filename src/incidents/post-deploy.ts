import type { PostDeployChecks } from '../deploys/deployer.ts';
import type { CheckResult, SmokeMonitor } from '../smoke/index.ts';
import type { IncidentResponder } from './responder.ts';
import { escapeText, LIMITS } from '../slack/render/untrusted.ts';

/** One mrkdwn line per check, for the deploy's thread and the incident channel. */
const line = (r: CheckResult) =>
  r.ok
    ? `:white_check_mark: ${escapeText(r.name)}: ${r.status} in ${Math.round(r.latencyMs)} ms`
    : `:x: ${escapeText(r.name)}: ${escapeText(r.error, LIMITS.sentence)}`;

/**
 * Right after a successful deploy, the environment's smoke checks run once. Their results count
 * like scheduled ones (toward the alert rule, into an open incident), and after a rollback the
 * incident's channel learns whether it fixed things, or that the rollback itself failed.
 */
export function postDeployChecks(monitor: Pick<SmokeMonitor, 'runNow'>, responder: Pick<IncidentResponder, 'afterDeploy'>): PostDeployChecks {
  return {
    failed: (deploy) => responder.afterDeploy(deploy, undefined),
    async run(deploy) {
      const { results } = await monitor.runNow(deploy.service, deploy.environment);
      if (results.length === 0) return undefined;
      const outcome = { passed: results.every((r) => r.ok), lines: results.map(line) };
      await responder.afterDeploy(deploy, outcome);
      return outcome;
    },
  };
}
