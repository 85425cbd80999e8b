import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import cron from 'node-cron';
import type { Dispatcher } from 'undici';
import type { Config } from '../config/index.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/index.ts';
import { evaluateCheck, impairmentOf, settleMonitoring, type AlertRule, type Transition } from './alert-rule.ts';
import { getCheck, runCheck, type SmokeCheckResult, type RunCheckOptions } from './check.ts';
import { claimTick, releaseClaim, tickOf } from './claims.ts';
import { createLimit } from './limit.ts';
import { configuredChecks, recordResults, type ConfiguredCheck, type SmokeResult } from './results.ts';

export interface SmokeRunnerDeps {
  store: Store;
  config(): Config;
  now?: () => Date;
  log: Logger;
  /** Checks running at once in this process; default 20. */
  concurrency?: number;
  /** The longest a check waits, at random, after its tick before it starts; default 10 s, never over a tenth of its interval. */
  maxJitterMs?: number;
  /** Passed to `runCheck`. */
  dispatcher?: Dispatcher;
  env?: NodeJS.ProcessEnv;
}

export interface SmokeSchedulerDeps extends SmokeRunnerDeps {
  onResult(result: SmokeResult): void | Promise<void>;
  onTransition(transition: Transition): void | Promise<void>;
}

/** What one pass of the scheduler did: the results this replica recorded and the transitions they made. */
export interface Pass {
  results: SmokeResult[];
  transitions: Transition[];
}

export interface SmokeRunner {
  /**
   * Runs each check whose tick has come by `now` and that no replica has claimed yet (skipping any
   * still running here), records the results and applies the alert rule to them.
   */
  runDueChecks(now: Date): Promise<Pass>;
  /** Runs these checks at once, whatever their schedule (after a deploy), and settles them like a pass. */
  runNow(checks: ConfiguredCheck[], now: Date): Promise<Pass>;
}

const DEFAULT_CONCURRENCY = 20;
const DEFAULT_MAX_JITTER_MS = 10_000;
/** A claim outlives its check's timeout by this much, for the round trips around the run. */
const CLAIM_MARGIN_MS = 10_000;
const CANARY_TIMEOUT_MS = 5_000;

interface Ran {
  configured: ConfiguredCheck;
  result: SmokeCheckResult;
}

export function createSmokeRunner(deps: SmokeRunnerDeps): SmokeRunner {
  const clock = deps.now ?? (() => new Date());
  const limit = createLimit(deps.concurrency ?? DEFAULT_CONCURRENCY);
  const maxJitterMs = deps.maxJitterMs ?? DEFAULT_MAX_JITTER_MS;
  const replica = randomUUID();
  const runOptions: RunCheckOptions = {
    now: clock,
    ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
    ...(deps.env ? { env: deps.env } : {}),
  };
  /** Check id -> the latest tick this process tried to claim: each tick is tried once. */
  const attempted = new Map<string, number>();
  const running = new Set<string>();

  const isDue = ({ id, check }: ConfiguredCheck, now: Date) =>
    !running.has(id) && (attempted.get(id) ?? -Infinity) < tickOf(check.every, now).getTime();

  async function runIfClaimed(configured: ConfiguredCheck, now: Date): Promise<Ran | undefined> {
    const { id, check } = configured;
    const tick = tickOf(check.every, now);
    attempted.set(id, tick.getTime());
    running.add(id);
    try {
      await sleep(Math.random() * Math.min(check.every / 10, maxJitterMs));
      return await limit(async () => {
        const claimedAt = clock();
        const expiresAt = new Date(claimedAt.getTime() + check.timeout + CLAIM_MARGIN_MS);
        if (!(await claimTick(deps.store, { checkId: id, tick, replica, now: claimedAt, expiresAt }))) return undefined;
        try {
          return { configured, result: await runCheck(check, runOptions) };
        } finally {
          await releaseClaim(deps.store, id, replica);
        }
      });
    } catch (error) {
      deps.log.error({ err: error, check: id }, 'could not run a smoke check');
      return undefined;
    } finally {
      running.delete(id);
    }
  }

  async function canaryResult(config: Config, results: SmokeCheckResult[]): Promise<SmokeCheckResult | undefined> {
    const { canary } = config.incidents;
    if (canary === undefined || results.every((result) => result.ok)) return undefined;
    return runCheck(getCheck('canary', canary, CANARY_TIMEOUT_MS), runOptions);
  }

  // The results of a pass are settled together: whether monitoring is impaired is judged on all of them.
  async function settle(ran: Ran[], now: Date): Promise<Pass> {
    if (ran.length === 0) return { results: [], transitions: [] };
    const config = deps.config();
    const checked = ran.map(({ result }) => result);
    const impairment = impairmentOf(checked, await canaryResult(config, checked));
    const runId = randomUUID();
    const results: SmokeResult[] = ran.map(({ configured, result }) => ({
      ...result,
      checkId: configured.id,
      service: configured.service,
      environment: configured.environment,
      runId,
      inconclusive: impairment !== undefined && !result.ok,
    }));
    await recordResults(deps.store, results);

    const rule: AlertRule = {
      failuresBeforeAlert: config.incidents.failures_before_alert,
      passesBeforeRecovery: config.incidents.passes_before_recovery,
    };
    const monitoring = await settleMonitoring(deps.store, impairment, now);
    const counted = results.filter((result) => !result.inconclusive);
    const checks = await Promise.all(counted.map((result) => evaluateCheck(deps.store, result, rule)));
    const transitions = [monitoring, ...checks].filter(
      (transition): transition is Transition => transition !== undefined,
    );
    return { results, transitions };
  }

  return {
    async runDueChecks(now) {
      const due = configuredChecks(deps.config()).filter((configured) => isDue(configured, now));
      const ran = await Promise.all(due.map((configured) => runIfClaimed(configured, now)));
      return settle(
        ran.filter((outcome) => outcome !== undefined),
        now,
      );
    },
    async runNow(checks, now) {
      const ran = await Promise.all(
        checks.map(async (configured) => ({
          configured,
          result: await limit(() => runCheck(configured.check, runOptions)),
        })),
      );
      return settle(ran, now);
    },
  };
}

