import { afterEach, describe, expect, it } from 'vitest';
import { WallClock } from '../helpers/clock.ts';
import type { Harness } from '../helpers/harness.ts';
import { postgresBackend, type TestDatabase } from '../helpers/stores.ts';
import {
  check,
  incidentConfig,
  startIncidentHarness,
  startVersionedService,
  waitUntil,
  type VersionedService,
} from './helpers.ts';

describe.skipIf(!postgresBackend)('incidents on two replicas of one PostgreSQL', () => {
  let replicas: Harness[] = [];
  let db: TestDatabase;
  let service: VersionedService;
  afterEach(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    replicas = [];
    await db?.close();
    await service?.server.close();
  });

  it('runs each check once per tick and opens one incident, with one channel', async () => {
    service = await startVersionedService();
    const checks = [check('health', `${service.origin}/health`), check('home', `${service.origin}/health`)]
      .map((item) => item.replace('timeout: 1s', 'timeout: 1s\n          every: 1s'))
      .join('');
    const configYaml = incidentConfig(service, checks);
    db = await postgresBackend!.open();
    const another = { ...db, store: await db.openAnother() };
    replicas = [
      await startIncidentHarness({ backend: postgresBackend!, db, configYaml, clock: new WallClock() }),
      await startIncidentHarness({ backend: postgresBackend!, db: another, configYaml, clock: new WallClock() }),
    ];
    service.down = true;
    for (const replica of replicas) replica.tugboat.smoke.start();

    const count = async (sql: string) => (await db.store.query<{ count: number }>(sql))[0].count;
    await waitUntil(
      'an incident opens',
      async () => (await count('select count(*)::int as count from incidents')) > 0,
      15_000,
    );
    // Both replicas keep running every check for a few more ticks.
    const results = await count('select count(*)::int as count from smoke_results');
    await waitUntil(
      'a few more ticks',
      async () => (await count('select count(*)::int as count from smoke_results')) >= results + 6,
      10_000,
    );
    for (const replica of replicas) await replica.tugboat.smoke.stop();

    expect(await count('select count(*)::int as count from incidents')).toBe(1);
    const created = replicas.flatMap((replica) => replica.slackApi.callsTo('conversations.create'));
    expect(created).toHaveLength(1);
    expect(
      await count(`select count(*)::int as count from (
        select check_id, date_trunc('second', started_at) from smoke_results group by 1, 2 having count(*) > 1) as twice`),
    ).toBe(0);
  }, 40_000);
});
