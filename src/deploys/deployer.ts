import { setTimeout as sleep } from 'node:timers/promises';
import { formatDuration, removedFromConfig, type Config } from '../config/index.ts';
import { isGitHubRateLimited } from '../github/budget.ts';
import type { GitHub } from '../github/client.ts';
import type { InFlight } from '../in-flight.ts';
import { acquireLock } from '../locks/index.ts';
import type { Logger } from '../log.ts';
import type { SmokeResult } from '../smoke/index.ts';
import type { Store } from '../store/index.ts';
import {
  claimLapsedDeploys,
  createDeploy,
  finishDeploy,
  getDeploy,
  leaseState,
  liveLeaseBesides,
  markRunning,
  overdueDeploys,
  recordSmokeResult,
  releaseLease,
  renewLease,
  setMessageTs,
  stopDeploy,
  type Deploy,
  type StopReason,
} from './deploys.ts';
import type { Executor, ExecutorOutcome, HandedOffJob, StopCause } from './executors/types.ts';
import {
  databaseChecks,
  failureKinds,
  lockCheckAtRecord,
  onlyWaitingFails,
  preflight,
  refusedAtRecord,
  type DeployRequest,
  type PreflightResult,
} from './preflight.ts';
import { allWaiting, dropQueued, markQueuedStarted, waitingQueues, type QueuedDeploy } from './queue.ts';
import { clearBadShas, findRollbackTarget, markBadSha, type RollbackTarget } from './releases.ts';

/** How a deploy's story reaches people (the Slack layer implements it). */
export interface DeployNotifier {
  /** Posts the announcement; returns its message ts, the root of the deploy's thread. */
  announce(deploy: Deploy, preflight: PreflightResult): Promise<string | undefined>;
  /** Updates the announcement in place with the deploy's current status. */
  update(deploy: Deploy): Promise<void>;
  /** A reply in the deploy's thread. */
  reply(deploy: Deploy, reply: DeployReply): Promise<void>;
  /** Tells someone whose queued deploy started or was dropped (its checks failed, or a reload removed its service or environment). */
  queueOutcome(
    entry: QueuedDeploy,
    outcome: { started: Deploy } | { dropped: PreflightResult } | { removed: 'service' | 'environment' },
  ): Promise<void>;
}

export type DeployReply =
  | { kind: 'progress'; text: string }
  | { kind: 'output'; tail: string }
  | ({ kind: 'smoke'; response: SmokeFailureResponse } & PostDeployOutcome)
  | { kind: 'superseded'; by: Deploy }
  | { kind: 'stopped'; stop: DeployStop }
  | { kind: 'script-stopped' }
  | { kind: 'waited'; for: number; how: 'released' | 'lapsed' };

/**
 * How a deploy was stopped before it reported, for its thread: why, by whom (a cancel), what
 * GitHub or the receiver was told, and (timed out) where GitHub says it stands.
 */
export interface DeployStop {
  reason: Exclude<StopReason, 'superseded' | 'lease_lapsed'>;
  by?: string;
  told?: string;
  pending?: string;
  /** timed out: how long it was given; shutdown: the grace it had. */
  afterMs?: number;
}

/**
 * What tugboat did about failing post-deploy checks, per the environment's `on_smoke_failure`:
 * nothing to do (they passed, or `off`), offer the rollback (`ask`), or roll back and lock (`rollback`).
 */
export type SmokeFailureResponse =
  | { kind: 'none' }
  | { kind: 'offer-rollback' }
  | { kind: 'rolled-back'; rollback: Deploy; locked: boolean }
  | { kind: 'rollback-refused' };

/** What a deploy's post-deploy checks found: each check's result, and whether all passed. */
export interface PostDeployOutcome {
  passed: boolean;
  results: SmokeResult[];
}

/** What runs after a successful deploy: the environment's smoke checks, once; and who hears of one that failed. */
export interface PostDeployChecks {
  run(deploy: Deploy): Promise<PostDeployOutcome | undefined>;
  failed(deploy: Deploy): Promise<void>;
}

export interface DeployerDeps {
  store: Store;
  config(): Config;
  github: GitHub;
  notifier: DeployNotifier;
  executorFor(service: string): Executor;
  /** How long a deploy of this service may stay in flight (`deploy.timeout`, else its executor's default). */
  timeoutOf(service: string): number;
  postDeploy: PostDeployChecks;
  inFlight: InFlight;
  now(): Date;
  log: Logger;
}

