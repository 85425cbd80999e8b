import type { Config } from '../config/index.ts';
import type { CiVerdict, Commit, GitHub } from '../github/client.ts';
import { findBlockingLock, serializeLockChanges, type Lock } from '../locks/index.ts';
import { mayActOn, mayForceDeploy } from '../permissions.ts';
import type { Queryable } from '../store/index.ts';
import { inFlightDeploy, type Deploy } from './deploys.ts';
import { refProblem } from './refs.ts';
import { findBadSha, type BadSha } from './releases.ts';

export interface DeployRequest {
  service: string;
  environment: string;
  ref: string;
  requestedBy: string;
  /** An admin's override of red CI. */
  force: boolean;
  /** The caller confirmed deploying a SHA that was rolled back from. */
  confirmBadSha: boolean;
  /**
   * Set for a rollback: the deploy it undoes. CI is not checked again (the release was green
   * when it shipped), and when the undone deploy is still in flight the rollback supersedes
   * it instead of waiting behind it.
   */
  rollbackOf?: number;
}

export type Blocker =
  | { kind: 'not-allowed' }
  | { kind: 'locked'; lock: Lock }
  | { kind: 'in-flight'; deploy: Deploy }
  | { kind: 'invalid-ref'; ref: string; problem: string }
  | { kind: 'unknown-ref'; ref: string }
  | { kind: 'ci'; verdict: CiVerdict }
  | { kind: 'bad-sha'; bad: BadSha };

export type CheckName = 'permission' | 'lock' | 'in-flight' | 'ref' | 'ci' | 'bad-sha';

/** Why a passing check passed in a way worth saying; the Slack layer words each. */
export type PassReason = 'forced' | 'confirmed' | 'rollback' | 'ci-not-required' | 'no-ci-reported';

export type PreflightCheck = { name: CheckName; passed: true; reason?: PassReason } | FailedCheck;

export interface FailedCheck {
  name: CheckName;
  passed: false;
  blocker: Blocker;
}

/** Every check's result; a deploy that passed them all has its commit. */
export type PreflightResult = PreflightSummary & ({ ok: true; commit: Commit } | { ok: false; commit?: Commit });

interface PreflightSummary {
  request: DeployRequest;
  checks: PreflightCheck[];
  /** CI was red and an admin's `--force` overrode it. */
  forced: boolean;
  /** Only a running deploy or someone's lock stands in the way: waiting in the queue makes sense. */
  queueable: boolean;
  /** Only a rolled-back SHA stands in the way: the caller may confirm it (Deploy anyway). */
  confirmable: boolean;
}

const pass = (name: CheckName, reason?: PassReason): PreflightCheck => ({ name, passed: true, reason });
const fail = (name: CheckName, blocker: Blocker): FailedCheck => ({ name, passed: false, blocker });

/** The check each blocker fails. */
const CHECK_OF: Record<Blocker['kind'], CheckName> = {
  'not-allowed': 'permission',
  locked: 'lock',
  'in-flight': 'in-flight',
  'invalid-ref': 'ref',
  'unknown-ref': 'ref',
  ci: 'ci',
  'bad-sha': 'bad-sha',
};

export const failedChecks = (checks: PreflightCheck[]): FailedCheck[] =>
  checks.filter((c): c is FailedCheck => !c.passed);

/** Only a running deploy or someone's lock fails: waiting (in the queue) makes sense. */
export const onlyWaitingFails = (checks: PreflightCheck[]): boolean => {
  const failed = failedChecks(checks);
  return failed.length > 0 && failed.every((c) => c.name === 'lock' || c.name === 'in-flight');
};

const onlyBadShaFails = (checks: PreflightCheck[]): boolean => {
  const failed = failedChecks(checks);
  return failed.length > 0 && failed.every((c) => c.name === 'bad-sha');
};

function resultOf(request: DeployRequest, commit: Commit | undefined, checks: PreflightCheck[]): PreflightResult {
  const summary: PreflightSummary = {
    request,
    checks,
    forced: checks.some((c) => c.passed && c.reason === 'forced'),
    queueable: onlyWaitingFails(checks),
    confirmable: onlyBadShaFails(checks),
  };
  return commit && checks.every((c) => c.passed) ? { ...summary, ok: true, commit } : { ...summary, ok: false, commit };
}

/** A deploy that passed its checks but met a blocker when it was recorded (a lock or a deploy that got there first). */
export function refusedAtRecord(checked: PreflightResult, blocker: Blocker): PreflightResult {
  const failed = fail(CHECK_OF[blocker.kind], blocker);
  return resultOf(
    checked.request,
    checked.commit,
    checked.checks.map((c) => (c.name === failed.name ? failed : c)),
  );
}

