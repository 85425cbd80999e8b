import type { Config } from '../config/index.ts';
import type { PostDeployChecks } from '../deploys/deployer.ts';
import { runCheck, type CheckResult } from './check.ts';

const line = (r: CheckResult) =>
  r.ok ? `:white_check_mark: ${r.name}: ${r.status} in ${Math.round(r.latencyMs)} ms` : `:x: ${r.name}: ${r.error}`;

/** Right after a successful deploy, each of the environment's smoke checks runs once. */
export function postDeploySmokeChecks(config: () => Config): PostDeployChecks {
  return {
    async run(deploy) {
      const checks = config().services[deploy.service]?.smoke[deploy.environment] ?? [];
      if (checks.length === 0) return undefined;
      const results = await Promise.all(checks.map((check) => runCheck(check)));
      return { passed: results.every((r) => r.ok), lines: results.map(line) };
    },
  };
}
