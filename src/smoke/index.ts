export type { CheckResult, RunCheckOptions } from './check.ts';
export type { AlertRule, CheckTransition, MonitoringTransition, Transition } from './alert-rule.ts';
export type { ConfiguredCheck, SmokeResult } from './results.ts';
export type { Pass, SmokeRunner, SmokeRunnerDeps, SmokeSchedulerDeps } from './scheduler.ts';
export { runCheck } from './check.ts';
export { evaluateCheck, settleMonitoring } from './alert-rule.ts';
export { checkId, configuredChecks, pruneResults, recordResults } from './results.ts';
export { createSmokeRunner, startSmokeScheduler } from './scheduler.ts';
export { sendHeartbeat, smokeHeartbeatJob, smokePruneJob } from './jobs.ts';