export interface SmokeMonitor {
  /** Every second, runs the checks that are due (see `SmokeRunner.runDueChecks`) and reports each result and transition. */
  start(): void;
  stop(): Promise<void>;
  /** Runs a service's checks in an environment now, reports them like scheduled ones, and returns them. */
  runNow(service: string, environment: string): Promise<Pass>;
}

/** The scheduler and the post-deploy runs, reporting to the same listeners. Passes may overlap; a check never overlaps itself. */
export function createSmokeMonitor(deps: SmokeSchedulerDeps): SmokeMonitor {
  const runner = createSmokeRunner(deps);
  const clock = deps.now ?? (() => new Date());
  const passes = new Set<Promise<unknown>>();
  let task: ReturnType<typeof cron.schedule> | undefined;

  const report = async (what: string, fn: () => void | Promise<void>) => {
    try {
      await fn();
    } catch (error) {
      deps.log.error({ err: error }, `could not report a smoke ${what}`);
    }
  };
  const reportPass = async (pass: Pass) => {
    for (const result of pass.results) await report('result', () => deps.onResult(result));
    for (const transition of pass.transitions) await report('transition', () => deps.onTransition(transition));
    return pass;
  };
  const track = <T>(pass: Promise<T>) => {
    passes.add(pass);
    void pass.finally(() => passes.delete(pass)).catch(() => undefined);
    return pass;
  };

  return {
    start() {
      task ??= cron.schedule(
        '* * * * * *',
        () => {
          // Not awaited: the next tick must not wait for this pass; it ends in a .catch to the log, stop() awaits it.
          void track(
            runner
              .runDueChecks(clock())
              .then(reportPass)
              .catch((error) => deps.log.error({ err: error }, 'smoke check pass failed')),
          );
        },
        { name: 'smoke-checks' },
      );
    },
    async stop() {
      await task?.destroy();
      task = undefined;
      await Promise.allSettled(passes);
    },
    runNow(service, environment) {
      const checks = configuredChecks(deps.config()).filter(
        (c) => c.service === service && c.environment === environment,
      );
      return track(runner.runNow(checks, clock()).then(reportPass));
    },
  };
}

/** Starts a monitor's schedule (see `createSmokeMonitor`). */
export function startSmokeScheduler(deps: SmokeSchedulerDeps): SmokeMonitor {
  const monitor = createSmokeMonitor(deps);
  monitor.start();
  return monitor;
}
