import { afterEach, describe, expect, it } from 'vitest';
import { migrate, migrationsApplied, openStore } from '../src/store/index.ts';
import { runWithLease } from '../src/jobs/leases.ts';
import { createLogger } from '../src/log.ts';
import { postgresBackend, storeBackends, type TestDatabase } from './helpers/stores.ts';

const log = createLogger({ level: 'silent' });

for (const backend of storeBackends) {
  describe(`store on ${backend.name}`, () => {
    let db: TestDatabase;
    afterEach(() => db?.close());

    it('applies every migration once and records it', async () => {
      db = await backend.open();
      expect(await migrationsApplied(db.store)).toBe(true);
      expect(await migrate(db.store)).toEqual([]);
      const rows = await db.store.query<{ version: string }>('select version from schema_migrations order by version');
      expect(rows.map((r) => r.version)).toContain('002_locks');
    });

    it('rolls a failed transaction back whole', async () => {
      db = await backend.open();
      await expect(
        db.store.transaction(async (tx) => {
          await tx.query(`insert into slack_events (event_id) values ('E1')`);
          await tx.query(`insert into slack_events (event_id) values ('E1')`);
        }),
      ).rejects.toThrow(/duplicate key/);
      expect(await db.store.query('select * from slack_events')).toEqual([]);
    });

    it('runs an exclusive job once when two ticks overlap', async () => {
      db = await backend.open();
      let runs = 0;
      let release!: () => void;
      const first = runWithLease({ store: db.store, log }, 'sweep', async () => {
        runs++;
        await new Promise<void>((r) => (release = r));
      });
      await new Promise((r) => setTimeout(r, 50));
      expect(await runWithLease({ store: db.store, log }, 'sweep', async () => void runs++)).toBe(false);
      release();
      expect(await first).toBe(true);
      expect(runs).toBe(1);
    });
  });
}

describe.runIf(postgresBackend)('store on two replicas of real PostgreSQL', () => {
  let db: TestDatabase;
  afterEach(() => db?.close());

  it('applies migrations once when replicas start together', async () => {
    db = await postgresBackend!.open();
    const versions = (
      await db.store.query<{ version: string }>('select version from schema_migrations order by version')
    ).map((r) => r.version);
    const tables = await db.store.query<{ name: string }>(
      `select table_name as name from information_schema.tables where table_schema = current_schema()`,
    );
    await db.store.exec(`drop table ${tables.map((t) => t.name).join(', ')} cascade`);
    const replicas = await Promise.all([db.openAnother(), db.openAnother(), db.openAnother()]);
    const applied = await Promise.all(replicas.map((r) => migrate(r)));
    expect(applied.flat().sort()).toEqual(versions);
    expect(versions.length).toBeGreaterThanOrEqual(3);
  });

  it('lets one replica run an exclusive job while another holds it', async () => {
    db = await postgresBackend!.open();
    const other = await db.openAnother();
    let release!: () => void;
    const held = runWithLease({ store: db.store, log }, 'lock-sweep', () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 100));
    expect(await runWithLease({ store: other, log }, 'lock-sweep', async () => undefined)).toBe(false);
    release();
    await held;
    expect(await runWithLease({ store: other, log }, 'lock-sweep', async () => undefined)).toBe(true);
  });
});

it('keeps PGlite data in its folder across restarts', async () => {
  const { mkdtemp, rm } = await import('node:fs/promises');
  const dir = await mkdtemp('/tmp/tugboat-pglite-');
  try {
    const first = await openStore({ dataDir: dir });
    await migrate(first);
    await first.query(`insert into slack_events (event_id) values ('E42')`);
    await first.close();
    const second = await openStore({ dataDir: dir });
    expect(await second.query('select event_id from slack_events')).toEqual([{ event_id: 'E42' }]);
    await second.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
