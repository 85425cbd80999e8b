import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/index.ts';
import {
  createSmokeRunner,
  evaluateCheck,
  settleMonitoring,
  type SmokeResult,
  type SmokeRunner,
  type Transition,
} from '../../src/smoke/index.ts';
import type { Store } from '../../src/store/index.ts';
import { postgresBackend, type TestDatabase } from '../helpers/stores.ts';
import { TestClock } from '../helpers/clock.ts';
import { testLogger } from '../helpers/logs.ts';
import { smokeConfig, startTestServer, type TestServer } from './helpers.ts';

const EVERY = 10_000;

describe.skipIf(!postgresBackend)('smoke checks on two replicas of one PostgreSQL', () => {
  const backend = postgresBackend!;
  let server: TestServer;
  let agent: Agent;
  let db: TestDatabase;
  let stores: Store[];
  let clock: TestClock;

  beforeAll(async () => {
    server = await startTestServer();
    agent = new Agent();
  });

  beforeEach(async () => {
    db = await backend.open();
    stores = [db.store, await db.openAnother()];
    clock = new TestClock();
  });

  afterEach(async () => {
    server.reset();
    await db.close();
  });

  afterAll(async () => {
    await agent.close();
    await server.close();
  });

  function replicas(config: Config): SmokeRunner[] {
    return stores.map((store) =>
      createSmokeRunner({
        store,
        config: () => config,
        now: clock.now,
        log: testLogger(),
        maxJitterMs: 20,
        dispatcher: agent,
        env: {},
      }),
    );
  }

  /** Both replicas run a pass at the same tick; then the clock moves to the next. */
  async function tick(runners: SmokeRunner[]): Promise<{ results: SmokeResult[]; transitions: Transition[] }> {
    const passes = await Promise.all(runners.map((runner) => runner.runDueChecks(clock.now())));
    clock.advance(EVERY);
    return { results: passes.flatMap((pass) => pass.results), transitions: passes.flatMap((pass) => pass.transitions) };
  }

  const checks = (paths: string[]) =>
    paths.map((path) => ({ name: path, url: `${server.origin}/${path}`, every: '10s' }));
  const paths = Array.from({ length: 10 }, (_, index) => `c${index}`);

  it('runs each check once per tick, whichever replica claims it', async () => {
    for (const path of paths) server.answer(`/${path}`, 200, 'ok', 5);
    const runners = replicas(smokeConfig(checks(paths)));
    for (let i = 0; i < 3; i++) {
      const { results } = await tick(runners);
      expect(results.map((result) => result.name).sort()).toEqual(paths);
    }
    const seen = server.seen.map((request) => request.url.slice(1)).sort();
    expect(seen).toEqual(paths.flatMap((path) => [path, path, path]).sort());
    const [{ count }] = await db.store.query<{ count: number }>('select count(*)::integer as count from smoke_results');
    expect(count).toBe(30);
  });

  it('reports each alert and recovery once, whichever replica ran the check', async () => {
    const failing = paths.slice(0, 3);
    for (const path of failing) server.answer(`/${path}`, 500);
    const runners = replicas(smokeConfig(checks(failing), { failures_before_alert: 2, passes_before_recovery: 2 }));
    const transitions: Transition[] = [];
    for (let i = 0; i < 4; i++) transitions.push(...(await tick(runners)).transitions);
    for (const path of failing) server.answer(`/${path}`, 200);
    for (let i = 0; i < 4; i++) transitions.push(...(await tick(runners)).transitions);
    const kinds = transitions.map(
      (transition) => `${transition.kind} ${'check' in transition ? transition.check : ''}`,
    );
    expect(kinds.sort()).toEqual(['alert c0', 'alert c1', 'alert c2', 'recovered c0', 'recovered c1', 'recovered c2']);
  });

  it('lets only one of two replicas deciding at once report a transition', async () => {
    const failure: SmokeResult = {
      name: 'health',
      ok: false,
      error: 'expected a 2xx status, got 500',
      latencyMs: 3,
      startedAt: clock.now(),
      checkId: 'api/staging/health',
      service: 'api',
      environment: 'staging',
      runId: 'r',
      inconclusive: false,
    };
    await db.store.query(
      `insert into smoke_results (run_id, check_id, service, environment, check_name, ok, latency_ms, error, started_at)
       values ('r', $1, 'api', 'staging', 'health', false, 3, $2, $3)`,
      [failure.checkId, failure.error, failure.startedAt],
    );
    const rule = { failuresBeforeAlert: 1, passesBeforeRecovery: 1 };
    // Both read the check's state before either writes it: both decide to alert.
    const bothRead = barrier(stores.length);
    const racing = stores.map((store) => afterStateRead(store, bothRead));
    const alerts = await Promise.all(racing.map((store) => evaluateCheck(store, failure, rule)));
    expect(alerts.filter(Boolean)).toMatchObject([{ kind: 'alert', since: failure.startedAt }]);

    const impaired = await Promise.all(
      stores.map((store) => settleMonitoring(store, 'the canary failed too', clock.now())),
    );
    expect(impaired.filter(Boolean)).toMatchObject([{ kind: 'impaired' }]);
    const restored = await Promise.all(stores.map((store) => settleMonitoring(store, undefined, clock.now())));
    expect(restored.filter(Boolean)).toMatchObject([{ kind: 'restored' }]);
  });
});

/** Resolves for everyone once `parties` callers are waiting. */
function barrier(parties: number): () => Promise<void> {
  let arrived = 0;
  let release: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  return () => {
    if (++arrived === parties) release();
    return released;
  };
}

/** The store, but a read of smoke_check_state waits at the barrier before returning. */
function afterStateRead(store: Store, wait: () => Promise<void>): Store {
  return {
    ...store,
    async query<T>(sql: string, params?: unknown[]) {
      const rows = await store.query<T>(sql, params);
      if (/^select .* from smoke_check_state/.test(sql)) await wait();
      return rows;
    },
  };
}
