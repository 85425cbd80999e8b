import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/index.ts';
import {
  claimTick,
  createSmokeRunner,
  recordResults,
  type SmokeResult,
  type SmokeRunner,
  type SmokeRunnerDeps,
  startSmokeScheduler,
  type Transition,
} from '../../src/smoke/index.ts';
import { sendHeartbeat, smokePruneJob } from '../../src/jobs/smoke.ts';
import { storeBackends, type TestDatabase } from '../helpers/stores.ts';
import { TestClock } from '../helpers/clock.ts';
import { LogCapture, testLogger } from '../helpers/logs.ts';
import { freePort } from '../../src/fakes/http.ts';
import { smokeConfig, useTestServer } from './helpers.ts';

const SECOND = 1_000;
const DAY = 86_400_000;

const loopback = useTestServer();

describe.each(storeBackends)('smoke scheduler on $name', (backend) => {
  let db: TestDatabase;
  let clock: TestClock;

  beforeAll(async () => {
    db = await backend.open();
  });

  beforeEach(async () => {
    clock = new TestClock();
    await db.store.exec(`
      truncate smoke_results, smoke_claims, smoke_check_state;
      update smoke_monitoring set impaired = false, impaired_since = null, reason = null;`);
  });

  afterAll(async () => {
    await db.close();
  });

  function runner(config: Config, deps: Partial<SmokeRunnerDeps> = {}): SmokeRunner {
    return createSmokeRunner({
      store: db.store,
      config: () => config,
      now: clock.now,
      log: testLogger(),
      maxJitterMs: 0,
      dispatcher: loopback.agent,
      env: {},
      ...deps,
    });
  }

  /** Runs a pass at each tick, `every` apart from now: the kinds of transitions each pass reported. */
  async function passes(smoke: SmokeRunner, count: number, every: number): Promise<Array<Array<Transition['kind']>>> {
    const kinds: Array<Array<Transition['kind']>> = [];
    for (let i = 0; i < count; i++) {
      const pass = await smoke.runDueChecks(clock.now());
      kinds.push(pass.transitions.map((transition) => transition.kind));
      clock.advance(every);
    }
    return kinds;
  }

  const healthCheck = (fields: Record<string, unknown> = {}) => ({
    name: 'health',
    url: `${loopback.server.origin}/healthz`,
    every: '10s',
    ...fields,
  });
  const rule = { failures_before_alert: 3, passes_before_recovery: 2 };

  it('alerts after exactly N failures in a row and recovers after exactly M passes, each reported once', async () => {
    const smoke = runner(smokeConfig([healthCheck()], rule));
    const firstFailure = clock.now();
    loopback.server.answer('/healthz', 500, 'down');
    expect(await passes(smoke, 3, 10 * SECOND)).toEqual([[], [], ['alert']]);
    const [alert] = await db.store.query<{ since: Date }>('select since from smoke_check_state');
    expect(alert.since).toEqual(firstFailure);
    expect(await passes(smoke, 2, 10 * SECOND)).toEqual([[], []]);

    loopback.server.answer('/healthz', 200, 'ok');
    const recovery = await smoke.runDueChecks(clock.now());
    expect(recovery.transitions).toEqual([]);
    const recoveredAt = clock.advance(10 * SECOND);
    expect((await smoke.runDueChecks(clock.now())).transitions).toEqual([
      {
        kind: 'recovered',
        checkId: 'api/staging/health',
        service: 'api',
        environment: 'staging',
        check: 'health',
        since: firstFailure,
        at: recoveredAt,
        lastError: 'expected a 2xx status, got 500',
      },
    ]);
    clock.advance(10 * SECOND);
    expect(await passes(smoke, 2, 10 * SECOND)).toEqual([[], []]);
  });

  it('describes the alert: since the first failure, with the newest error', async () => {
    const smoke = runner(smokeConfig([healthCheck()], { failures_before_alert: 2 }));
    const firstFailure = clock.now();
    loopback.server.answer('/healthz', 500);
    await smoke.runDueChecks(clock.now());
    const alertedAt = clock.advance(10 * SECOND);
    loopback.server.answer('/healthz', 503);
    expect((await smoke.runDueChecks(clock.now())).transitions).toEqual([
      {
        kind: 'alert',
        checkId: 'api/staging/health',
        service: 'api',
        environment: 'staging',
        check: 'health',
        since: firstFailure,
        at: alertedAt,
        lastError: 'expected a 2xx status, got 503',
      },
    ]);
  });

  it('starts counting again after a pass', async () => {
    const smoke = runner(smokeConfig([healthCheck()], rule));
    loopback.server.answer('/healthz', 500);
    expect(await passes(smoke, 2, 10 * SECOND)).toEqual([[], []]);
    loopback.server.answer('/healthz', 200);
    expect(await passes(smoke, 1, 10 * SECOND)).toEqual([[]]);
    loopback.server.answer('/healthz', 500);
    expect(await passes(smoke, 3, 10 * SECOND)).toEqual([[], [], ['alert']]);
  });

  it('counts timeouts as failures', async () => {
    loopback.server.routes.set('/hang', () => {}); // never answers
    const smoke = runner(
      smokeConfig([healthCheck({ url: `${loopback.server.origin}/hang`, timeout: '1s' })], {
        failures_before_alert: 2,
      }),
    );
    const first = await smoke.runDueChecks(clock.now());
    expect(first.results).toMatchObject([{ ok: false, error: 'timed out after 1s', inconclusive: false }]);
    clock.advance(10 * SECOND);
    expect((await smoke.runDueChecks(clock.now())).transitions).toMatchObject([
      { kind: 'alert', lastError: 'timed out after 1s' },
    ]);
  });

  it('records every result as a row, the results of one pass sharing a run id', async () => {
    loopback.server.answer('/healthz', 200, 'ok');
    loopback.server.answer('/items', 500, 'no');
    const crud = {
      name: 'crud',
      every: '10s',
      steps: [{ name: 'create', url: `${loopback.server.origin}/items`, method: 'POST' }],
    };
    const smoke = runner(smokeConfig([healthCheck(), crud]));
    const startedAt = clock.now();
    await smoke.runDueChecks(startedAt);
    const rows = await db.store.query<Record<string, unknown>>(
      `select run_id, check_id, service, environment, check_name, ok, inconclusive, status, latency_ms, error, failed_step, started_at
         from smoke_results order by check_id`,
    );
    expect(rows).toEqual([
      {
        run_id: expect.any(String),
        check_id: 'api/staging/crud',
        service: 'api',
        environment: 'staging',
        check_name: 'crud',
        ok: false,
        inconclusive: false,
        status: 500,
        latency_ms: expect.any(Number),
        error: 'create failed: expected a 2xx status, got 500',
        failed_step: 'create',
        started_at: startedAt,
      },
      {
        run_id: rows[0].run_id,
        check_id: 'api/staging/health',
        service: 'api',
        environment: 'staging',
        check_name: 'health',
        ok: true,
        inconclusive: false,
        status: 200,
        latency_ms: expect.any(Number),
        error: null,
        failed_step: null,
        started_at: startedAt,
      },
    ]);
  });

  it('runs each check once per tick, on its own interval', async () => {
    loopback.server.answer('/healthz', 200);
    loopback.server.answer('/slower', 200);
    const config = smokeConfig([
      healthCheck(),
      { name: 'slower', url: `${loopback.server.origin}/slower`, every: '30s' },
    ]);
    const smoke = runner(config);
    const otherReplica = runner(config);
    const ran = async (at: number) => {
      const pass = await smoke.runDueChecks(new Date(clock.current.getTime() + at));
      const other = await otherReplica.runDueChecks(new Date(clock.current.getTime() + at));
      return [...pass.results, ...other.results].map((result) => result.name).sort();
    };
    expect(await ran(0)).toEqual(['health', 'slower']);
    expect(await ran(0)).toEqual([]);
    expect(await ran(9_999)).toEqual([]);
    expect(await ran(10_000)).toEqual(['health']);
    expect(await ran(20_000)).toEqual(['health']);
    expect(await ran(30_000)).toEqual(['health', 'slower']);
    expect(loopback.server.seen.map((request) => request.url).sort()).toEqual([
      '/healthz',
      '/healthz',
      '/healthz',
      '/healthz',
      '/slower',
      '/slower',
    ]);
  });

  it('never runs a check while it is still running, here or on another replica', async () => {
    loopback.server.routes.set('/hang', () => {}); // never answers
    const config = smokeConfig([healthCheck({ url: `${loopback.server.origin}/hang`, every: '1s', timeout: '1s' })]);
    const smoke = runner(config);
    const first = smoke.runDueChecks(clock.now());
    await until(() => loopback.server.seen.length === 1);
    clock.advance(SECOND);
    expect((await smoke.runDueChecks(clock.now())).results).toEqual([]);
    expect((await runner(config).runDueChecks(clock.now())).results).toEqual([]);
    expect((await first).results).toMatchObject([{ ok: false, error: 'timed out after 1s' }]);
    expect(loopback.server.seen).toHaveLength(1);
  });

  it('runs no more checks at once than its concurrency', async () => {
    const checks = Array.from({ length: 6 }, (_, index) => {
      loopback.server.answer(`/c${index}`, 200, 'ok', 100);
      return { name: `c${index}`, url: `${loopback.server.origin}/c${index}` };
    });
    const pass = await runner(smokeConfig(checks), { concurrency: 2 }).runDueChecks(clock.now());
    expect(pass.results.filter((result) => result.ok)).toHaveLength(6);
    expect(loopback.server.maxInFlight).toBe(2);
  });

  it('spreads the checks of a tick over the jitter', async () => {
    const checks = Array.from({ length: 8 }, (_, index) => {
      loopback.server.answer(`/c${index}`, 200);
      return { name: `c${index}`, url: `${loopback.server.origin}/c${index}` };
    });
    const began = performance.now();
    await runner(smokeConfig(checks), { maxJitterMs: 200 }).runDueChecks(clock.now());
    const arrivals = loopback.server.seen.map((request) => request.at - began);
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeGreaterThan(5);
    expect(Math.max(...arrivals)).toBeLessThan(400);
  });

  it('does not count failures while the canary fails too, and says once that monitoring is impaired', async () => {
    const config = smokeConfig([healthCheck()], {
      failures_before_alert: 2,
      canary: `${loopback.server.origin}/canary`,
    });
    const smoke = runner(config);
    const firstFailure = clock.now();
    loopback.server.answer('/healthz', 500);
    loopback.server.answer('/canary', 200);
    expect(await passes(smoke, 1, 10 * SECOND)).toEqual([[]]);

    loopback.server.answer('/canary', 503);
    const impairedAt = clock.now();
    expect(await passes(smoke, 3, 10 * SECOND)).toEqual([['impaired'], [], []]);

    loopback.server.answer('/canary', 200);
    const pass = await smoke.runDueChecks(clock.now());
    expect(pass.transitions).toEqual([
      {
        kind: 'restored',
        since: impairedAt,
        at: clock.now(),
        reason: 'the canary failed too: expected a 2xx status, got 503',
      },
      expect.objectContaining({ kind: 'alert', since: firstFailure }),
    ]);
    const rows = await db.store.query<{ inconclusive: boolean }>(
      'select inconclusive from smoke_results order by started_at',
    );
    expect(rows.map((row) => row.inconclusive)).toEqual([false, true, true, true, false]);
  });

  it('calls the canary only when a check fails', async () => {
    loopback.server.answer('/healthz', 200);
    loopback.server.answer('/canary', 200);
    await runner(smokeConfig([healthCheck()], { canary: `${loopback.server.origin}/canary` })).runDueChecks(
      clock.now(),
    );
    expect(loopback.server.seen.map((request) => request.url)).toEqual(['/healthz']);
  });

  it('marks failures inconclusive when no check could reach its server, on two hosts or more', async () => {
    const port = await freePort();
    const config = smokeConfig(
      [
        { name: 'one', url: `http://127.0.0.1:${port}/` },
        { name: 'two', url: `http://127.0.0.2:${port}/` },
      ],
      { failures_before_alert: 1 },
    );
    const pass = await runner(config).runDueChecks(clock.now());
    expect(pass.results).toMatchObject([
      { ok: false, inconclusive: true, error: 'connection refused (ECONNREFUSED)' },
      { ok: false, inconclusive: true, error: 'connection refused (ECONNREFUSED)' },
    ]);
    expect(pass.transitions).toEqual([
      {
        kind: 'impaired',
        since: clock.now(),
        at: clock.now(),
        reason: 'no check could reach its server (DNS or connection errors on 2 hosts)',
      },
    ]);
  });

  it('counts a refused connection when the one host checked is down', async () => {
    const port = await freePort();
    const pass = await runner(
      smokeConfig([{ name: 'one', url: `http://127.0.0.1:${port}/` }], { failures_before_alert: 1 }),
    ).runDueChecks(clock.now());
    expect(pass.results).toMatchObject([{ ok: false, inconclusive: false }]);
    expect(pass.transitions).toMatchObject([{ kind: 'alert', lastError: 'connection refused (ECONNREFUSED)' }]);
  });

  it('takes over a check whose replica died holding its claim, once the claim expires', async () => {
    loopback.server.answer('/healthz', 200);
    const smoke = runner(smokeConfig([healthCheck({ every: '10s', timeout: '30s' })]));
    const tick = clock.now();
    // 30 s of timeout and 10 s of margin.
    const expiresAt = new Date(tick.getTime() + 40 * SECOND);
    expect(
      await claimTick(db.store, { checkId: 'api/staging/health', tick, replica: 'dead', now: tick, expiresAt }),
    ).toBe(true);
    const ran: number[] = [];
    for (let i = 0; i < 6; i++) {
      ran.push((await smoke.runDueChecks(clock.now())).results.length);
      clock.advance(10 * SECOND);
    }
    expect(ran).toEqual([0, 0, 0, 0, 1, 1]);
  });

  it('prunes the results older than the retention', async () => {
    const result = (daysAgo: number): SmokeResult => ({
      name: 'health',
      ok: true,
      latencyMs: 3,
      startedAt: new Date(clock.current.getTime() - daysAgo * DAY),
      checkId: 'api/staging/health',
      service: 'api',
      environment: 'staging',
      runId: 'r',
      inconclusive: false,
    });
    await recordResults(db.store, [result(8), result(7.5), result(6), result(0)]);
    const job = smokePruneJob({ store: db.store, config: () => smokeConfig([]), now: clock.now, log: testLogger() });
    await job.run();
    const left = await db.store.query<{ started_at: Date }>('select started_at from smoke_results order by started_at');
    expect(left.map((row) => row.started_at)).toEqual([result(6).startedAt, result(0).startedAt]);
  });
});

