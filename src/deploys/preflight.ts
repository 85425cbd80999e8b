import type { Config } from '../config/index.ts';
import type { CiVerdict, Commit, GitHub } from '../github/client.ts';
import { findBlockingLock, type Lock } from '../locks/index.ts';
import { isAdmin, mayActOn } from '../permissions.ts';
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

export interface CheckResult {
  name: CheckName;
  passed: boolean;
  blocker?: Blocker;
  /** Why a passing check passed in a way worth saying (overridden, not required, skipped). */
  note?: string;
}

export interface Preflight {
  request: DeployRequest;
  commit?: Commit;
  checks: CheckResult[];
  ok: boolean;
  /** Only a running deploy or someone's lock stands in the way: waiting in the queue makes sense. */
  queueable: boolean;
}

const pass = (name: CheckName, note?: string): CheckResult => ({ name, passed: true, note });
const fail = (name: CheckName, blocker: Blocker): CheckResult => ({ name, passed: false, blocker });

/**
 * The checks that need only tugboat.yml and the database (permission, lock, in flight): a queued
 * deploy runs these first and asks GitHub nothing while they still fail.
 */
export async function databaseChecks(deps: { db: Queryable; config: Config; now: Date }, request: DeployRequest): Promise<CheckResult[]> {
  const { config, db } = deps;
  const permission = mayActOn(config, request.requestedBy, request.environment) ? pass('permission') : fail('permission', { kind: 'not-allowed' });
  const lock = await findBlockingLock(db, { environment: request.environment, service: request.service, actor: request.requestedBy, now: deps.now });
  const running = await inFlightDeploy(db, request.service, request.environment);
  const blockingDeploy = running && running.id !== request.rollbackOf ? running : undefined;
  return [
    permission,
    lock ? fail('lock', { kind: 'locked', lock }) : pass('lock'),
    blockingDeploy ? fail('in-flight', { kind: 'in-flight', deploy: blockingDeploy }) : pass('in-flight'),
  ];
}

/** Only a running deploy or someone's lock fails: waiting (in the queue) makes sense. */
export const onlyWaitingFails = (checks: CheckResult[]): boolean => {
  const failed = checks.filter((c) => !c.passed);
  return failed.length > 0 && failed.every((c) => c.name === 'lock' || c.name === 'in-flight');
};

/** Every check a deploy must pass, each run and reported, so `--plan` can show them all. */
export async function preflight(
  deps: { db: Queryable; config: Config; github: GitHub; now: Date },
  request: DeployRequest,
): Promise<Preflight> {
  const { config, db } = deps;
  const service = config.services[request.service];
  const environment = config.environments[request.environment];

  const checks = await databaseChecks(deps, request);
  // The last guard before an executor: whatever path a ref came by, a malformed one goes no further.
  const invalid = refProblem(request.ref);
  const commit = invalid ? undefined : await deps.github.resolveRef(service.repo, request.ref);
  checks.push(refCheck(request.ref, invalid, commit));
  if (commit) {
    checks.push(await ciCheck(deps.github, service.repo, commit.sha, request, environment.require_ci, isAdmin(config, request.requestedBy)));
    const bad = await findBadSha(db, request.service, commit.sha);
    checks.push(!bad || request.rollbackOf ? pass('bad-sha') : request.confirmBadSha ? pass('bad-sha', 'confirmed') : fail('bad-sha', { kind: 'bad-sha', bad }));
  }
  return { request, commit, checks, ok: checks.every((c) => c.passed), queueable: onlyWaitingFails(checks) };
}

function refCheck(ref: string, problem: string | undefined, commit: Commit | undefined): CheckResult {
  if (problem) return fail('ref', { kind: 'invalid-ref', ref, problem });
  return commit ? pass('ref') : fail('ref', { kind: 'unknown-ref', ref });
}

async function ciCheck(github: GitHub, repo: string, sha: string, request: DeployRequest, required: boolean, admin: boolean): Promise<CheckResult> {
  if (request.rollbackOf) return pass('ci', 'not checked for a rollback: the release was green when it shipped');
  if (!required) return pass('ci', 'not required here');
  const verdict = await github.ciVerdict(repo, sha);
  if (verdict.green) return pass('ci', verdict.total === 0 ? 'no checks reported for this commit' : undefined);
  if (request.force && admin) return pass('ci', 'overridden with --force');
  return fail('ci', { kind: 'ci', verdict });
}
