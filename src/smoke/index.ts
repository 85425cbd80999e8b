export type { SmokeCheckResult, RunCheckOptions } from './check.ts';
export type { AlertRule, CheckTransition, MonitoringTransition, Transition } from './alert-rule.ts';
export type { CheckState, ConfiguredCheck, SmokeResult } from './results.ts';
export type { Pass, SmokeMonitor, SmokeRunner, SmokeRunnerDeps, SmokeSchedulerDeps } from './scheduler.ts';
export { getCheck, runCheck } from './check.ts';
export {
  evaluateCheck,
  impairmentOf,
  resetAlertState,
  settleMonitoring,
  streakOf,
  transitionKind,
} from './alert-rule.ts';
export { checkId, configuredChecks, latestCheckStates, pruneResults, recordResults } from './results.ts';
export { createSmokeMonitor, createSmokeRunner, startSmokeScheduler } from './scheduler.ts';
export { claimTick, tickOf } from './claims.ts';
export { createLimit } from './limit.ts';