describe('startSmokeScheduler', () => {
  const [pglite] = storeBackends;
  let db: TestDatabase;

  beforeEach(async () => {
    db = await pglite.open();
  });

  afterEach(async () => {
    await db.close();
  });

  it('runs the checks every second and reports their results and transitions', async () => {
    loopback.server.answer('/healthz', 500);
    const config = smokeConfig([{ name: 'health', url: `${loopback.server.origin}/healthz`, every: '1s' }], {
      failures_before_alert: 2,
    });
    const results: SmokeResult[] = [];
    const transitions: Transition[] = [];
    const scheduler = startSmokeScheduler({
      store: db.store,
      config: () => config,
      log: testLogger(),
      maxJitterMs: 0,
      dispatcher: loopback.agent,
      onResult: (result) => void results.push(result),
      onTransition: (transition) => void transitions.push(transition),
    });
    try {
      await until(() => transitions.length > 0, 5_000);
    } finally {
      await scheduler.stop();
    }
    expect(results.length).toBeGreaterThanOrEqual(2);
    expect(transitions).toMatchObject([{ kind: 'alert', checkId: 'api/staging/health' }]);
  });
});

describe('sendHeartbeat', () => {
  it('calls the heartbeat URL, and only logs a failure', async () => {
    const capture = new LogCapture();
    const deps = (url?: string) => ({
      config: () => smokeConfig([], url ? { heartbeat_url: url } : {}),
      log: testLogger(capture),
    });
    loopback.server.answer('/ping', 200);
    await sendHeartbeat(deps(`${loopback.server.origin}/ping`), { dispatcher: loopback.agent });
    loopback.server.answer('/ping', 503);
    await sendHeartbeat(deps(`${loopback.server.origin}/ping`), { dispatcher: loopback.agent });
    await sendHeartbeat(deps(), { dispatcher: loopback.agent });
    expect(loopback.server.seen.map((request) => request.url)).toEqual(['/ping', '/ping']);
    expect(capture.lines).toMatchObject([
      { msg: 'the heartbeat call failed', error: 'expected a 2xx status, got 503' },
    ]);
  });
});

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
