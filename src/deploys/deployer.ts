import type { Config } from '../config/index.ts';
import type { GitHub } from '../github/client.ts';
import type { InFlight } from '../in-flight.ts';
import { acquireLock, findBlockingLock } from '../locks/index.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';
import {
  claimLapsedDeploys,
  createDeploy,
  finishDeploy,
  getDeploy,
  markRunning,
  recordSmokeResult,
  renewLease,
  setMessageTs,
  type Deploy,
} from './deploys.ts';
import type { Executor, ExecutorOutcome } from './executors/types.ts';
import { preflight, type DeployRequest, type Preflight } from './preflight.ts';
import { allWaiting, dropQueued, markQueuedStarted, waitingQueues, type QueuedDeploy } from './queue.ts';
import { clearBadShas, findRollbackTarget, markBadSha, type RollbackTarget } from './releases.ts';

/** How a deploy's story reaches people (the Slack layer implements it). */
export interface DeployNotifier {
  /** Posts the announcement; returns its message ts, the root of the deploy's thread. */
  announce(deploy: Deploy, preflight: Preflight): Promise<string | undefined>;
  /** Updates the announcement in place with the deploy's current status. */
  update(deploy: Deploy): Promise<void>;
  /** A reply in the deploy's thread. */
  reply(deploy: Deploy, reply: DeployReply): Promise<void>;
  /** Tells someone whose queued deploy started or was dropped. */
  queueOutcome(entry: QueuedDeploy, outcome: { started: Deploy } | { dropped: Preflight }): Promise<void>;
}

export type DeployReply =
  | { kind: 'progress'; text: string }
  | { kind: 'output'; tail: string }
  | { kind: 'smoke'; passed: boolean; lines: string[]; response: SmokeFailureResponse }
  | { kind: 'superseded'; by: Deploy };

/**
 * What tugboat did about failing post-deploy checks, per the environment's `on_smoke_failure`:
 * nothing to do (they passed, or `off`), offer the rollback (`ask`), or roll back and lock (`rollback`).
 */
export type SmokeFailureResponse =
  | { kind: 'none' }
  | { kind: 'offer-rollback' }
  | { kind: 'rolled-back'; rollback: Deploy; locked: boolean }
  | { kind: 'rollback-refused' };

/** What runs after a successful deploy: the environment's smoke checks, once; and who hears of one that failed. */
export interface PostDeployChecks {
  run(deploy: Deploy): Promise<{ passed: boolean; lines: string[] } | undefined>;
  failed(deploy: Deploy): Promise<void>;
}

export interface DeployerDeps {
  store: Store;
  config(): Config;
  github: GitHub;
  notifier: DeployNotifier;
  executorFor(service: string): Executor;
  postDeploy: PostDeployChecks;
  inFlight: InFlight;
  now(): Date;
  log: Logger;
}

export type DeployAttempt = { ok: true; deploy: Deploy } | { ok: false; preflight: Preflight };

export type RollbackAttempt =
  | DeployAttempt
  | { ok: false; target: Exclude<RollbackTarget, { ok: true }> }
  | { ok: false; rollbackInFlight: Deploy }
  | { ok: false; notLatest: { clicked: number; latest: Deploy } };

/** An in-process executor renews its deploy's lease this often; a lease lapses after three missed renewals. */
const LEASE_RENEW_MS = 20_000;
const LEASE_MS = 3 * LEASE_RENEW_MS;
/** After an automatic rollback the environment stays locked until someone unlocks it: in practice, a month. */
const AUTO_ROLLBACK_LOCK_SECONDS = 30 * 24 * 60 * 60;

/**
 * Runs deploys: checks, records, announces, hands to the executor after the caller's ack,
 * and records each outcome exactly once, wherever it comes from (the executor, a GitHub
 * webhook, a receiver's callback).
 */
export class Deployer {
  /** Deploys this process runs itself, so a superseding rollback can stop them. */
  readonly #running = new Map<number, AbortController>();
  /** Announcements this process is posting, by deploy id, so updates and replies can wait for their thread. */
  readonly #announcements = new Map<number, Promise<string | null>>();

  constructor(private readonly deps: DeployerDeps) {}

  plan(request: DeployRequest): Promise<Preflight> {
    return preflight({ db: this.deps.store, config: this.deps.config(), github: this.deps.github, now: this.deps.now() }, request);
  }