export type DeployAttempt = { ok: true; deploy: Deploy } | { ok: false; preflight: PreflightResult };

export type RollbackAttempt =
  | DeployAttempt
  | { ok: false; target: Exclude<RollbackTarget, { ok: true }> }
  | { ok: false; rollbackInFlight: Deploy }
  | { ok: false; notLatest: { clicked: number; latest: Deploy } };

/**
 * An in-process executor renews its deploy's lease this often, and learns at each renewal whether
 * its deploy was stopped elsewhere; a lease lapses after three missed renewals.
 */
const LEASE_RENEW_MS = 5_000;
const LEASE_MS = 3 * LEASE_RENEW_MS;
/** How often a deploy waiting for the previous script of its service and environment to stop looks again. */
const LEASE_POLL_MS = 500;
/** After an automatic rollback the environment stays locked until someone unlocks it: in practice, a month. */
const AUTO_ROLLBACK_LOCK_SECONDS = 30 * 24 * 60 * 60;

/**
 * Runs deploys: checks, records, announces, hands to the executor after the caller's ack,
 * and records each outcome exactly once, wherever it comes from (the executor, a GitHub
 * webhook, a receiver's callback).
 */
export class Deployer {
  /** Deploys this process runs an executor for, so a stop can reach them; `script` for those holding a lease (`via: command`). */
  readonly #running = new Map<number, { abort: AbortController; script: boolean; done: Promise<void> }>();
  /** Set by `shutdown`: no queued deploy starts any more. */
  #closing = false;
  /** Announcements this process is posting, by deploy id, so updates and replies can wait for their thread. */
  readonly #announcements = new Map<number, Promise<string | null>>();

  constructor(private readonly deps: DeployerDeps) {}

  plan(request: DeployRequest): Promise<PreflightResult> {
    return preflight(
      { db: this.deps.store, config: this.deps.config(), github: this.deps.github, now: this.deps.now() },
      request,
    );
  }

