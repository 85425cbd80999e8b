export { deployCallbackHandler } from './callback-route.ts';
export { CALLBACK_PATH, verifyCallback } from './callback.ts';
export type {
  DeployAttempt,
  DeployNotifier,
  DeployReply,
  DeployStop,
  PostDeployChecks,
  PostDeployOutcome,
  RollbackAttempt,
  SmokeFailureResponse,
} from './deployer.ts';
export { Deployer } from './deployer.ts';
export type { Deploy } from './deploys.ts';
export {
  allInFlight,
  attachExternalId,
  claimAutoDeployStart,
  createDeploy,
  currentReleases,
  deploysBetween,
  findByExternalId,
  finishDeploy,
  getDeploy,
  inFlightDeploy,
  markRunning,
  recentDeploys,
  setMessageTs,
  settleAutoDeployStart,
} from './deploys.ts';
export { commandExecutor, DEPLOY_VARIABLES, OUTPUT_TAIL_CHARS, OutputTail } from './executors/command.ts';
export {
  CLOCK_SKEW_MS,
  deployIdInRunTitle,
  dispatchedOnItsOwnRef,
  githubDeploymentExecutor,
  RUN_NAME_CONVENTION,
  workflowExecutor,
} from './executors/github.ts';
export { deployTimeoutMs, executorFor } from './executors/index.ts';
export type { DeployJob, ExecutorContext } from './executors/types.ts';
export { signWebhookBody, webhookExecutor } from './executors/webhook.ts';
export { deployLogLink, logLink } from './log-link.ts';
export type { Blocker, CheckName, DeployRequest, PassReason, PreflightResult } from './preflight.ts';
export { failedChecks, failureKinds, forceRefused, permissionCheck, preflight, refusedAtRecord } from './preflight.ts';
export type { QueuedDeploy } from './queue.ts';
export { allWaiting, enqueue } from './queue.ts';
export { MAX_REF_CHARS, refProblem } from './refs.ts';
export type { RollbackTarget } from './releases.ts';
