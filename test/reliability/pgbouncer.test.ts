import { afterEach, describe, expect, it } from 'vitest';
import { runWithLease } from '../../src/jobs/leases.ts';
import { createLogger } from '../../src/log.ts';
import { migrate, openStore, type Store } from '../../src/store/index.ts';
import { startHarness, type Harness } from '../helpers/harness.ts';
import { postgresBackend, type TestDatabase } from '../helpers/stores.ts';

/**
 * Through PgBouncer in transaction mode (each statement or transaction may get another server
 * connection). TEST_PGBOUNCER_URL names a database of its own, whose public schema is reset here;
 * see README.md, "PgBouncer", for the pgbouncer.ini these tests run against.
 */
const PGBOUNCER_URL = process.env.TEST_PGBOUNCER_URL;
const log = createLogger({ level: 'silent' });

describe.runIf(PGBOUNCER_URL && postgresBackend)('tugboat through PgBouncer in transaction mode', () => {
  const opened: Store[] = [];
  let h: Harness | undefined;

  async function replica(): Promise<Store> {
    const store = await openStore({ databaseUrl: PGBOUNCER_URL });
    opened.push(store);
    return store;
  }

  async function freshDatabase(): Promise<TestDatabase> {
    const store = await replica();
    await store.exec('drop schema public cascade; create schema public');
    await Promise.all([store, await replica(), await replica()].map((r) => migrate(r)));
    return { store, url: PGBOUNCER_URL, openAnother: replica, close: async () => undefined };
  }

  afterEach(async () => {
    await h?.stop();
    h = undefined;
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  it('migrates from three replicas at once, and gives a lock to exactly one of 20 people', async () => {
    const db = await freshDatabase();
    h = await startHarness({ backend: postgresBackend!, db });
    const users = Array.from({ length: 20 }, (_, i) => `U0RACE${i}`);
    await Promise.all(
      users.map((userId) =>
        h!.slack.slashCommand({ command: '/lock', text: 'api@staging', userId, channelId: 'C0STAGING' }),
      ),
    );
    await h.tugboat.settle();
    const announced = h.slackApi.callsTo('chat.postMessage').filter((c) => c.response.ok);
    expect(announced).toHaveLength(1);
    expect(h.slackApi.responses.map((r) => String(r.body.text)).filter((t) => t.includes('locked by'))).toHaveLength(
      19,
    );
  });

  it('gives a job to one replica at a time while it waits, and to the next once it is done', async () => {
    const db = await freshDatabase();
    const other = await replica();
    let finish!: () => void;
    const held = runWithLease(
      { store: db.store, log },
      'lock-sweep',
      () => new Promise<void>((resolve) => (finish = resolve)),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await runWithLease({ store: other, log }, 'lock-sweep', async () => undefined)).toBe(false);
    finish();
    expect(await held).toBe(true);
    expect(await runWithLease({ store: other, log }, 'lock-sweep', async () => undefined)).toBe(true);
  });
});