  /** Runs every check; when all pass, records the deploy, announces it and starts it in the background. */
  async deploy(request: DeployRequest): Promise<DeployAttempt> {
    const checked = await this.plan(request);
    if (!checked.ok) return { ok: false, preflight: checked };
    const created = await this.#record(request, checked);
    if (!created.ok) return created;
    const deploy = created.deploy;
    if (deploy.rollbackOf) await this.#undo(deploy.rollbackOf, deploy, created.superseded);
    if (request.confirmBadSha) await clearBadShas(this.deps.store, { service: request.service, sha: deploy.sha, by: request.requestedBy, now: this.deps.now() });
    // The executor does not wait for Slack: a busy channel's posting queue must not delay a deploy.
    this.#announcements.set(deploy.id, this.deps.inFlight.track(this.#announce(deploy, checked)));
    this.deps.inFlight.track(this.#run(deploy));
    return { ok: true, deploy };
  }

  async #announce(deploy: Deploy, checked: Preflight): Promise<string | null> {
    try {
      const ts = (await this.deps.notifier.announce(deploy, checked)) ?? null;
      if (ts) await setMessageTs(this.deps.store, deploy.id, ts);
      return ts;
    } finally {
      this.#announcements.delete(deploy.id);
    }
  }

  /** The deploy with its thread's ts: once its announcement is out if this process is still posting it, else as recorded. */
  async #withThread(deploy: Deploy): Promise<Deploy> {
    if (deploy.messageTs) return deploy;
    const pending = this.#announcements.get(deploy.id);
    if (pending) return { ...deploy, messageTs: await pending };
    return { ...deploy, messageTs: (await getDeploy(this.deps.store, deploy.id))?.messageTs ?? null };
  }

  /**
   * Rolls a service back in an environment: undoes its newest deploy by deploying the release
   * before it (see `findRollbackTarget`), pinned to that release's SHA, with every check but CI.
   * `named` is `#id` or a ref; `before` a deploy to go back past (an incident's Rollback button on a
   * recent deploy); `onlyIfLatest` is the deploy a Rollback button was shown on, so a stale or
   * double-clicked button does nothing.
   */
  async rollback(request: {
    service: string;
    environment: string;
    requestedBy: string;
    named?: string;
    before?: number;
    onlyIfLatest?: number;
  }): Promise<RollbackAttempt> {
    const config = this.deps.config();
    const service = config.services[request.service];
    const named = request.named ? await this.#resolveNamed(service.repo, request.named) : undefined;
    const target = await findRollbackTarget(this.deps.store, {
      service: request.service,
      environment: request.environment,
      policy: service.rollback,
      now: this.deps.now(),
      named,
      before: request.before,
    });
    if ('undo' in target && target.undo.rollbackOf && ['pending', 'running'].includes(target.undo.status)) {
      return { ok: false, rollbackInFlight: target.undo };
    }
    if ('undo' in target && request.onlyIfLatest !== undefined && target.undo.id !== request.onlyIfLatest) {
      return { ok: false, notLatest: { clicked: request.onlyIfLatest, latest: target.undo } };
    }
    if (!target.ok) return { ok: false, target };
    return this.deploy({
      service: request.service,
      environment: request.environment,
      ref: target.target.sha,
      requestedBy: request.requestedBy,
      force: false,
      confirmBadSha: false,
      rollbackOf: target.undo.id,
    });
  }

  async #resolveNamed(repo: string, text: string): Promise<{ deployId?: number; sha?: string; text: string }> {
    const id = /^#(\d+)$/.exec(text);
    if (id) return { deployId: Number(id[1]), text };
    const commit = await this.deps.github.resolveRef(repo, text);
    return { sha: commit?.sha ?? text, text };
  }

  /**
   * The lock check is repeated next to the insert, behind the locks' advisory lock, so a
   * `/lock` racing this deploy either lands first (and blocks it) or after it started.
   */
  async #record(request: DeployRequest, checked: Preflight): Promise<DeployAttempt & { superseded?: Deploy }> {
    const now = this.deps.now();
    const service = this.deps.config().services[request.service];
    return this.deps.store.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(hashtext('tugboat:locks'))`);
      const lock = await findBlockingLock(tx, { environment: request.environment, service: request.service, actor: request.requestedBy, now });
      if (lock) return { ok: false, preflight: withBlocker(checked, 'lock', { kind: 'locked', lock }) };
      const superseded = request.rollbackOf
        ? await finishDeploy(tx, request.rollbackOf, { status: 'failed', detail: 'superseded by a rollback', now })
        : undefined;
      const result = await createDeploy(tx, {
        service: request.service,
        environment: request.environment,
        ref: request.ref,
        sha: checked.commit!.sha,
        requestedBy: request.requestedBy,
        channel: this.deps.config().environments[request.environment].channel,
        executor: service.deploy.via,
        rollbackOf: request.rollbackOf,
        forced: checked.checks.some((c) => c.note === 'overridden with --force'),
        now,
      });
      if (!result.ok) return { ok: false, preflight: withBlocker(checked, 'in-flight', { kind: 'in-flight', deploy: result.inFlight }) };
      return { ok: true, deploy: result.deploy, superseded };
    });
  }

  /**
   * After a rollback is recorded: the SHA it moves away from is marked bad, and when the
   * undone deploy was still in flight (now failed as superseded) its thread is told and its
   * executor stopped if it runs in this process.
   */
  async #undo(id: number, rollback: Deploy, superseded: Deploy | undefined) {
    const undone = superseded ?? (await getDeploy(this.deps.store, id));
    if (!undone) return;
    await markBadSha(this.deps.store, { service: undone.service, sha: undone.sha, deployId: undone.id, now: this.deps.now() });
    if (!superseded) return;
    this.#running.get(id)?.abort(`superseded by rollback #${rollback.id}`);
    await this.deps.notifier.update(superseded);
    await this.deps.notifier.reply(superseded, { kind: 'superseded', by: rollback });
  }

  async #run(deploy: Deploy): Promise<void> {
    const config = this.deps.config();
    const abort = new AbortController();
    this.#running.set(deploy.id, abort);
    const inProcess = config.services[deploy.service].deploy.via === 'command';
    const leaseTimer = inProcess ? setInterval(() => void this.#renew(deploy.id), LEASE_RENEW_MS) : undefined;
    try {
      const running = await markRunning(this.deps.store, deploy.id, {
        now: this.deps.now(),
        leaseUntil: inProcess ? new Date(this.deps.now().getTime() + LEASE_MS) : undefined,
      });
      if (!running) return;
      this.deps.inFlight.track(this.#withThread(running).then((d) => this.deps.notifier.update(d)));
      const outcome = await this.#execute(running, abort.signal);
      if (outcome.kind === 'handed-off') {
        if (outcome.externalId) await markRunning(this.deps.store, deploy.id, { now: this.deps.now(), externalId: outcome.externalId });
        return;
      }
      if (outcome.outputTail) await this.deps.notifier.reply(await this.#withThread(running), { kind: 'output', tail: outcome.outputTail });
      await this.complete(deploy.id, { succeeded: outcome.succeeded, detail: outcome.reason });
    } finally {
      clearInterval(leaseTimer);
      this.#running.delete(deploy.id);
    }
  }

  async #execute(deploy: Deploy, signal: AbortSignal): Promise<ExecutorOutcome> {
    const service = this.deps.config().services[deploy.service];
    try {
      return await this.deps.executorFor(deploy.service).start(
        {
          id: deploy.id,
          service: deploy.service,
          environment: deploy.environment,
          repo: service.repo,
          ref: deploy.ref,
          sha: deploy.sha,
          requestedBy: deploy.requestedBy,
          rollbackOf: deploy.rollbackOf ?? undefined,
        },
        { progress: async (text) => this.deps.notifier.reply(await this.#withThread(deploy), { kind: 'progress', text }), signal },
      );
    } catch (error) {
      this.deps.log.error({ err: error, deploy: deploy.id }, 'executor failed');
      return { kind: 'finished', succeeded: false, reason: `the ${deploy.executor} executor failed: ${(error as Error).message}` };
    }
  }

  async #renew(id: number) {
    await renewLease(this.deps.store, id, new Date(this.deps.now().getTime() + LEASE_MS)).catch((error) =>
      this.deps.log.warn({ err: error, deploy: id }, 'could not renew a deploy lease'),
    );
  }

  /**
   * Records an outcome (once: a second report of the same deploy changes nothing), updates
   * the announcement, runs the post-deploy checks after a success, then lets the queue move.
   */
  async complete(id: number, outcome: { succeeded: boolean; detail?: string; logUrl?: string }): Promise<Deploy | undefined> {
    const now = this.deps.now();
    const recorded = await finishDeploy(this.deps.store, id, { status: outcome.succeeded ? 'succeeded' : 'failed', detail: outcome.detail, logUrl: outcome.logUrl, now });
    if (!recorded) return undefined;
    const finished = await this.#withThread(recorded);
    await this.deps.notifier.update(finished);
    if (finished.status === 'succeeded') {
      if (!finished.rollbackOf) await clearBadShas(this.deps.store, { service: finished.service, by: finished.requestedBy, now });
      await this.#postDeployChecks(finished);
    } else {
      await this.deps.postDeploy.failed(finished).catch((error) => this.deps.log.error({ err: error, deploy: finished.id }, 'could not report a failed deploy'));
    }
    await this.drainQueue(finished.service, finished.environment);
    return finished;
  }

  /** Progress reported from outside (a `deployment_status` of in_progress, a callback saying running). */
  async progress(id: number, text: string): Promise<void> {
    const deploy = await getDeploy(this.deps.store, id);
    if (deploy && (deploy.status === 'pending' || deploy.status === 'running')) await this.deps.notifier.reply(await this.#withThread(deploy), { kind: 'progress', text });
  }

  async #postDeployChecks(deploy: Deploy) {
    const result = await this.deps.postDeploy.run(deploy).catch((error) => {
      this.deps.log.error({ err: error, deploy: deploy.id }, 'post-deploy checks failed to run');
      return undefined;
    });
    if (!result) return;
    await recordSmokeResult(this.deps.store, deploy.id, result.passed);
    const response = result.passed ? { kind: 'none' as const } : await this.#respondToFailedChecks(deploy);
    await this.deps.notifier.reply({ ...deploy, smokeStatus: result.passed ? 'passed' : 'failed' }, { kind: 'smoke', ...result, response });
  }

  /** A rollback whose checks fail is never rolled back by itself: people decide. */
  async #respondToFailedChecks(deploy: Deploy): Promise<SmokeFailureResponse> {
    const policy = this.deps.config().environments[deploy.environment]?.on_smoke_failure ?? 'ask';
    if (policy === 'off') return { kind: 'none' };
    if (policy === 'ask' || deploy.rollbackOf) return { kind: 'offer-rollback' };
    const attempt = await this.rollback({ service: deploy.service, environment: deploy.environment, requestedBy: deploy.requestedBy, onlyIfLatest: deploy.id });
    if (!attempt.ok) return { kind: 'rollback-refused' };
    const locked = await acquireLock(this.deps.store, {
      scope: { kind: 'environment', environment: deploy.environment },
      holder: deploy.requestedBy,
      reason: `smoke checks failed after deploy #${deploy.id} of ${deploy.service}, rolled back automatically; unlock when it is understood`,
      channel: this.deps.config().environments[deploy.environment].channel,
      durationSeconds: AUTO_ROLLBACK_LOCK_SECONDS,
      now: this.deps.now(),
    });
    return { kind: 'rolled-back', rollback: attempt.deploy, locked: locked.ok };
  }

  /**
   * Starts the oldest queued deploy of a service and environment once the way is clear,
   * re-running its checks as its owner; a deploy whose checks now fail for another reason
   * than a lock or a running deploy is dropped, and its owner told why.
   */
  async drainQueue(service: string, environment: string): Promise<void> {
    for (const entry of await allWaiting(this.deps.store, service, environment)) {
      const request: DeployRequest = {
        service,
        environment,
        ref: entry.ref,
        requestedBy: entry.requestedBy,
        force: false,
        confirmBadSha: false,
      };
      const attempt = await this.deploy(request);
      if (attempt.ok) {
        if (await markQueuedStarted(this.deps.store, entry.id, attempt.deploy.id)) await this.deps.notifier.queueOutcome(entry, { started: attempt.deploy });
        return;
      }
      if (attempt.preflight.queueable) return;
      if (await dropQueued(this.deps.store, entry.id, describeFailures(attempt.preflight))) {
        await this.deps.notifier.queueOutcome(entry, { dropped: attempt.preflight });
      }
    }
  }

  /** Marks deploys whose process died `unknown`, says so in their threads, and lets queues move. */
  async sweep(): Promise<void> {
    for (const lapsed of await claimLapsedDeploys(this.deps.store, this.deps.now())) {
      await this.deps.notifier.update(lapsed);
      await this.deps.notifier.reply(lapsed, { kind: 'progress', text: 'The tugboat process running this deploy stopped before it finished, so its outcome is unknown. Check the service, then deploy again or roll back.' });
    }
    for (const { service, environment } of await waitingQueues(this.deps.store)) await this.drainQueue(service, environment);
  }
}

function withBlocker(checked: Preflight, name: 'lock' | 'in-flight', blocker: NonNullable<Preflight['checks'][number]['blocker']>): Preflight {
  const checks = checked.checks.map((c) => (c.name === name ? { name, passed: false, blocker } : c));
  const failed = checks.filter((c) => !c.passed);
  return { ...checked, checks, ok: false, queueable: failed.every((c) => c.name === 'lock' || c.name === 'in-flight') };
}

function describeFailures(checked: Preflight): string {
  return checked.checks.filter((c) => !c.passed).map((c) => c.blocker!.kind).join(', ');
}