  /** Runs every check; when all pass, records the deploy, announces it and starts it in the background. */
  async deploy(request: DeployRequest): Promise<DeployAttempt> {
    const checked = await this.plan(request);
    if (!checked.ok) return { ok: false, preflight: checked };
    const created = await this.#record(request, checked);
    if (!created.ok) return created;
    const deploy = created.deploy;
    if (deploy.rollbackOf) await this.#undo(deploy.rollbackOf, deploy, created.superseded);
    if (request.confirmBadSha)
      await clearBadShas(this.deps.store, {
        service: request.service,
        sha: deploy.sha,
        by: request.requestedBy,
        now: this.deps.now(),
      });
    // The executor does not wait for Slack: a busy channel's posting queue must not delay a deploy.
    this.#announcements.set(deploy.id, this.deps.inFlight.track(this.#announce(deploy, checked)));
    // Not awaited: the deploy runs after the answer. A throw (the store unreachable, say) is logged, not lost.
    void this.deps.inFlight.track(
      this.#run(deploy).catch((error) =>
        this.deps.log.error({ err: error, deploy: deploy.id }, 'a deploy failed to run'),
      ),
    );
    return { ok: true, deploy };
  }

  async #announce(deploy: Deploy, checked: PreflightResult): Promise<string | null> {
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

  /** Records a deploy whose checks passed, unless a lock or another deploy got there first (see `lockCheckAtRecord`). */
  async #record(
    request: DeployRequest,
    checked: Extract<PreflightResult, { ok: true }>,
  ): Promise<DeployAttempt & { superseded?: Deploy }> {
    const now = this.deps.now();
    const service = this.deps.config().services[request.service];
    return this.deps.store.transaction(async (tx) => {
      const lock = await lockCheckAtRecord(tx, request, now);
      if (!lock.passed) return { ok: false, preflight: refusedAtRecord(checked, lock.blocker) };
      const superseded = request.rollbackOf
        ? await stopDeploy(tx, request.rollbackOf, {
            status: 'failed',
            reason: 'superseded',
            detail: 'superseded by a rollback',
            now,
          })
        : undefined;
      const result = await createDeploy(tx, {
        service: request.service,
        environment: request.environment,
        ref: request.ref,
        sha: checked.commit.sha,
        requestedBy: request.requestedBy,
        channel: this.deps.config().environments[request.environment].channel,
        executor: service.deploy.via,
        rollbackOf: request.rollbackOf,
        forced: checked.forced,
        now,
        deadlineAt: new Date(now.getTime() + this.deps.timeoutOf(request.service)),
      });
      if (!result.ok)
        return { ok: false, preflight: refusedAtRecord(checked, { kind: 'in-flight', deploy: result.inFlight }) };
      return { ok: true, deploy: result.deploy, superseded };
    });
  }

  /**
   * After a rollback is recorded: the SHA it moves away from is marked bad, and when the
   * undone deploy was still in flight (now failed as superseded) its thread is told, its
   * executor stopped if it runs in this process (a script on another replica sees the stop at
   * its next lease renewal), and GitHub or its receiver told.
   */
  async #undo(id: number, rollback: Deploy, superseded: Deploy | undefined) {
    const undone = superseded ?? (await getDeploy(this.deps.store, id));
    if (!undone) return;
    await markBadSha(this.deps.store, {
      service: undone.service,
      sha: undone.sha,
      deployId: undone.id,
      now: this.deps.now(),
    });
    if (!superseded) return;
    this.#running.get(id)?.abort.abort(`superseded by rollback #${rollback.id}`);
    await this.#tellRunner(superseded, 'superseded');
    await this.deps.notifier.update(superseded);
    await this.deps.notifier.reply(superseded, { kind: 'superseded', by: rollback });
  }

  async #run(deploy: Deploy): Promise<void> {
    const abort = new AbortController();
    const script = deploy.executor === 'command';
    let finished = () => {};
    this.#running.set(deploy.id, { abort, script, done: new Promise((resolve) => (finished = resolve)) });
    let leaseTimer: NodeJS.Timeout | undefined;
    try {
      const waited = await this.#previousScriptStopped(deploy);
      if (waited) await this.deps.notifier.reply(await this.#withThread(deploy), { kind: 'waited', ...waited });
      const running = await markRunning(this.deps.store, deploy.id, {
        now: this.deps.now(),
        leaseUntil: script ? new Date(this.deps.now().getTime() + LEASE_MS) : undefined,
      });
      if (!running) return;
      if (script) leaseTimer = setInterval(() => void this.#renew(deploy.id, abort), LEASE_RENEW_MS);
      // Not awaited: the executor does not wait for Slack (notifier.update logs its own failures).
      void this.deps.inFlight.track(
        this.#withThread(running)
          .then((d) => this.deps.notifier.update(d))
          .catch((error) =>
            this.deps.log.warn({ err: error, deploy: deploy.id }, 'could not update a deploy announcement'),
          ),
      );
      const outcome = await this.#execute(running, abort.signal);
      if (outcome.kind === 'handed-off') {
        if (outcome.externalId)
          await markRunning(this.deps.store, deploy.id, { now: this.deps.now(), externalId: outcome.externalId });
        return;
      }
      if (outcome.outputTail)
        await this.deps.notifier.reply(await this.#withThread(running), { kind: 'output', tail: outcome.outputTail });
      // Stopped from outside: the stop is already on the row and in the thread; say the script is gone.
      if (abort.signal.aborted) {
        if (script) await this.deps.notifier.reply(await this.#withThread(running), { kind: 'script-stopped' });
      } else
        await this.complete(deploy.id, {
          succeeded: outcome.succeeded,
          detail: outcome.reason,
          timedOut: outcome.timedOut,
        });
    } finally {
      clearInterval(leaseTimer);
      if (script)
        await releaseLease(this.deps.store, deploy.id).catch((error) =>
          this.deps.log.warn({ err: error, deploy: deploy.id }, 'could not release a deploy lease'),
        );
      this.#running.delete(deploy.id);
      finished();
    }
  }

  /**
   * One script per service and environment: a deploy whose predecessor was stopped (cancelled,
   * superseded, timed out) while its script still runs, on any replica, starts only once that
   * script has stopped (its lease released) or its replica stopped renewing (the lease lapsed).
   */
  async #previousScriptStopped(deploy: Deploy): Promise<{ for: number; how: 'released' | 'lapsed' } | undefined> {
    let waited: { for: number; how: 'released' | 'lapsed' } | undefined;
    let held = await liveLeaseBesides(this.deps.store, deploy, this.deps.now());
    while (held) {
      let state = await leaseState(this.deps.store, held.id, this.deps.now());
      while (state === 'held') {
        await sleep(LEASE_POLL_MS);
        state = await leaseState(this.deps.store, held.id, this.deps.now());
      }
      waited = { for: held.id, how: state };
      held = await liveLeaseBesides(this.deps.store, deploy, this.deps.now());
    }
    return waited;
  }

  #jobOf(deploy: Deploy): HandedOffJob {
    return {
      id: deploy.id,
      service: deploy.service,
      environment: deploy.environment,
      repo: this.deps.config().services[deploy.service].repo,
      ref: deploy.ref,
      sha: deploy.sha,
      requestedBy: deploy.requestedBy,
      rollbackOf: deploy.rollbackOf ?? undefined,
      externalId: deploy.externalId ?? undefined,
    };
  }

  async #execute(deploy: Deploy, signal: AbortSignal): Promise<ExecutorOutcome> {
    try {
      return await this.deps.executorFor(deploy.service).start(this.#jobOf(deploy), {
        progress: async (text) => this.deps.notifier.reply(await this.#withThread(deploy), { kind: 'progress', text }),
        signal,
      });
    } catch (error) {
      this.deps.log.error({ err: error, deploy: deploy.id }, 'executor failed');
      return {
        kind: 'finished',
        succeeded: false,
        reason: `the ${deploy.executor} executor failed: ${(error as Error).message}`,
      };
    }
  }

  /** Extends the lease; a deploy stopped elsewhere (or whose lease was taken away) has its script killed. */
  async #renew(id: number, abort: AbortController) {
    try {
      const row = await renewLease(this.deps.store, id, new Date(this.deps.now().getTime() + LEASE_MS));
      if (!row) abort.abort('its lease lapsed and another replica declared it lost');
      else if (row.status !== 'pending' && row.status !== 'running') abort.abort(row.detail ?? 'stopped');
    } catch (error) {
      this.deps.log.warn({ err: error, deploy: id }, 'could not renew a deploy lease');
    }
  }

  /**
   * Tells GitHub or the receiver that tugboat stopped a deploy handed to it; a line for the
   * thread, or undefined when there is no one to tell (a script, or a service no longer configured).
   */
  async #tellRunner(deploy: Deploy, cause: StopCause): Promise<string | undefined> {
    if (!this.deps.config().services[deploy.service]) return undefined;
    const executor = this.deps.executorFor(deploy.service);
    return executor.stop?.(this.#jobOf(deploy), cause).catch((error) => {
      this.deps.log.warn({ err: error, deploy: deploy.id }, 'could not tell the deploy runner it was stopped');
      return 'tugboat could not tell GitHub or the receiver (its logs say why)';
    });
  }

  /**
   * Stops an in-flight deploy (once, on any replica): the row first, so a script running on
   * another replica is killed at its next lease renewal; then this process's executor, GitHub
   * or the receiver; then its thread. The service and environment are free at once, but the
   * next deploy's executor waits for a stopped script (see `#previousScriptStopped`).
   */
  async #stop(deploy: Deploy, stop: DeployStop, detail: string): Promise<Deploy | undefined> {
    const status = stop.reason === 'cancelled' ? 'failed' : 'unknown';
    const stopped = await stopDeploy(this.deps.store, deploy.id, {
      status,
      reason: stop.reason,
      detail,
      now: this.deps.now(),
    });
    if (!stopped) return undefined;
    this.#running.get(deploy.id)?.abort.abort(detail);
    const told = stop.reason === 'shutdown' ? undefined : await this.#tellRunner(stopped, stop.reason);
    const withThread = await this.#withThread(stopped);
    await this.deps.notifier.update(withThread);
    await this.deps.notifier.reply(withThread, { kind: 'stopped', stop: { ...stop, told } });
    await this.drainQueue(stopped.service, stopped.environment);
    return stopped;
  }

  /** `/deploy cancel`: stops the deploy, wherever it runs; undefined when it had already finished. */
  cancel(deploy: Deploy, by: string): Promise<Deploy | undefined> {
    return this.#stop(deploy, { reason: 'cancelled', by }, 'cancelled with /deploy cancel');
  }

  /**
   * Deploys past their deadline whose outcome comes from outside: GitHub is asked first (a lost
   * webhook), and only a deploy still without an outcome is stopped as timed out. Scripts time
   * out in the process that runs them.
   */
  async #reconcileOverdue(): Promise<void> {
    // GitHub is asked before a deploy is declared lost: while its rate limit runs low, overdue deploys wait for the reset.
    if (!this.deps.github.budget.allowsBackgroundWork()) return;
    for (const deploy of await overdueDeploys(this.deps.store, this.deps.now())) {
      const known = this.deps.config().services[deploy.service] !== undefined;
      const reconciled = known
        ? await this.deps
            .executorFor(deploy.service)
            .reconcile?.(this.#jobOf(deploy))
            .catch((error) => {
              this.deps.log.warn({ err: error, deploy: deploy.id }, 'could not ask GitHub about an overdue deploy');
              return undefined;
            })
        : undefined;
      if (reconciled && 'outcome' in reconciled) {
        await this.complete(deploy.id, reconciled.outcome);
        continue;
      }
      const afterMs = allowedMs(deploy);
      await this.#stop(
        deploy,
        { reason: 'timed_out', pending: reconciled?.pending, afterMs },
        `no outcome within ${formatDuration(afterMs)} (deploy.timeout)`,
      );
    }
  }

  /**
   * SIGTERM: no queued deploy starts any more; scripts this process runs get `graceMs` to finish,
   * then are killed (their whole process group) and their deploys marked unknown, so none is
   * left running unwatched.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.#closing = true;
    const scripts = () => [...this.#running.entries()].filter(([, run]) => run.script);
    const grace = new AbortController();
    await Promise.race([
      Promise.allSettled(scripts().map(([, run]) => run.done)),
      sleep(graceMs, undefined, { signal: grace.signal }).catch(() => undefined),
    ]);
    grace.abort();
    const detail = `tugboat shut down, and its script was still running after the ${formatDuration(graceMs)} grace (TUGBOAT_SHUTDOWN_GRACE), so it was stopped`;
    for (const [id, run] of scripts()) {
      try {
        const deploy = await getDeploy(this.deps.store, id);
        if (deploy) await this.#stop(deploy, { reason: 'shutdown', afterMs: graceMs }, detail);
      } catch (error) {
        this.deps.log.error(
          { err: error, deploy: id },
          'could not mark a deploy stopped at shutdown; stopping its script anyway',
        );
      } finally {
        // Killed even when the database cannot be told: never left running unwatched.
        run.abort.abort(detail);
      }
    }
    await Promise.allSettled(scripts().map(([, run]) => run.done));
  }

  /**
   * Records an outcome (once: a second report of the same deploy changes nothing), updates
   * the announcement, runs the post-deploy checks after a success, then lets the queue move.
   */
  async complete(
    id: number,
    outcome: { succeeded: boolean; detail?: string; logUrl?: string; timedOut?: boolean },
  ): Promise<Deploy | undefined> {
    const now = this.deps.now();
    const recorded = outcome.timedOut
      ? await stopDeploy(this.deps.store, id, {
          status: 'unknown',
          reason: 'timed_out',
          detail: outcome.detail ?? 'timed out',
          now,
        })
      : await finishDeploy(this.deps.store, id, {
          status: outcome.succeeded ? 'succeeded' : 'failed',
          detail: outcome.detail,
          logUrl: outcome.logUrl,
          now,
        });
    if (!recorded) return undefined;
    const finished = await this.#withThread(recorded);
    await this.deps.notifier.update(finished);
    if (outcome.timedOut)
      await this.deps.notifier.reply(finished, {
        kind: 'stopped',
        stop: { reason: 'timed_out', afterMs: allowedMs(finished) },
      });
    if (finished.status === 'succeeded') {
      if (!finished.rollbackOf)
        await clearBadShas(this.deps.store, { service: finished.service, by: finished.requestedBy, now });
      await this.#postDeployChecks(finished);
    } else {
      await this.deps.postDeploy
        .failed(finished)
        .catch((error) => this.deps.log.error({ err: error, deploy: finished.id }, 'could not report a failed deploy'));
    }
    await this.drainQueue(finished.service, finished.environment);
    return finished;
  }

  /** Progress reported from outside (a `deployment_status` of in_progress, a callback saying running). */
  async progress(id: number, text: string): Promise<void> {
    const deploy = await getDeploy(this.deps.store, id);
    if (deploy && (deploy.status === 'pending' || deploy.status === 'running'))
      await this.deps.notifier.reply(await this.#withThread(deploy), { kind: 'progress', text });
  }

  async #postDeployChecks(deploy: Deploy) {
    const result = await this.deps.postDeploy.run(deploy).catch((error) => {
      this.deps.log.error({ err: error, deploy: deploy.id }, 'post-deploy checks failed to run');
      return undefined;
    });
    if (!result) return;
    await recordSmokeResult(this.deps.store, deploy.id, result.passed);
    const response = result.passed ? { kind: 'none' as const } : await this.#respondToFailedChecks(deploy);
    await this.deps.notifier.reply(
      { ...deploy, smokeStatus: result.passed ? 'passed' : 'failed' },
      { kind: 'smoke', ...result, response },
    );
  }

  /** A rollback whose checks fail is never rolled back by itself: people decide. */
  async #respondToFailedChecks(deploy: Deploy): Promise<SmokeFailureResponse> {
    const policy = this.deps.config().environments[deploy.environment]?.on_smoke_failure ?? 'ask';
    if (policy === 'off') return { kind: 'none' };
    if (policy === 'ask' || deploy.rollbackOf) return { kind: 'offer-rollback' };
    const attempt = await this.rollback({
      service: deploy.service,
      environment: deploy.environment,
      requestedBy: deploy.requestedBy,
      onlyIfLatest: deploy.id,
    });
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
    if (this.#closing) return;
    const removed = removedFromConfig(this.deps.config(), service, environment);
    for (const entry of await allWaiting(this.deps.store, service, environment)) {
      if (removed) {
        if (await dropQueued(this.deps.store, entry.id, `${removed} removed from tugboat.yml`))
          await this.deps.notifier.queueOutcome(entry, { removed });
        continue;
      }
      const request: DeployRequest = {
        service,
        environment,
        ref: entry.ref,
        requestedBy: entry.requestedBy,
        force: false,
        confirmBadSha: false,
      };
      const attempt = await this.#deployIfClear(request);
      if (!attempt) return;
      if (attempt.ok) {
        if (await markQueuedStarted(this.deps.store, entry.id, attempt.deploy.id))
          await this.deps.notifier.queueOutcome(entry, { started: attempt.deploy });
        return;
      }
      if (attempt.preflight.queueable) return;
      if (await dropQueued(this.deps.store, entry.id, failureKinds(attempt.preflight))) {
        await this.deps.notifier.queueOutcome(entry, { dropped: attempt.preflight });
      }
    }
  }

  /**
   * A queued deploy's checks, the database's first: while a lock or a running deploy still stands
   * in the way, or GitHub's rate limit is low, GitHub is not asked and undefined says to wait.
   */
  async #deployIfClear(request: DeployRequest): Promise<DeployAttempt | undefined> {
    const checks = await databaseChecks(
      { db: this.deps.store, config: this.deps.config(), now: this.deps.now() },
      request,
    );
    if (onlyWaitingFails(checks) || !this.deps.github.budget.allowsBackgroundWork()) return undefined;
    try {
      return await this.deploy(request);
    } catch (error) {
      if (!isGitHubRateLimited(error)) throw error;
      this.deps.log.warn(
        { service: request.service, environment: request.environment, resetAt: error.resetAt },
        "GitHub's rate limit is used up; queued deploys wait for its reset",
      );
      return undefined;
    }
  }

  /** Marks deploys whose process died `unknown`, reconciles or times out overdue ones, says so in their threads, and lets queues move. */
  async sweep(): Promise<void> {
    for (const lapsed of await claimLapsedDeploys(this.deps.store, this.deps.now())) {
      await this.deps.notifier.update(lapsed);
      await this.deps.notifier.reply(lapsed, {
        kind: 'progress',
        text: 'The tugboat process running this deploy stopped before it finished, so its outcome is unknown. Check the service, then deploy again or roll back.',
      });
    }
    await this.#reconcileOverdue();
    for (const { service, environment } of await waitingQueues(this.deps.store))
      await this.drainQueue(service, environment);
  }
}

/** How long a deploy was given: from its creation to its deadline. */
const allowedMs = (deploy: Deploy) => (deploy.deadlineAt ?? deploy.createdAt).getTime() - deploy.createdAt.getTime();
