export type { CheckResult, RunCheckOptions } from './check.ts';
export { runCheck } from './check.ts';