/** The failed checks' kinds, for the record of a dropped queued deploy. */
export const failureKinds = (checked: PreflightResult): string =>
  failedChecks(checked.checks)
    .map((c) => c.blocker.kind)
    .join(', ');

/** Whether the person may deploy here (the `permission` check alone, for a button that queues without deploying). */
export const permissionCheck = (
  config: Config,
  request: { requestedBy: string; environment: string },
): PreflightCheck =>
  mayActOn(config, request.requestedBy, request.environment)
    ? pass('permission')
    : fail('permission', { kind: 'not-allowed' });

/** Asking for `--force` without the right to it: refused before any check runs. */
export const forceRefused = (config: Config, request: { force?: boolean; requestedBy: string }): boolean =>
  Boolean(request.force) && !mayForceDeploy(config, request.requestedBy);

async function lockCheck(db: Queryable, request: DeployRequest, now: Date): Promise<PreflightCheck> {
  const lock = await findBlockingLock(db, {
    environment: request.environment,
    service: request.service,
    actor: request.requestedBy,
    now,
  });
  return lock ? fail('lock', { kind: 'locked', lock }) : pass('lock');
}

/**
 * The lock check again, inside the transaction that records the deploy and behind the locks'
 * advisory lock, so a `/lock` racing this deploy either lands first (and blocks it) or after it started.
 */
export async function lockCheckAtRecord(tx: Queryable, request: DeployRequest, now: Date): Promise<PreflightCheck> {
  await serializeLockChanges(tx);
  return lockCheck(tx, request, now);
}

/**
 * The checks that need only tugboat.yml and the database (permission, lock, in flight): a queued
 * deploy runs these first and asks GitHub nothing while they still fail.
 */
export async function databaseChecks(
  deps: { db: Queryable; config: Config; now: Date },
  request: DeployRequest,
): Promise<PreflightCheck[]> {
  const running = await inFlightDeploy(deps.db, request.service, request.environment);
  const blockingDeploy = running && running.id !== request.rollbackOf ? running : undefined;
  return [
    permissionCheck(deps.config, request),
    await lockCheck(deps.db, request, deps.now),
    blockingDeploy ? fail('in-flight', { kind: 'in-flight', deploy: blockingDeploy }) : pass('in-flight'),
  ];
}

/** Every check a deploy must pass, each run and reported, so `--plan` can show them all. */
export async function preflight(
  deps: { db: Queryable; config: Config; github: GitHub; now: Date },
  request: DeployRequest,
): Promise<PreflightResult> {
  const { config, db } = deps;
  const service = config.services[request.service];
  const environment = config.environments[request.environment];

  const checks = await databaseChecks(deps, request);
  // The last guard before an executor: whatever path a ref came by, a malformed one goes no further.
  const invalid = refProblem(request.ref);
  const commit = invalid ? undefined : await deps.github.resolveRef(service.repo, request.ref);
  checks.push(refCheck(request.ref, invalid, commit));
  if (commit) {
    checks.push(
      await ciCheck(
        deps.github,
        service.repo,
        commit.sha,
        request,
        environment.require_ci,
        mayForceDeploy(config, request.requestedBy),
      ),
    );
    const bad = await findBadSha(db, request.service, commit.sha);
    checks.push(
      !bad || request.rollbackOf
        ? pass('bad-sha')
        : request.confirmBadSha
          ? pass('bad-sha', 'confirmed')
          : fail('bad-sha', { kind: 'bad-sha', bad }),
    );
  }
  return resultOf(request, commit, checks);
}

function refCheck(ref: string, problem: string | undefined, commit: Commit | undefined): PreflightCheck {
  if (problem) return fail('ref', { kind: 'invalid-ref', ref, problem });
  return commit ? pass('ref') : fail('ref', { kind: 'unknown-ref', ref });
}

async function ciCheck(
  github: GitHub,
  repo: string,
  sha: string,
  request: DeployRequest,
  required: boolean,
  mayForce: boolean,
): Promise<PreflightCheck> {
  if (request.rollbackOf) return pass('ci', 'rollback');
  if (!required) return pass('ci', 'ci-not-required');
  const verdict = await github.ciVerdict(repo, sha);
  if (verdict.green) return pass('ci', verdict.total === 0 ? 'no-ci-reported' : undefined);
  if (request.force && mayForce) return pass('ci', 'forced');
  return fail('ci', { kind: 'ci', verdict });
}
